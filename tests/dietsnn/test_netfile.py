"""The .snn.npz loader: round trip, and clear errors naming the field for bad files."""

import json

import numpy as np
import pytest

from dietsnn.testing import random_network
from dietsnn.netfile import IntNetwork, NetFileError
from dietsnn.ref import run_network


def write(path, manifest, arrays):
    np.savez(path, manifest=np.array(json.dumps(manifest)), **arrays)
    return path


@pytest.fixture
def good(rng, tmp_path):
    net = random_network(rng)
    path = net.save(tmp_path / "net.snn.npz")
    return net, path


def test_round_trip_keeps_every_number(good, rng):
    net, path = good
    back = IntNetwork.load(path)
    assert back.manifest() == net.manifest()
    for k, v in net.arrays().items():
        assert np.array_equal(back.arrays()[k], v)
    x = rng.integers(0, 256, (4, *net.input_shape))
    assert np.array_equal(run_network(back, x).scores, run_network(net, x).scores)


def _parts(path):
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    return json.loads(str(arrays.pop("manifest"))), arrays


def test_wrong_format_is_rejected(good, tmp_path):
    m, a = _parts(good[1])
    m["format"] = "diet-snn-int/2"
    with pytest.raises(NetFileError, match=r"bad\.npz: manifest\.format: expected 'diet-snn-int/1', got 'diet-snn-int/2'$"):
        IntNetwork.load(write(tmp_path / "bad.npz", m, a))


def test_missing_manifest_is_rejected(good, tmp_path):
    _, a = _parts(good[1])
    np.savez(tmp_path / "bad.npz", **a)
    with pytest.raises(NetFileError, match=r"bad\.npz: manifest: missing key 'manifest'"):
        IntNetwork.load(tmp_path / "bad.npz")


def test_missing_array_names_the_key(good, tmp_path):
    m, a = _parts(good[1])
    del a["conv2.theta"]
    with pytest.raises(NetFileError, match=r"manifest\.layers\[2\] \(conv2\): missing array 'conv2\.theta'"):
        IntNetwork.load(write(tmp_path / "bad.npz", m, a))


def test_missing_field_names_the_field(good, tmp_path):
    m, a = _parts(good[1])
    del m["layers"][0]["leak_shift"]
    with pytest.raises(NetFileError, match=r"manifest\.layers\[0\] \(conv1\)\.leak_shift: missing field"):
        IntNetwork.load(write(tmp_path / "bad.npz", m, a))


def test_float_weights_are_rejected(good, tmp_path):
    m, a = _parts(good[1])
    a["fc1.weight"] = a["fc1.weight"].astype(np.float32)
    with pytest.raises(NetFileError, match=r"fc1\.weight: expected an integer array, got dtype float32"):
        IntNetwork.load(write(tmp_path / "bad.npz", m, a))


def test_shape_mismatch_is_rejected(good, tmp_path):
    m, a = _parts(good[1])
    a["conv2.weight"] = a["conv2.weight"][:, :3]
    with pytest.raises(NetFileError, match=r"conv2\.weight: expected shape \(6, 4, 3, 3\) for input \(4, 4, 4\), got \(6, 3, 3, 3\)"):
        IntNetwork.load(write(tmp_path / "bad.npz", m, a))


def test_bias_shape_mismatch_is_rejected(good, tmp_path):
    m, a = _parts(good[1])
    a["fc2.bias"] = a["fc2.bias"][:2]
    with pytest.raises(NetFileError, match=r"fc2\.bias: expected shape \(3,\), got \(2,\)"):
        IntNetwork.load(write(tmp_path / "bad.npz", m, a))


@pytest.mark.parametrize("field,value,msg", [
    ("leak_shift", 16, r"leak_shift: expected an integer in 0\.\.15, got 16"),
    ("kind", "avgpool", r"kind: expected one of .*got 'avgpool'"),
    ("kernel", [3], r"kernel: expected a list of 2 integers, got \[3\]"),
    ("pad", [1, 1, 1, -1], r"pad: expected every value >= 0"),
])
def test_bad_layer_fields(good, tmp_path, field, value, msg):
    m, a = _parts(good[1])
    m["layers"][0][field] = value
    with pytest.raises(NetFileError, match=r"manifest\.layers\[0\] \(conv1\)\." + msg):
        IntNetwork.load(write(tmp_path / "bad.npz", m, a))


def test_bad_T_is_rejected(good, tmp_path):
    m, a = _parts(good[1])
    m["T"] = 17
    with pytest.raises(NetFileError, match=r"manifest\.T: expected an integer in 1\.\.16, got 17"):
        IntNetwork.load(write(tmp_path / "bad.npz", m, a))


def test_layers_that_do_not_chain_are_rejected(good, tmp_path):
    m, a = _parts(good[1])
    m["layers"] = [m["layers"][0], m["layers"][3], m["layers"][1], m["layers"][2], m["layers"][4]]
    with pytest.raises(NetFileError, match=r"fc1\.weight: expected shape|spike_maxpool needs"):
        IntNetwork.load(write(tmp_path / "bad.npz", m, a))


def test_output_layer_must_be_last(good, tmp_path):
    m, a = _parts(good[1])
    m["layers"] = m["layers"][:-1]
    with pytest.raises(NetFileError, match=r"the last layer must be 'output_accumulate', got 'lif_dense'"):
        IntNetwork.load(write(tmp_path / "bad.npz", m, a))


def test_non_positive_theta_is_rejected(good, tmp_path):
    m, a = _parts(good[1])
    a["fc1.theta"][2] = 0
    with pytest.raises(NetFileError, match=r"fc1\.theta: expected positive integers"):
        IntNetwork.load(write(tmp_path / "bad.npz", m, a))


def test_weights_outside_declared_width_are_rejected(good, tmp_path):
    m, a = _parts(good[1])
    a["conv1.weight"][0, 0, 0, 0] = 8  # 4-bit signed max is 7
    with pytest.raises(NetFileError, match=r"conv1\.weight: values .*exceed 4-bit signed range"):
        IntNetwork.load(write(tmp_path / "bad.npz", m, a))


def test_not_an_npz_and_missing_file(tmp_path):
    (tmp_path / "junk.snn.npz").write_text("hello")
    with pytest.raises(NetFileError, match=r"junk\.snn\.npz: not a readable \.npz archive"):
        IntNetwork.load(tmp_path / "junk.snn.npz")
    with pytest.raises(NetFileError, match=r"nope\.snn\.npz: no such network file"):
        IntNetwork.load(tmp_path / "nope.snn.npz")
