"""Bad input and misuse of the `dietsnn` command (issue 12): every kind ends with a non-zero exit status, no
traceback, and a message that names the file or argument and what was expected; outputs are exact and atomic.

The commands run in-process (``flow.cli.main``); argparse's own errors exit through ``SystemExit(2)``.
"""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from dietsnn.netfile import IntNetwork, NetFileError
from dietsnn.ref import run_network
from dietsnn.testing import random_network
from flow.cli import main

SEED_A, SEED_B = 11, 12


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:  # argparse: usage errors
        code = e.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, out + err
    return code, err


def misuse(capsys, argv, pattern: str, code: int = 2) -> str:
    got, err = run_cli(argv, capsys)
    assert got == code, f"exit {got}, expected {code}: {err}"
    assert re.search(pattern, err), f"{pattern!r} not in:\n{err}"
    return err


# ------------------------------------------------------------------ shared inputs
@pytest.fixture(scope="module")
def net_a():
    return random_network(np.random.default_rng(SEED_A), pool=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory, net_a):
    """A network file, a second network's file, good images and a few bad ones."""
    d = tmp_path_factory.mktemp("misuse")
    net_a.save(d / "a.snn.npz")
    random_network(np.random.default_rng(SEED_B), pool=False).save(d / "b.snn.npz")
    rng = np.random.default_rng(0)
    np.save(d / "x.npy", rng.integers(0, 256, (3, 1, 8, 8)).astype(np.uint8))
    np.save(d / "rgb.npy", rng.integers(0, 256, (2, 3, 8, 8)).astype(np.uint8))
    np.save(d / "big.npy", rng.integers(0, 256, (2, 1, 32, 32)).astype(np.uint8))
    np.save(d / "i32.npy", rng.integers(0, 256, (2, 1, 8, 8)).astype(np.int32))
    np.save(d / "empty.npy", np.zeros((0, 1, 8, 8), np.uint8))
    np.savez(d / "arch.npz", x=np.zeros((1, 1, 8, 8), np.uint8))
    (d / "junk.npy").write_bytes(b"not a numpy file")
    (d / "a_file").write_text("x")
    (d / "user_folder").mkdir()
    (d / "user_folder" / "thesis.tex").write_text("precious")
    return d


@pytest.fixture(scope="module")
def build_a(tmp_path_factory, files):
    """`dietsnn compile` of network a (compiled, not stitched)."""
    from hw.compile import CompileOptions, compile_network

    b = tmp_path_factory.mktemp("build_a") / "b"
    compile_network(files / "a.snn.npz", b, CompileOptions(fps=20000))
    return b


def predict(files, *extra):
    return ["predict", files / "a.snn.npz", "--images", files / "x.npy", "--out", files / "p.npz", *extra]


# ------------------------------------------------------------------ the network file (item 3)
def _parts(path):
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    return json.loads(str(arrays.pop("manifest"))), arrays


def _write(path, manifest, arrays):
    np.savez(path, manifest=np.array(json.dumps(manifest)), **arrays)
    return path


def _bad_uint64(m, a):
    a["conv1.weight"] = a["conv1.weight"].astype(np.uint64)  # -1 becomes 2**64 - 1


def _over_bits(m, a):
    a["conv2.weight"][0, 0, 0, 0] = 8


def _weight_2_50(m, a):
    a["conv1.weight"][0, 0, 0, 0] = 2**50


def _huge_weights(m, a):
    del m["weight_bits"]  # no declared width: the state bound still holds them
    a["conv1.weight"][0, 0, :2, :2] = 2**50


def _huge_bias(m, a):
    a["fc1.bias"][1] = -(2**61)


def _huge_theta(m, a):
    a["conv2.theta"][0] = 2**61


def _bad_T(m, a):
    m["T"] = 0


def _missing_theta(m, a):
    del a["fc1.theta"]


