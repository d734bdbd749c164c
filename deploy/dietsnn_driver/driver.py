"""``Accelerator``: T=5 DIET-SNN inference on the FPGA (or its RTL simulation), PYNQ style.

    from dietsnn_driver import Accelerator
    acc = Accelerator("BUILD/deploy")            # pynq on a board, sim elsewhere
    labels = acc.predict(images)                 # (N, C, H, W) uint8 -> (N,) labels
    scores = acc.scores(images)                  # integer scores, bit-exact with dietsnn.ref
    acc.throughput_test()                        # frames/s and latency

The deploy folder holds ``network.snn.npz`` (the integer network),
``stitched.json`` (stream formats and the accelerator's parameters),
``report.json`` (the target clock), and ``dietsnn.bit``/``dietsnn.hwh`` with
``build_report.json`` (the clock the bitstream achieved, Vivado's timing) on the
board, or ``sim_harness/`` (simulation). Packing and unpacking are
``dietsnn.frames`` (the SPEC's stream formats, numpy only).

After any DMA error (an error bit, a transfer that does not complete) the
driver resets the accelerator and the DMA before it raises, so the next call
starts clean instead of receiving the outputs of a broken batch.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np

from dietsnn.artifacts import ArtifactError, CompileReport, Stitched
from dietsnn.errors import DriverError, InputError, NetworkMismatchError, TransportError
from dietsnn.frames import pack_images, unpack_outputs
from dietsnn.netfile import IntNetwork, network_id
from dietsnn.ref.accumulate import predict_label

from .transports import make_transport

log = logging.getLogger(__name__)


def build_clock(folder: Path) -> tuple[float | None, str]:
    """``(MHz, where it comes from)``: the clock the bitstream achieved (``build_report.json``, read back from
    the routed design), else the build's target clock (``report.json``), else ``(None, ...)``."""
    build_report, report = folder / "build_report.json", folder / CompileReport.FILE
    if build_report.is_file():
        try:
            return float(json.loads(build_report.read_text())["clock_mhz"]), \
                f"achieved by the bitstream ({build_report.name})"
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise DriverError(f"{build_report}: no readable 'clock_mhz' ({type(e).__name__}: {e})") from e
    if report.is_file():
        try:
            return CompileReport.load(report).clock_mhz, f"target of the build; no bitstream report ({report.name})"
        except ArtifactError as e:
            raise DriverError(str(e)) from e
    return None, "unknown: neither build_report.json nor report.json in the deploy folder"


