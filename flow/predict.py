"""Scores of a network at one level of the flow: the numpy golden, QONNX execution, the FINN dataflow graph,
the stitched RTL under Verilator, or every layer's HLS C simulation in a chain (``dietsnn predict --level``).

Every level gets the same checks: the images against the network's input
(``dietsnn.ref.network.check_images``: shape, integer dtype, pixel range, at
least one image), ``T`` applied (golden, qonnx, dataflow compiled now) or
refused (a ``--build`` compiled at another ``T``), and a ``--build`` made from
another network refused by its content identity (``IntNetwork.digest``, whose
first 32 bits are the accelerator's ``NETWORK_ID``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

LEVELS = ("golden", "qonnx", "dataflow", "rtl", "hls")


class BuildMismatch(ValueError):
    """A ``--build`` that was compiled from another network (or at another ``T``) than the one named."""


def check_prediction_images(net, images: np.ndarray, what: str = "images") -> np.ndarray:
    """The check every level applies: ``(N, C, H, W)`` integers in the network's pixel range, ``N >= 1``."""
    from dietsnn.ref.network import check_images

    images = np.asarray(images)
    check_images(net, images, what)
    if len(images) == 0:
        raise ValueError(f"{what}: expected at least one image of shape "
                         f"({', '.join(map(str, net.input_shape))}), got shape {images.shape}")
    return images


def _build_network(build: Path):
    from dietsnn.netfile import IntNetwork

    path = build / "network.snn.npz"
    if not path.is_file():
        raise FileNotFoundError(f"--build {build}: no network.snn.npz (not a folder made by `dietsnn compile`)")
    return IntNetwork.load(path)


def check_build_matches(net, build: str | Path, T_given: bool = False) -> None:
    """Refuse ``build`` unless it was compiled from ``net`` (same content, ``T`` included)."""
    build = Path(build)
    if not build.is_dir():
        raise FileNotFoundError(f"--build {build}: no such build folder (make one with `dietsnn compile`)")
    built = _build_network(build)
    if built.digest() == net.digest():
        return
    if built.T != net.T and built.replace_T(net.T).digest() == net.digest():
        how = "--T" if T_given else "the network file's T"
        raise BuildMismatch(f"--build {build} was compiled for T={built.T}, but {how} is {net.T}: the hardware fixes "
                            f"T; compile a build at T={net.T} (a network file with T={net.T}) or predict with "
                            f"--T {built.T}")
    raise BuildMismatch(f"--build {build} was compiled from another network (content {built.digest()[:12]}..., "
                        f"the named network is {net.digest()[:12]}...): predict with the network it was built "
                        f"from ({build / 'network.snn.npz'}), or compile this one")


def predict_scores(net, images, level: str, build: str | None = None, T: int | None = None):
    """Scores (int64 ``(N, classes)``) and labels of ``net`` on ``images`` at one level of the flow.

    ``T``: the timesteps to run (default ``net.T``); ``build``: a ``dietsnn compile`` folder
    (``dataflow``: optional, compiled now otherwise; ``rtl``: required, also stitched; ``hls``: required, compiled
    with ``--impl rtl`` or ``--impl hls``: its layers' HLS C simulations run in a chain, ``sim.hls_chain``).
    """
    if level not in LEVELS:
        raise ValueError(f"--level {level!r}: expected one of {', '.join(LEVELS)}")
    if T is not None:
        from dietsnn.netfile import MAX_T

        if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or not 1 <= T <= MAX_T:
            raise ValueError(f"--T must be an integer in 1..{MAX_T}, not {T!r}")
        net = net.replace_T(int(T))
    images = check_prediction_images(net, images)
    if level == "golden":
        from dietsnn.ref import run_network

        res = run_network(net, images)
        return res.scores, res.pred
    from dietsnn.ref import predict_label

    if level == "qonnx":
        from hw.qonnx_export import execute_qonnx

        scores = execute_qonnx(net, images)
        return scores, predict_label(scores)
    if level == "dataflow":
        from hw.compile import CompileOptions, build_dataflow, load_dataflow
        from hw.execute import execute_dataflow

        if build:
            check_build_matches(net, build, T is not None)
            model = load_dataflow(build)
        else:
            model = build_dataflow(net, CompileOptions()).model
        scores = execute_dataflow(model, images)
        return scores, predict_label(scores)
    if level == "hls":
        from sim.hls_chain import run_hls_chain

        if not build:
            raise ValueError("--level hls needs --build (a folder made by `dietsnn compile`, --impl rtl or hls)")
        check_build_matches(net, build, T is not None)
        scores = run_hls_chain(build, images)
        return scores, predict_label(scores)
    # rtl
    from dietsnn.netfile import network_id
    from sim.harness import build_harness, run_images_parallel

    if not build:
        raise ValueError("--level rtl needs --build (a folder made by `dietsnn compile` and `dietsnn stitch`)")
    check_build_matches(net, build, T is not None)
    harness = build_harness(build)  # the Verilator model of BUILD's stitched RTL
    from dietsnn.harness import Harness

    h = Harness(harness)
    if h.network_id != network_id(net):
        raise BuildMismatch(f"--build {build}: its stitched accelerator carries NETWORK_ID 0x{h.network_id:08x}, "
                            f"the named network is 0x{network_id(net):08x}: stitch the build again "
                            f"(`dietsnn stitch {build}`)")
    values, _ = run_images_parallel(h, images)  # parts of the images in parallel simulator processes
    scores = values[:, : net.num_classes]
    return scores, predict_label(scores)