@pytest.mark.parametrize("edit, pattern", [
    (_bad_uint64, r"n\.snn\.npz: conv1\.weight: value 18446744073709551615 \(dtype uint64\) exceeds the signed "
                  r"64-bit range; expected signed integers"),
    (_over_bits, r"n\.snn\.npz: conv2\.weight: values -7\.\.8 exceed 4-bit signed range -8\.\.7"),
    (_weight_2_50, r"n\.snn\.npz: conv1\.weight: values -7\.\.1125899906842624 exceed 4-bit signed range"),
    (_huge_weights, r"n\.snn\.npz: conv1\.weight: the state bound T \* \(A_max \+ max\|b\| \+ max theta\) \+ "
                    r"max theta = \d+ \(T=5, A_max = max_c sum\|W\| \* 255 = \d+, .* is not below the cap 2\^62"),
    (_huge_bias, r"n\.snn\.npz: fc1\.bias: the state bound .*max\|b\| = 2305843009213693952.* is not below the "
                 r"cap 2\^62"),
    (_huge_theta, r"n\.snn\.npz: conv2\.theta: the state bound .* is not below the cap 2\^62"),
    (_bad_T, r"n\.snn\.npz: manifest\.T: expected an integer in 1\.\.16, got 0"),
    (_missing_theta, r"n\.snn\.npz: manifest\.layers\[2\] \(fc1\): missing array 'fc1\.theta'"),
], ids=["uint64_wrap", "weight_bits", "weight_2^50", "weights_2^50_unbounded", "bias_2^61", "theta_2^61", "T_0", "missing_array"])
def test_network_file_values_are_bounded(files, tmp_path, capsys, edit, pattern):
    rng = np.random.default_rng(3)
    m, a = _parts(files / "a.snn.npz")
    a["conv2.weight"][0, 0, 0, 0] = -7  # a negative weight for the uint64 case, an in-range value otherwise
    edit(m, a)
    path = _write(tmp_path / "n.snn.npz", m, a)
    with pytest.raises(NetFileError, match=pattern):
        IntNetwork.load(path)
    np.save(tmp_path / "x.npy", rng.integers(0, 256, (1, 1, 8, 8)).astype(np.uint8))
    misuse(capsys, ["predict", path, "--images", tmp_path / "x.npy", "--out", tmp_path / "p.npz"], pattern)
    assert not (tmp_path / "p.npz").exists()


def test_largest_accepted_values_run_exactly_in_the_golden(files):
    """A bias of 2^57 (beyond float64's exact range in the product) gives exact integer scores."""
    m, a = _parts(files / "a.snn.npz")
    del m["weight_bits"]
    a["fc2.bias"][0] = 2**57
    a["fc2.weight"][1, 0] = 2**55
    net = IntNetwork.load(_write(files / "large.snn.npz", m, a))
    x = np.load(files / "x.npy")
    base = IntNetwork.load(files / "a.snn.npz")
    ref = run_network(base, x)
    got = run_network(net, x)
    fc1 = run_network(base, x, record=True).spikes["fc1"].sum(axis=0)[:, 0]  # spikes of fc1's neuron 0 per image
    b0 = int(base.layer("fc2").bias[0])
    assert got.scores[:, 0].tolist() == [int(s) + 5 * (2**57 - b0) for s in ref.scores[:, 0]]
    assert got.scores[:, 1].tolist() == [int(s) - int(base.layer("fc2").weight[1, 0]) * int(n) + 2**55 * int(n)
                                        for s, n in zip(ref.scores[:, 1], fc1)]


# ------------------------------------------------------------------ predict (item 4)
@pytest.mark.parametrize("level", ["golden", "qonnx", "dataflow", "rtl"])
@pytest.mark.parametrize("images, pattern", [
    ("rgb.npy", r"--images \S*rgb\.npy: expected shape \(N, 1, 8, 8\), got \(2, 3, 8, 8\)"),
    ("big.npy", r"--images \S*big\.npy: expected shape \(N, 1, 8, 8\), got \(2, 1, 32, 32\)"),
    ("empty.npy", r"--images \S*empty\.npy: expected at least one image of shape \(1, 8, 8\)"),
])
def test_images_are_checked_the_same_way_at_every_level(files, build_a, capsys, level, images, pattern):
    build = ["--build", build_a] if level in ("dataflow", "rtl") else []
    misuse(capsys, ["predict", files / "a.snn.npz", "--images", files / images, "--out", files / "p_img.npz",
                    "--level", level, *build], pattern)
    assert not (files / "p_img.npz").exists()


