"""Run the compiled Verilator model of the accelerator (``dietsnn_sim``, built by ``sim/harness.py``).

Only numpy and the standard library: the driver's ``sim`` transport uses it,
and so do the RTL benchmarks. The harness folder holds the executable, the
``.mem`` files it reads and ``harness.json`` (stream formats, parameters, taps).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import TransportError

#: no-progress limit of a harness whose harness.json predates the latency-based one
DEFAULT_MAX_STALL = 2_000_000


def default_jobs() -> int:
    """Simulator processes to run at once: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def steady_cycles_per_frame(frame_done) -> float | None:
    """Cycles per frame in steady state: the mean spacing of the frames' completions over the second half of a
    run (the first half fills the pipeline), None with fewer than three frames."""
    n = len(frame_done)
    return (frame_done[-1] - frame_done[n // 2]) / (n - 1 - n // 2) if n > 2 else None


@dataclass
class HarnessRun:
    """What one run of the simulated accelerator returned."""

    output: np.ndarray  #: the bytes the accelerator streamed out (uint8)
    cycles: int  #: clock cycles from reset release to the last output beat
    frame_start: np.ndarray  #: cycle each frame's first input beat was accepted
    frame_done: np.ndarray  #: cycle each frame's last output beat left
    taps: dict = field(default_factory=dict)  #: layer -> (beats, width) spike counts summed over frames
    load_cycles: int = 0  #: clock cycles of the weight load before the frames (``preload``), 0 without one


class Harness:
    """The simulated accelerator of one build."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        info = self.folder / "harness.json"
        if not info.is_file():
            raise TransportError(f"{info}: no simulation harness here (build one with "
                                 "`dietsnn deploy BUILD`, which runs sim/harness.py)")
        try:
            self.info = json.loads(info.read_text())
            self.exe = self.folder / self.info["exe"]
            p = self.info["parameters"]
            self.in_frame_bytes = int(p["IN_BEATS"]) * int(p["AXIS_IN_WIDTH"]) // 8
            self.out_frame_bytes = int(p["OUT_BEATS"]) * int(p["AXIS_OUT_WIDTH"]) // 8
            for key in ("stream", "taps"):
                self.info[key]  # noqa: B018  (present, read later)
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as e:
            raise TransportError(f"{info}: corrupt simulation harness description ({type(e).__name__}: {e}); "
                                 "rebuild it with `dietsnn deploy BUILD`") from e
        if not self.exe.is_file():
            raise TransportError(f"{self.exe}: the harness executable is missing (rebuild with `dietsnn deploy BUILD`)")

    def spike_map(self, layer: str, counts: np.ndarray) -> np.ndarray:
        """A tap's ``(beats, width)`` bit counts -> spikes per neuron summed over time (and frames):
        ``(C, H, W)`` for a feature map, ``(F,)`` for a dense layer."""
        t = next(t for t in self.info["taps"] if t["layer"] == layer)
        per_elem = counts[:, : t["per_beat"] * t["T"]].reshape(-1, t["T"]).sum(axis=1)
        shape = tuple(t["shape"])
        return per_elem.reshape(shape).transpose(2, 0, 1) if len(shape) == 3 else per_elem.reshape(shape)

    def spike_totals(self, taps: dict[str, np.ndarray]) -> dict[str, int]:
        """Spikes per tapped layer in ``taps`` (a run's, or several runs' summed)."""
        return {t["layer"]: int(self.spike_map(t["layer"], taps[t["layer"]]).sum()) for t in self.info["taps"]}

    @property
    def network_id(self) -> int:
        return int(self.info["parameters"]["NETWORK_ID"])

    @property
    def max_stall(self) -> int:
        """Cycles without a stream beat in or out after which a run fails: from the build's latency
        (``harness.json``, written by ``sim/harness.py``), else ``DEFAULT_MAX_STALL``."""
        return int(self.info.get("max_stall", DEFAULT_MAX_STALL))

    def weights(self) -> np.ndarray | None:
        """The weight-load transfer of a design with weights in UltraRAM (``weights.bin`` beside the harness,
        checked against ``harness.json``), else None. Whoever runs the model from reset sends it first."""
        rec = self.info.get("weights")
        if not rec:
            return None
        path = self.folder / rec["file"]
        if not path.is_file():
            raise TransportError(f"{path}: missing; the design keeps weights in UltraRAM and needs its load "
                                 "stream (rebuild the harness with `dietsnn deploy BUILD`)")
        data = np.fromfile(path, dtype=np.uint8)
        if data.size != int(rec["bytes"]):
            raise TransportError(f"{path}: {data.size} bytes, harness.json expects {rec['bytes']}")
        return data

    def run(self, data: np.ndarray, batch: int | None = None, idle: float = 0.0, backpressure: float = 0.0,
            seed: int = 1, taps: bool = False, max_stall: int | None = None,
            preload: np.ndarray | None = None) -> HarnessRun:
        """Stream ``data`` (whole frames of input bytes) through the model, TLAST after every ``batch`` frames.

        ``preload``: bytes sent after the reset and before the frames, as one transfer ending with TLAST (the
        weight load, ``weights()``; a design with weights in UltraRAM computes nothing without it).

        ``max_stall``: cycles without progress before the run fails (default ``self.max_stall``); the
        input gaps (``idle``) and output backpressure stretch the stalls, so the limit grows with them.
        """
        if max_stall is None:
            slow = 1.0 / max(1e-3, (1.0 - idle) * (1.0 - backpressure))
            max_stall = int(self.max_stall * slow)
        if not isinstance(max_stall, (int, np.integer)) or max_stall < 1:
            raise ValueError(f"max_stall must be a positive integer of cycles, not {max_stall!r}")
        if batch is not None and (isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1):
            raise ValueError(f"batch must be a positive integer of frames (or None: one batch), not {batch!r}")
        for name, p in (("idle", idle), ("backpressure", backpressure)):
            if not 0.0 <= p < 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1), not {p!r}")
        data = np.ascontiguousarray(data, dtype=np.uint8).reshape(-1)
        if data.size == 0 or data.size % self.in_frame_bytes:
            raise TransportError(f"{data.size} input bytes are not a positive whole number of frames of "
                                 f"{self.in_frame_bytes} bytes")
        frames = data.size // self.in_frame_bytes
        with tempfile.TemporaryDirectory(prefix="dietsnn_sim_") as tmp:
            tmp = Path(tmp)
            data.tofile(tmp / "in.bin")
            cmd = [str(self.exe), "--in", str(tmp / "in.bin"), "--out", str(tmp / "out.bin"), "--frames", str(frames),
                   "--batch", str(batch or frames), "--idle", repr(idle), "--backpressure", repr(backpressure),
                   "--seed", str(seed), "--stats", str(tmp / "stats.json"), "--mem-dir", str(self.folder.resolve()),
                   "--max-stall", str(max_stall)]
            if taps:
                cmd += ["--taps", str(tmp / "taps.bin")]
            if preload is not None:
                np.ascontiguousarray(preload, dtype=np.uint8).reshape(-1).tofile(tmp / "preload.bin")
                cmd += ["--preload", str(tmp / "preload.bin")]
            res = subprocess.run(cmd, capture_output=True, text=True)
            if res.returncode == 4:
                raise TransportError(f"simulated accelerator ({self.exe}) stalled: {res.stderr.strip()} (the limit "
                                     f"follows the build's latency of {self.info.get('latency_cycles', '?')} cycles "
                                     "per frame; pass max_stall to wait longer)")
            if res.returncode != 0:
                raise TransportError(f"simulated accelerator failed (exit {res.returncode}): {res.stderr.strip()}")
            out = np.fromfile(tmp / "out.bin", dtype=np.uint8)
            stats = json.loads((tmp / "stats.json").read_text())
            tap_counts = {}
            if taps:
                raw = np.fromfile(tmp / "taps.bin", dtype=np.uint64)
                off = 0
                for t in self.info["taps"]:
                    n = t["beats"] * t["width"]
                    tap_counts[t["layer"]] = raw[off:off + n].reshape(t["beats"], t["width"]).astype(np.int64)
                    off += n
        return HarnessRun(out, int(stats["cycles"]), np.array(stats["frame_start"], np.int64),
                          np.array(stats["frame_done"], np.int64), tap_counts, int(stats.get("load_cycles", 0)))

    def run_parts(self, parts, jobs: int | None = None, **options) -> list[HarnessRun]:
        """Independent runs of ``parts`` (each whole frames of input bytes), each in its own simulator process
        from reset, ``jobs`` processes at once (default ``default_jobs()``); the runs in the order of ``parts``.

        Every frame is computed from a reset state (SPEC: the membranes start at zero per frame), so splitting
        a stream into parts changes no output; each part's cycle counts start at its own reset. ``options`` are
        ``run``'s; the first failing part raises.
        """
        parts = list(parts)
        if jobs is None:
            jobs = default_jobs()
        if isinstance(jobs, bool) or not isinstance(jobs, (int, np.integer)) or jobs < 1:
            raise ValueError(f"jobs must be a positive integer of processes, not {jobs!r}")
        if len(parts) <= 1 or jobs == 1:
            return [self.run(p, **options) for p in parts]
        with ThreadPoolExecutor(min(int(jobs), len(parts))) as pool:  # each thread waits on one process
            return list(pool.map(lambda p: self.run(p, **options), parts))
