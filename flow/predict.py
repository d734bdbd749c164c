"""Scores of a network at one level of the flow: the numpy golden, QONNX execution, the FINN dataflow graph
or the stitched RTL under Verilator (``dietsnn predict --level``)."""

from __future__ import annotations


def predict_scores(net, images, level: str, build: str | None = None):
    """Scores and labels of ``net`` on ``images`` at one level of the flow."""
    if level == "golden":
        from dietsnn.ref import run_network

        res = run_network(net, images)
        return res.scores, res.pred
    if level == "qonnx":
        from hw.qonnx_export import execute_qonnx

        from dietsnn.ref import predict_label

        scores = execute_qonnx(net, images)
        return scores, predict_label(scores)
    if level == "dataflow":
        from hw.compile import CompileOptions, build_dataflow, load_dataflow
        from hw.execute import execute_dataflow

        from dietsnn.ref import predict_label

        model = load_dataflow(build) if build else build_dataflow(net, CompileOptions()).model
        scores = execute_dataflow(model, images)
        return scores, predict_label(scores)
    if level == "rtl":
        from sim.harness import build_harness, run_images

        from dietsnn.ref import predict_label

        if not build:
            raise ValueError("--level rtl needs --build (a folder made by `dietsnn compile` and `dietsnn stitch`)")
        values, _ = run_images(build_harness(build), images)  # the Verilator model of BUILD's stitched RTL
        scores = values[:, : net.num_classes]
        return scores, predict_label(scores)
    raise ValueError(f"--level {level!r}: expected one of {', '.join(LEVELS)}")


LEVELS = ("golden", "qonnx", "dataflow", "rtl")