@pytest.mark.parametrize("level", ["dataflow", "rtl"])
def test_a_build_of_another_network_is_refused(files, build_a, capsys, level):
    misuse(capsys, ["predict", files / "b.snn.npz", "--images", files / "x.npy", "--out", files / "p.npz",
                    "--level", level, "--build", build_a],
           r"--build \S+ was compiled from another network .*predict with the network it was built from "
           r"\(\S+network\.snn\.npz\), or compile this one")


@pytest.mark.parametrize("level", ["dataflow", "rtl"])
def test_T_other_than_the_builds_is_refused(files, build_a, capsys, level):
    misuse(capsys, predict(files, "--level", level, "--build", build_a, "--T", "3"),
           r"--build \S+ was compiled for T=5, but --T is 3: the hardware fixes T")


def test_T_is_applied_at_the_software_levels(files, net_a, capsys):
    """golden and qonnx run the network at --T; dataflow without --build compiles it at --T."""
    x = np.load(files / "x.npy")
    for level in ("golden", "qonnx", "dataflow"):
        out = files / f"p_T3_{level}.npz"
        code, _ = run_cli(["predict", files / "a.snn.npz", "--images", files / "x.npy", "--out", out,
                           "--level", level, "--T", "3"], capsys)
        assert code == 0
        with np.load(out) as p:
            assert np.array_equal(p["scores"], run_network(net_a.replace_T(3), x).scores)


def test_a_build_that_is_not_stitched_is_named(files, build_a, capsys):
    misuse(capsys, predict(files, "--level", "rtl", "--build", build_a),
           r"stitched\.json: not a stitched build \(run `dietsnn stitch")


@pytest.mark.parametrize("argv, pattern", [
    (["--T", "0"], r"argument --T: expected an integer in 1\.\.16, not 0"),
    (["--T", "17"], r"argument --T: expected an integer in 1\.\.16, not 17"),
    (["--T", "five"], r"argument --T: expected an integer in 1\.\.16, not 'five'"),
    (["--level", "verilog"], r"argument --level: invalid choice: 'verilog' \(choose from"),
    (["--level", "rtl"], r"--level rtl needs --build \(a folder made by `dietsnn compile` and `dietsnn stitch`\)"),
    (["--build", "x"], r"--build is for --level dataflow, rtl or hls; --level golden runs the network itself"),
    (["--level", "dataflow", "--build", "no_such_build"], r"--build no_such_build: no such build folder"),
], ids=["T0", "T17", "T_text", "level", "rtl_no_build", "build_golden", "no_build_folder"])
def test_predict_arguments(files, capsys, argv, pattern):
    misuse(capsys, predict(files, *argv), pattern)


@pytest.mark.parametrize("images, pattern", [
    ("i32.npy", r"--images \S*i32\.npy: expected dtype uint8 \(pixels of 8 bits\), got int32"),
    ("junk.npy", r"--images \S*junk\.npy: not a readable \.npy array"),
    ("arch.npz", r"--images \S*arch\.npz: an \.npz archive; expected one \.npy array of shape \(N, C, H, W\)"),
    ("nothing.npy", r"--images \S*nothing\.npy: no such file \(expected a uint8 \.npy of shape \(N, 1, 8, 8\)\)"),
])
def test_images_files(files, capsys, images, pattern):
    misuse(capsys, ["predict", files / "a.snn.npz", "--images", files / images, "--out", files / "p.npz"], pattern)


