"""Typed configs: every shipped config loads; unknown keys and bad values are rejected."""

import pytest

from quant_train.config import CONFIG_DIR, LayerKind, load_config
from quant_train.model import trace_shapes


@pytest.mark.parametrize("name", ["fmnist", "cifar10_vgg11", "cifar10_vgg16"])
def test_shipped_configs_load_and_chain(name):
    cfg = load_config(name)
    assert cfg.T == 5 and cfg.weight_bits == 4
    shape = (1, 28, 28) if name == "fmnist" else (3, 32, 32)
    assert trace_shapes(cfg, shape)[-1] == (10,)


def test_fmnist_is_the_documented_default():
    cfg = load_config("fmnist")
    assert [l.kind for l in cfg.layers] == [LayerKind.CONV, LayerKind.POOL, LayerKind.CONV, LayerKind.POOL,
                                            LayerKind.DENSE, LayerKind.DENSE]


def _write(tmp_path, text):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    return p


BASE = "name: x\ndataset: fmnist\nlayers:\n  - {kind: conv, out: 4}\n  - {kind: dense, out: 10}\n"


def test_unknown_key_is_rejected(tmp_path):
    with pytest.raises(ValueError, match=r"c\.yaml: unknown key\(s\) \['learning_rate'\]"):
        load_config(_write(tmp_path, BASE + "learning_rate: 3\n"))


def test_unknown_layer_key_and_kind(tmp_path):
    with pytest.raises(ValueError, match=r"c\.yaml\.layers\[0\]: unknown key\(s\) \['channels'\]"):
        load_config(_write(tmp_path, BASE.replace("out: 4", "channels: 4")))
    with pytest.raises(ValueError, match=r"c\.yaml\.layers\[0\]\.kind: expected one of \['conv', 'pool', 'dense'\], not 'avg'"):
        load_config(_write(tmp_path, BASE.replace("kind: conv", "kind: avg")))


@pytest.mark.parametrize("extra,msg", [("T: 17\n", r"T must be in 1\.\.16, not 17"),
                                       ("weight_bits: 9\n", r"weight_bits must be in 2\.\.8, not 9")])
def test_bad_values(tmp_path, extra, msg):
    with pytest.raises(ValueError, match=msg):
        load_config(_write(tmp_path, BASE + extra))


def test_missing_config_lists_known_ones():
    with pytest.raises(FileNotFoundError, match=r"config 'nope' not found .*known configs: \['cifar10_vgg11'"):
        load_config("nope")
    assert (CONFIG_DIR / "fmnist.yaml").is_file()