class Accelerator:
    """One loaded accelerator: the network's parameters checked against the hardware's."""

    def __init__(self, folder: str | Path = ".", transport: str = "auto", batch_size: int = 1000, **options):
        self.folder = Path(folder)
        net_file = self.folder / "network.snn.npz"
        meta_file = self.folder / "stitched.json"
        for f in (net_file, meta_file):
            if not f.is_file():
                raise FileNotFoundError(f"{f}: missing; a deploy folder holds network.snn.npz and stitched.json "
                                        "(written by `dietsnn deploy BUILD` or `make bitstream`)")
        self.network = IntNetwork.load(net_file)
        try:
            meta = Stitched.load(meta_file)  # names the file and the field when it is corrupt
        except ArtifactError as e:
            raise DriverError(str(e)) from e
        self.params = dict(meta.accel_parameters)
        self.stream = meta.stream.to_dict()
        self.network_id = network_id(net_file)
        if self.params["NETWORK_ID"] != self.network_id:
            raise NetworkMismatchError(f"{meta_file} was stitched for network 0x{self.params['NETWORK_ID']:08x}, "
                                       f"but {net_file} is 0x{self.network_id:08x}")
        self.clock_mhz, self.clock_source = build_clock(self.folder)
        timing = self.folder / "build_report.json"
        if timing.is_file() and json.loads(timing.read_text()).get("timing_met") is False:
            log.warning("%s: the bitstream does not meet timing (written with --allow-timing-violation); its "
                        "results may be wrong", timing)
        self.transport = make_transport(transport, self.folder, **options)
        if self.transport.network_id != self.network_id:
            raise NetworkMismatchError(
                f"the {self.transport.name} accelerator carries network 0x{self.transport.network_id:08x}, but "
                f"{net_file} is 0x{self.network_id:08x}: the bitfile (or simulation) was built for another network")
        self.in_beat_bytes = self.params["AXIS_IN_WIDTH"] // 8
        self.out_beat_bytes = self.params["AXIS_OUT_WIDTH"] // 8
        self.in_frame_bytes = self.params["IN_BEATS"] * self.in_beat_bytes
        self.out_frame_bytes = self.params["OUT_BEATS"] * self.out_beat_bytes
        self.batch_size = self._check_batch(batch_size)
        limit = self.transport.dma.max_transfer // max(self.in_frame_bytes, self.out_frame_bytes)
        if self.batch_size > limit:
            raise InputError(f"batch_size {self.batch_size} needs transfers of {self.batch_size * self.in_frame_bytes} "
                             f"bytes, above the DMA's {self.transport.dma.max_transfer} (c_sg_length_width "
                             f"{self.transport.dma.length_width}): at most {limit} frames per batch")
        self._buffers = None
        self._observed: dict[str, int] = {}

    # ---- input checks: nothing is cast, clipped or reshaped silently
    @staticmethod
    def _check_batch(batch_size) -> int:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise InputError(f"batch_size must be a positive integer, not {batch_size!r}")
        return int(batch_size)

    def check_images(self, images) -> np.ndarray:
        """``images`` must be an integer ``(N, C, H, W)`` array of the network's input shape and bit width."""
        shape = tuple(self.network.input_shape)
        if not isinstance(images, np.ndarray):
            raise InputError(f"images must be a numpy array of shape (N, {', '.join(map(str, shape))}), "
                             f"not {type(images).__name__}")
        if images.ndim != 4 or tuple(images.shape[1:]) != shape:
            hint = " (one image: pass images[None])" if tuple(images.shape) == shape else ""
            raise InputError(f"images must have shape (N, {', '.join(map(str, shape))}), not {images.shape}{hint}")
        if len(images) == 0:
            raise InputError("images is empty: need at least one image")
        if images.dtype.kind not in "ui":
            raise InputError(f"images must be integers (uint8 pixels 0..{(1 << self.network.input_bits) - 1}), "
                             f"not {images.dtype}; convert explicitly, e.g. np.round(x * 255).astype(np.uint8)")
        hi = (1 << self.network.input_bits) - 1
        lo_v, hi_v = int(images.min()), int(images.max())
        if lo_v < 0 or hi_v > hi:
            raise InputError(f"pixel values {lo_v}..{hi_v} are outside the network's {self.network.input_bits}-bit "
                             f"input range 0..{hi}")
        return images

    # ---- inference
    def _buffers_for(self, n: int):
        if self._buffers is None or len(self._buffers[0]) < n:
            self._buffers = (self.transport.allocate((n, self.in_frame_bytes), np.uint8),
                             self.transport.allocate((n, self.out_frame_bytes), np.uint8))
        return self._buffers

    def pack(self, images: np.ndarray) -> np.ndarray:
        """Images -> the input bytes of the DMA (NHWC pixels, SPEC stream format)."""
        return pack_images(images, self.stream, self.params)

    def unpack(self, data: np.ndarray) -> np.ndarray:
        """Output bytes of the DMA -> integer scores ``(N, classes)``."""
        return unpack_outputs(data, self.stream, self.params)[:, : self.network.num_classes]

    def _run_batch(self, frames: np.ndarray) -> np.ndarray:
        n = len(frames)
        inbuf, outbuf = self._buffers_for(min(self.batch_size, max(n, 1)))
        inbuf[:n] = frames
        inbuf.flush()
        try:
            self.transport.dma.start(inbuf.physical_address, n * self.in_frame_bytes, outbuf.physical_address,
                                     n * self.out_frame_bytes)
            got = self.transport.dma.wait()
            if got != n * self.out_frame_bytes:
                raise TransportError(f"received {got} bytes for {n} frames; expected {n * self.out_frame_bytes}")
        except TransportError as e:
            self.transport.recover()
            raise TransportError(f"{e}; the accelerator and the DMA were reset, the next call starts clean") from e
        outbuf.invalidate()
        run = self.transport.last_run
        if run is not None and run.taps:
            for layer, spikes in self.transport.harness.spike_totals(run.taps).items():
                self._observed[layer] = self._observed.get(layer, 0) + spikes
        return np.array(outbuf[:n])

    def scores(self, images: np.ndarray) -> np.ndarray:
        """Integer output scores ``(N, classes)``, equal to ``dietsnn.ref.run_network(...).scores``."""
        images = self.check_images(images)
        self._observed = {}
        packed = self.pack(images)
        out = [self._run_batch(packed[i:i + self.batch_size]) for i in range(0, len(packed), self.batch_size)]
        return self.unpack(np.concatenate(out))

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Labels ``(N,)``: the index of the largest score (the lowest index on ties, SPEC)."""
        return predict_label(self.scores(images))

    def observed_spikes(self) -> dict | None:
        """Spikes per spiking layer that the simulated RTL produced during the last ``scores``/``predict`` call,
        counted on the layers' output streams (``sim`` only: the board has no spike monitors, None there)."""
        return dict(self._observed) if self._observed else None

    def throughput_test(self, frames: int = 1000, seed: int = 0) -> dict:
        """Frames per second and latency on random images (batches of ``batch_size``, then one frame alone).

        On the board these are wall-clock numbers. In simulation the wall clock
        measures the simulator, so the result adds the simulated clock cycles and
        the frame rate and latency they mean at the build's clock.
        """
        if frames < 1:
            raise InputError(f"frames must be at least 1, not {frames}")
        rng = np.random.default_rng(seed)
        hi = 1 << self.network.input_bits
        images = rng.integers(0, hi, (frames, *self.network.input_shape)).astype(np.uint8)
        t0 = time.perf_counter()
        self.scores(images)
        wall = time.perf_counter() - t0
        run = self.transport.last_run
        t1 = time.perf_counter()
        self.scores(images[:1])
        latency = time.perf_counter() - t1
        result = {"transport": self.transport.name, "frames": frames, "batch_size": self.batch_size,
                  "seconds": wall, "fps": frames / wall, "latency_ms": latency * 1e3}
        if self.transport.name == "sim":
            one = self.transport.last_run
            done = run.frame_done
            steady = float(np.median(np.diff(done[len(done) // 2:]))) if len(done) > 3 else None
            lat_cycles = int(one.frame_done[0] - one.frame_start[0])
            result["simulated"] = {"cycles_per_frame": steady, "latency_cycles": lat_cycles,
                                   "clock_mhz": self.clock_mhz, "clock_source": self.clock_source}
            if self.clock_mhz and steady:
                result["simulated"]["fps_at_clock"] = self.clock_mhz * 1e6 / steady
                result["simulated"]["latency_us_at_clock"] = lat_cycles / self.clock_mhz
        return result