def test_network_argument(files, capsys):
    misuse(capsys, ["predict", files / "none.snn.npz", "--images", files / "x.npy", "--out", files / "p.npz"],
           r"none\.snn\.npz: no such network file \(expected a \.snn\.npz from `dietsnn export`\)")
    misuse(capsys, ["predict", files / "user_folder", "--images", files / "x.npy", "--out", files / "p.npz"],
           r"user_folder/network\.snn\.npz: no such network file")


def test_out_must_be_a_file_path(files, capsys):
    misuse(capsys, ["predict", files / "a.snn.npz", "--images", files / "x.npy", "--out", files / "user_folder"],
           r"argument --out: \S+user_folder: is a folder; expected a file path")
    misuse(capsys, ["predict", files / "a.snn.npz", "--images", files / "x.npy", "--out", files / "a_file" / "p.npz"],
           r"argument --out: \S+a_file/p\.npz: its parent \S+a_file is a file, not a folder")


@pytest.mark.parametrize("name", ["preds", "preds.bin", "sub/dir/p.npz"])
def test_out_is_written_at_exactly_the_path_named(files, net_a, capsys, tmp_path, name):
    code, _ = run_cli(["predict", files / "a.snn.npz", "--images", files / "x.npy", "--out", tmp_path / name],
                      capsys)
    assert code == 0
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [name]
    with np.load(tmp_path / name) as p:
        assert np.array_equal(p["scores"], run_network(net_a, np.load(files / "x.npy")).scores)


# ------------------------------------------------------------------ numbers and folders (items 7, 8)
@pytest.mark.parametrize("argv, pattern", [
    (["--clock-mhz", "200e6"], r"argument --clock-mhz: 200e6 MHz is implausible: expected a clock in MHz, at most "
                               r"1000 \(e\.g\. 200; 2e\+08 Hz would be 200 MHz\)"),
    (["--clock-mhz", "0"], r"argument --clock-mhz: expected a positive, finite clock in MHz, not '0'"),
    (["--clock-mhz", "-100"], r"argument --clock-mhz: expected a positive, finite clock in MHz, not '-100'"),
    (["--clock-mhz", "fast"], r"argument --clock-mhz: expected a clock in MHz, not 'fast'"),
    (["--fps", "nan"], r"argument --fps: expected a positive, finite number of frames per second, not 'nan'"),
    (["--fps", "inf"], r"argument --fps: expected a positive, finite number of frames per second, not 'inf'"),
    (["--fps", "0"], r"argument --fps: expected a positive, finite number of frames per second, not '0'"),
    (["--fps", "lots"], r"argument --fps: expected a number of frames per second, not 'lots'"),
    (["--impl", "vhdl"], r"argument --impl: invalid choice: 'vhdl' \(choose from"),
    (["--board", "zcu999"], r"unknown board 'zcu999'; FINN's Zynq boards are: .*ZCU104"),
], ids=["clock_hz", "clock_0", "clock_neg", "clock_text", "fps_nan", "fps_inf", "fps_0", "fps_text", "impl",
        "board"])
def test_compile_numbers(files, capsys, tmp_path, argv, pattern):
    misuse(capsys, ["compile", files / "a.snn.npz", "--out", tmp_path / "b", *argv], pattern)
    assert not (tmp_path / "b").exists()


def test_compile_out_folder(files, capsys):
    misuse(capsys, ["compile", files / "a.snn.npz", "--out", files / "a_file"],
           r"argument --out: \S+a_file: exists as a file; expected a folder")
    misuse(capsys, ["compile", files / "a.snn.npz", "--out", files / "user_folder"],
           r"--out \S+user_folder: exists and is not a dietsnn build folder .*choose a new or empty folder")
    assert (files / "user_folder" / "thesis.tex").read_text() == "precious"


