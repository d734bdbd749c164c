"""The HLS path as a whole network (``sim.hls_chain``, ``dietsnn predict --level hls``): every layer's g++ C
simulation in a chain with FINN's padding, sliding window, FIFOs and width converters, equal to the golden.

A small random network (``dietsnn.testing.random_network``: image conv, pool, spike conv, dense LIF, output;
T=3, folded with SIMD and PE above 1) compiled with ``--impl hls`` and with ``--impl rtl``; the C simulations
are cached by content, so the second build reuses the first's binaries. Also: the stream text format, a failing
stage named, and the predict checks (images, another network's build, T).
"""

from __future__ import annotations

import numpy as np
import pytest

from dietsnn.ref import run_network
from dietsnn.testing import random_network
from flow.predict import BuildMismatch, predict_scores
from hw.compile import CompileOptions, compile_network
from sim.hls_chain import ChainError, HlsChain, hex_lines, parse_hex_lines

IN_SHAPE = (1, 9, 9)
FPS = 1e6  # 200 cycles per frame at 200 MHz: the layers folded with SIMD or PE above 1


@pytest.fixture(scope="module")
def chain_case(tmp_path_factory):
    rng = np.random.default_rng(21)
    net = random_network(rng, T=3, in_shape=IN_SHAPE)
    root = tmp_path_factory.mktemp("hls_chain")
    net.save(root / "net.snn.npz")
    images = rng.integers(0, 256, (13, *IN_SHAPE)).astype(np.uint8)
    return net, root, images


def _build(root, impl):
    build = root / f"build_{impl}"
    if not build.exists():
        compile_network(root / "net.snn.npz", build, CompileOptions(fps=FPS, impl=impl))
    return build


@pytest.mark.parametrize("impl", ["hls", "rtl"])
def test_chain_equals_golden(chain_case, impl):
    net, root, images = chain_case
    build = _build(root, impl)
    chain = HlsChain(build, jobs=2, chunk=5)  # 13 images: chunks of 5, 5 and 3, two at a time
    kinds = {s.node: s.how for s in chain.stages}
    assert {n: kinds[n] for n in ("conv1", "pool1", "conv2", "fc1", "fc2")} == dict.fromkeys(
        ("conv1", "pool1", "conv2", "fc1", "fc2"), "csim")
    assert {s.op_type.split("_")[0] for s in chain.stages if s.how == "finn"} == {"FMPadding",
                                                                                  "ConvolutionInputGenerator"}
    folded = [s for s in chain.stages if s.how == "csim" and max(s.src.per_beat, s.dst.per_beat) > 1]
    assert len(folded) >= 3, "the test should exercise beats of several elements"
    golden = run_network(net, images)
    assert np.array_equal(chain.run(images), golden.scores)
    scores, pred = predict_scores(net, images[:4], "hls", str(build))
    assert np.array_equal(scores, golden.scores[:4]) and np.array_equal(pred, golden.pred[:4])


def test_a_failing_stage_is_named(chain_case, tmp_path):
    net, root, images = chain_case
    chain = HlsChain(_build(root, "hls"), jobs=1)
    fake = tmp_path / "csim"
    fake.write_text("#!/bin/sh\necho 'the top function left 3 input beats unread' >&2\nexit 1\n")
    fake.chmod(0o755)
    i = next(k for k, s in enumerate(chain.stages) if s.node == "conv2")
    from dataclasses import replace

    chain.stages[i] = replace(chain.stages[i], binary=fake)
    with pytest.raises(ChainError, match=r"node conv2 \(SnnLIFMVU_hls\): its C simulation \(\S+csim\) failed "
                                         r"\(exit 1\): the top function left 3 input beats unread"):
        chain.run(images[:2])
    fake.write_text("#!/bin/sh\nprintf '12\\n' > \"$2\"\n")  # one short beat: the output is not the layer's
    with pytest.raises(ChainError, match=r"node conv2 \(SnnLIFMVU_hls\): unexpected output of its C simulation"):
        chain.run(images[:2])
    pad = next(s for s in chain.stages if s.how == "finn")  # FINN's float32 execution: exact integers only
    with pytest.raises(ChainError, match=rf"node {pad.node} \(\w+\): input values up to 16777216 are not exact"):
        chain._run_finn(pad, np.full((1, *pad.in_shape), 2**24, np.int64))


def test_predict_checks_at_the_hls_level(chain_case):
    net, root, images = chain_case
    build = str(_build(root, "hls"))
    with pytest.raises(ValueError, match=r"--level hls needs --build"):
        predict_scores(net, images, "hls")
    with pytest.raises(ValueError, match=r"images: expected shape \(N, 1, 9, 9\)"):
        predict_scores(net, images[:, :, :8], "hls", build)
    with pytest.raises(BuildMismatch, match=r"was compiled for T=3, but --T is 4"):
        predict_scores(net, images, "hls", build, T=4)
    other = random_network(np.random.default_rng(22), T=3, in_shape=IN_SHAPE)
    with pytest.raises(BuildMismatch, match=r"was compiled from another network"):
        predict_scores(other, images, "hls", build)
    with pytest.raises(FileNotFoundError, match=r"no dataflow\.onnx"):
        HlsChain(root)


@pytest.mark.parametrize("width", [1, 4, 5, 12, 64, 161])
def test_hex_lines_round_trip(width):
    rng = np.random.default_rng(width)
    nbytes = (width + 7) // 8
    rows = rng.integers(0, 256, (7, nbytes)).astype(np.uint8)
    rows[:, -1] &= (1 << (width - 8 * (nbytes - 1))) - 1  # no bits above the width
    text = hex_lines(rows)
    digits = (width + 3) // 4
    lines = [ln[len(ln) - digits:] for ln in text.decode().split()]  # the C simulation writes exactly this many
    back = parse_hex_lines(("\n".join(lines) + "\n").encode(), width)
    assert np.array_equal(back, rows)
    assert [int(ln, 16) for ln in lines] == [int.from_bytes(r.tobytes(), "little") for r in rows]


def test_hex_lines_refuse_bad_text():
    with pytest.raises(ValueError, match="lines of 3 hexadecimal digits"):
        parse_hex_lines(b"12\n345\n", 12)
    with pytest.raises(ValueError, match="non-hexadecimal"):
        parse_hex_lines(b"1g3\n", 12)