def test_compile_refuses_a_design_larger_than_the_part(tmp_path, capsys):
    """8 Mbit of weights in fc1: no --fps makes them fit a Pynq-Z1's 280 BRAM18; the advice says so."""
    from dietsnn.netfile import Layer

    rng = np.random.default_rng(0)
    w = lambda *s: rng.integers(-7, 8, size=s).astype(np.int64)  # noqa: E731
    layers = (Layer("conv1", "input_lif", (3, 3), (1, 1), (1, 1, 1, 1), 2, w(4, 1, 3, 3), np.zeros(4, np.int64),
                    np.full(4, 300)),
              Layer("fc1", "lif_dense", leak_shift=1, weight=w(1600, 1024), bias=np.zeros(1600, np.int64),
                    theta=np.full(1600, 20)),
              Layer("fc2", "output_accumulate", weight=w(10, 1600), bias=np.zeros(10, np.int64)))
    IntNetwork(T=5, input_shape=(1, 16, 16), input_bits=8, layers=layers, weight_bits=4).save(tmp_path / "n.snn.npz")
    err = misuse(capsys, ["compile", tmp_path / "n.snn.npz", "--board", "pynq-z1", "--fps", "2000",
                          "--out", tmp_path / "b"],
                 r"^dietsnn compile: error: the design does not fit Pynq-Z1 \(xc7z020clg400-1\): BRAM_18K: needs "
                 r"\d+, the part has 280, and still \d+ at the slowest folding \(fc1 \d+.*\): BRAM_18K does not shrink "
                 r"with --fps .*; no --fps makes it fit Pynq-Z1; choose another board \(boards it fits at this "
                 r"--fps: .*ZCU104.*\); the build is written to \S+ .*pass --allow-overfit")
    assert "ZCU111" not in err and "lower --fps" not in err
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report["fit"] == {"fits": False, "over": ["BRAM_18K"], "warnings": report["fit"]["warnings"]}
    assert "does not shrink with --fps" in (tmp_path / "b" / "report.txt").read_text()
    code, err = run_cli(["compile", tmp_path / "n.snn.npz", "--board", "pynq-z1", "--fps", "2000",
                         "--out", tmp_path / "b", "--allow-overfit"], capsys)
    assert code == 0 and "warning: the design does not fit the part (BRAM_18K; --allow-overfit given)" in err


def test_compile_refuses_what_stitch_would_refuse(files, net_a, tmp_path, capsys):
    """A score register wider than the RTL block's 48 bits: refused at compile (the blocks' own checks, through
    ``check_folding``), naming the layer, the width and the cap, before anything is stitched."""
    import dataclasses

    layers = list(net_a.layers)
    bias = layers[-1].bias.copy()
    bias[0] = 2**50
    layers[-1] = dataclasses.replace(layers[-1], bias=bias)
    dataclasses.replace(net_a, layers=tuple(layers)).save(tmp_path / "wide.snn.npz")
    misuse(capsys, ["compile", tmp_path / "wide.snn.npz", "--out", tmp_path / "b"], r"fc2\b.*\b54\b.*\b48\b")
    assert not (tmp_path / "b").exists()


def test_fit_hints_name_only_boards_the_bitstream_flow_builds():
    from hw.boards import get_board
    from hw.vivado.fit import DesignTooLarge, check_fit

    report = {"totals": {"LUT": 400000, "BRAM_18K": 100, "URAM": 0, "DSP": 10}}  # ZCU111's silicon size
    with pytest.raises(DesignTooLarge, match=r"\(boards it fits: RFSoC2x2, RFSoC4x2\); compile it with `dietsnn "
                                             r"compile` to learn whether a lower --fps makes it fit$") as e:
        check_fit(report, get_board("zcu104"))
    assert "ZCU111" not in str(e.value)


@pytest.mark.parametrize("argv, pattern", [
    (["train", "--out", "r", "--epochs", "0"], r"argument --epochs: expected an integer >= 1, not 0"),
    (["train", "--out", "r", "--epochs", "-3"], r"argument --epochs: expected an integer >= 1, not -3"),
    (["train", "--out", "r", "--limit-train", "0"], r"argument --limit-train: expected an integer >= 1, not 0"),
    (["train", "--out", "r", "--limit-test", "-1"], r"argument --limit-test: expected an integer >= 1, not -1"),
    (["train", "--out", "r", "--epochs", "2.5"], r"argument --epochs: expected an integer >= 1, not '2\.5'"),
    (["evaluate", "--limit", "-9990"], r"argument --limit: expected an integer >= 1, not -9990"),
    (["evaluate", "--limit", "0"], r"argument --limit: expected an integer >= 1, not 0"),
    (["evaluate", "no_such_run"], r"run no_such_run: no such run folder \(expected a folder made by `dietsnn train`\)"),
    (["export", "no_such_run"], r"run no_such_run: no such run folder"),
    (["stitch", "no_such_build"], r"build no_such_build: no such build folder \(make one with `dietsnn compile"),
    (["stitch", "b", "--size-fifos", "-1"], r"argument --size-fifos: expected an integer >= 0, not -1"),
    (["estimate", "no_such_build"], r"build no_such_build: no such build folder"),
    (["deploy", "no_such_build"], r"build no_such_build: no such build folder"),
    (["bitstream", "--jobs", "0"], r"argument --jobs: expected an integer >= 1, not 0"),
    (["bitstream", "--fps=-inf"], r"argument --fps: expected a positive, finite number of frames per second"),
    (["bitstream", "--size-fifos", "-2"], r"argument --size-fifos: expected an integer >= 0, not -2"),
], ids=["epochs_0", "epochs_neg", "limit_train_0", "limit_test_neg", "epochs_float", "eval_limit_neg",
        "eval_limit_0", "eval_no_run", "export_no_run", "stitch_no_build", "size_fifos", "estimate_no_build",
        "deploy_no_build", "jobs_0", "bitstream_fps", "bitstream_size_fifos"])
def test_arguments_outside_their_sense(capsys, tmp_path, monkeypatch, argv, pattern):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "b").mkdir()
    misuse(capsys, argv, pattern)


def test_out_folders_that_exist_as_files(files, capsys):
    for cmd in (["train", "--out"], ["deploy", "b", "--out"], ["bitstream", "--out"]):
        misuse(capsys, [*cmd, files / "a_file"], r"argument --out: \S+a_file: exists as a file; expected a folder")


def test_bitstream_refuses_a_board_it_cannot_build(files, capsys, tmp_path):
    misuse(capsys, ["bitstream", files / "a.snn.npz", "--board", "zcu111", "--out", tmp_path / "b"],
           r"--board zcu111: FINN's Zynq shell template has no board part for ZCU111")


def test_steps_on_folders_that_are_not_builds(files, build_a, capsys, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    misuse(capsys, ["stitch", empty], r"empty/report\.json: no compiled build \(run `dietsnn compile` first\)")
    misuse(capsys, ["estimate", empty], r"empty/report\.txt: no report \(run `dietsnn compile RUN --out")
    misuse(capsys, ["deploy", build_a, "--no-sim", "--out", tmp_path / "d"],
           r"stitched\.json: missing; run `dietsnn compile` and `dietsnn stitch` first")
    misuse(capsys, ["deploy", build_a, "--out", tmp_path / "d"],
           r"stitched\.json: not a stitched build \(run `dietsnn stitch")
    assert not (tmp_path / "d").exists()


# ------------------------------------------------------------------ atomic outputs (item 5)
def _no_temporaries(folder):
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_an_interrupted_compile_leaves_the_previous_build(files, build_a, tmp_path, monkeypatch, capsys):
    import finn.util.config

    build = tmp_path / "b"
    shutil.copytree(build_a, build)
    before = {p.name: p.read_bytes() for p in build.iterdir() if p.is_file()}

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(finn.util.config, "extract_model_config_to_json", interrupted)
    with pytest.raises(KeyboardInterrupt):
        main(["compile", str(files / "b.snn.npz"), "--out", str(build), "--fps", "20000"])
    assert {p.name: p.read_bytes() for p in build.iterdir() if p.is_file()} == before
    assert _no_temporaries(tmp_path) == []


def test_an_interrupted_save_keeps_the_previous_network_file(files, tmp_path, monkeypatch):
    path = tmp_path / "n.snn.npz"
    shutil.copy(files / "a.snn.npz", path)
    before = path.read_bytes()

    def interrupted(f, **arrays):
        f.write(b"PK partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", interrupted)
    with pytest.raises(KeyboardInterrupt):
        random_network(np.random.default_rng(5)).save(path)
    assert path.read_bytes() == before and _no_temporaries(tmp_path) == []


def test_deploy_folder_is_swapped_whole_and_keeps_the_bitstream(files, tmp_path, monkeypatch):
    import hw.package

    build = tmp_path / "b"
    build.mkdir()
    shutil.copy(files / "a.snn.npz", build / "network.snn.npz")
    (build / "stitched.json").write_text('{"v": 1}')
    (build / "report.json").write_text('{"v": 1}')
    out = build / "deploy"
    hw.package.assemble_deploy(build)
    (out / "dietsnn.bit").write_bytes(b"bit")  # what the Vivado flow writes there
    (build / "stitched.json").write_text('{"v": 2}')
    real_copy = hw.package._copy

    def interrupted(src, dst):
        if dst.name == "notebooks":
            raise KeyboardInterrupt
        real_copy(src, dst)

    monkeypatch.setattr(hw.package, "_copy", interrupted)
    with pytest.raises(KeyboardInterrupt):
        hw.package.assemble_deploy(build)
    assert (out / "stitched.json").read_text() == '{"v": 1}' and _no_temporaries(build) == []
    monkeypatch.setattr(hw.package, "_copy", real_copy)
    hw.package.assemble_deploy(build)
    assert (out / "stitched.json").read_text() == '{"v": 2}' and (out / "dietsnn.bit").read_bytes() == b"bit"
    with pytest.raises(FileExistsError, match=r"--out \S+user_folder: exists and is not a deploy folder"):
        hw.package.assemble_deploy(build, files / "user_folder")


# ------------------------------------------------------------------ the simulated accelerator (items 7, 8)
def _fake_harness(folder, exit_code: int, info_extra: dict):
    folder.mkdir()
    exe = folder / "dietsnn_sim"
    exe.write_text(f'#!/bin/sh\necho "$@" > "{folder}/args.txt"\n'
                   f'echo "no stream progress for N cycles (input beat 3 of 4)" >&2\nexit {exit_code}\n')
    exe.chmod(0o755)
    info = {"exe": "dietsnn_sim", "parameters": {"IN_BEATS": 4, "AXIS_IN_WIDTH": 8, "OUT_BEATS": 1,
                                                 "AXIS_OUT_WIDTH": 16, "NETWORK_ID": 1},
            "stream": {}, "taps": [], **info_extra}
    (folder / "harness.json").write_text(json.dumps(info))
    return folder


def test_no_progress_limit_follows_the_builds_latency(tmp_path):
    from dietsnn.errors import TransportError
    from dietsnn.harness import Harness
    from sim.harness import stall_limit

    report = {"layers": [{"nodes": [{"cycles": 900_000}, {"cycles": 1_400_000}]}], "interconnect": [{"cycles": 10}]}
    latency, limit = stall_limit(report)  # a slow build (fc1 draining 1.4M cycles per frame)
    assert latency == 2_300_010 and limit > 2_000_000 and limit >= 4 * latency
    h = Harness(_fake_harness(tmp_path / "h", 4, {"latency_cycles": latency, "max_stall": limit}))
    with pytest.raises(TransportError, match=r"dietsnn_sim\) stalled: no stream progress.*the limit follows the "
                                             r"build's latency of 2300010 cycles"):
        h.run(np.zeros(8, np.uint8))
    args = (tmp_path / "h" / "args.txt").read_text().split()
    assert args[args.index("--max-stall") + 1] == str(limit)


def test_a_corrupt_harness_description_names_the_file(tmp_path):
    from dietsnn.errors import TransportError
    from dietsnn.harness import Harness

    folder = _fake_harness(tmp_path / "h", 0, {})
    (folder / "harness.json").write_text('{"exe": "dietsnn_sim", "parameters": {')
    with pytest.raises(TransportError, match=r"h/harness\.json: corrupt simulation harness description "
                                             r"\(JSONDecodeError"):
        Harness(folder)
    (folder / "harness.json").write_text('{"exe": "dietsnn_sim", "parameters": {}}')
    with pytest.raises(TransportError, match=r"h/harness\.json: corrupt simulation harness description "
                                             r"\(KeyError: 'IN_BEATS'\)"):
        Harness(folder)


@pytest.mark.parametrize("text, pattern", [
    ('{"top": ', r"d/stitched\.json: not valid JSON \(Expecting value"),
    ('{"top": "dietsnn_top"}', r"d/stitched\.json: field \w+: missing"),
])
def test_the_drivers_files_name_themselves_when_corrupt(files, tmp_path, monkeypatch, text, pattern):
    """The board package reads stitched.json through dietsnn.artifacts: a corrupt file is named, with the field."""
    import sys

    import hw.package
    from dietsnn.errors import DriverError

    build = tmp_path / "b"
    build.mkdir()
    shutil.copy(files / "a.snn.npz", build / "network.snn.npz")
    (build / "stitched.json").write_text(text)
    (build / "report.json").write_text("{}")
    hw.package.assemble_deploy(build, tmp_path / "d")
    monkeypatch.syspath_prepend(str(tmp_path / "d"))
    for name in [m for m in sys.modules if m.startswith("dietsnn_driver")]:
        monkeypatch.delitem(sys.modules, name)
    from dietsnn_driver import Accelerator

    with pytest.raises(DriverError, match=pattern):
        Accelerator(tmp_path / "d", transport="sim")


@pytest.mark.parametrize("argv, pattern", [
    (["train", "--config", "bad.yaml", "--out", "r"], r"bad\.yaml: not valid YAML"),
    (["train", "--config", "unknown_key.yaml", "--out", "r"], r"unknown_key\.yaml: unknown key\(s\) \['not_a_key'\]; "
                                                              r"expected some of \["),
    (["train", "--config", "no_such_config", "--out", "r"], r"config 'no_such_config' not found"),
    (["train", "--out", "fresh", "--resume"], r"--resume: fresh/checkpoint\.pt does not exist; nothing to resume"),
    (["train", "--out", "corrupt", "--resume"], r"corrupt/checkpoint\.pt: not a readable PyTorch checkpoint"),
    (["export", "corrupt"], r"corrupt/checkpoint\.pt: not a readable PyTorch checkpoint"),
], ids=["yaml", "unknown_key", "unknown_config", "resume_nothing", "resume_corrupt", "export_corrupt"])
def test_training_inputs(capsys, tmp_path, monkeypatch, argv, pattern):
    """The train-side checks (quant_train) reached through the command: named file, no traceback."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text("layers: [1, 2\n")
    (tmp_path / "unknown_key.yaml").write_text("seed: 3\nnot_a_key: 3\n")
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "checkpoint.pt").write_bytes(b"PK\x03\x04 truncated")
    misuse(capsys, argv, pattern)
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


@pytest.mark.parametrize("options, pattern", [
    ({"batch": 0}, r"batch must be a positive integer of frames \(or None: one batch\), not 0"),
    ({"batch": -4}, r"batch must be a positive integer of frames"),
    ({"max_stall": 0}, r"max_stall must be a positive integer of cycles, not 0"),
    ({"idle": 1.0}, r"idle must be a probability in \[0, 1\), not 1\.0"),
    ({"backpressure": -0.1}, r"backpressure must be a probability in \[0, 1\)"),
])
def test_simulated_accelerator_options(tmp_path, options, pattern):
    from dietsnn.harness import Harness

    h = Harness(_fake_harness(tmp_path / "h", 0, {}))
    with pytest.raises(ValueError, match=pattern):
        h.run(np.zeros(8, np.uint8), **options)
    assert not (tmp_path / "h" / "args.txt").exists()  # refused before the simulator ran
