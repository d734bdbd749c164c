"""Where the bytes go: the board (``pynq``: Overlay, ``pynq.allocate`` buffers, the block design's AXI DMA
and reset GPIO) or the Verilator model of the same accelerator (``sim``). Both program the DMA through
``AxiDma`` and reset the accelerator through ``AccelReset`` (``dietsnn.axi_dma.recover``); when the weights
are in UltraRAM both send ``weights.bin`` after every reset (``dietsnn.weights``), the one load path."""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np

from dietsnn.artifacts import Stitched
from dietsnn.axi_dma import ADDRESS_RANGE, LENGTH_WIDTH, AccelReset, AxiDma, recover
from dietsnn.errors import TransportError
from dietsnn.harness import Harness
from dietsnn.sim_dma import SimAxiDma, SimAxiGpio, SimMemory
from dietsnn.weights import read_weights, send_weights

from .hwh import cell_parameter

DMA_CELL = "axi_dma_0"
ACCEL_CELL = "dietsnn_accel_0"
RESET_CELL = "accel_reset_gpio"
BITFILE = "dietsnn.bit"


def dma_limits(hwh: str | Path) -> dict:
    """``length_width`` and ``addr_width`` of the bitstream's AXI DMA, from its ``.hwh`` (``c_sg_length_width``,
    ``c_addr_width``), as PYNQ's own DMA driver reads them."""
    return {"length_width": cell_parameter(hwh, DMA_CELL, "c_sg_length_width"),
            "addr_width": cell_parameter(hwh, DMA_CELL, "c_addr_width")}


class _Transport:
    dma: AxiDma
    accel_reset: AccelReset
    _weights = None  #: the weight-load stream in a DMA buffer (weights in UltraRAM), else None
    _beat_bytes = 1

    def _read_weights(self, folder: Path) -> None:
        """Put the deploy folder's weight load (``weights.bin``, when ``stitched.json`` lists one) in a DMA
        buffer; ``recover`` sends it after every reset."""
        meta = folder / Stitched.FILE
        record = Stitched.load(meta).weight_load if meta.is_file() else None
        if record:
            data = read_weights(folder, record)
            self._beat_bytes = data.size // record["beats"]
            self._weights = self.allocate((data.size,), np.uint8)
            self._weights[:] = data
            self._weights.flush()

    def recover(self) -> None:
        """The accelerator and the DMA back to a clean start (after any DMA error), its weights loaded again."""
        recover(self.dma, self.accel_reset)
        if self._weights is not None:
            send_weights(self.dma, self._weights, self._beat_bytes)


class PynqTransport(_Transport):
    """The accelerator on a PYNQ board: loads ``dietsnn.bit`` (with ``dietsnn.hwh`` beside it)."""

    name = "pynq"

    def __init__(self, folder: str | Path, timeout_s: float = 10.0):
        bit = Path(folder) / BITFILE
        hwh = bit.with_suffix(".hwh")
        for f in (bit, hwh):
            if not f.is_file():
                raise TransportError(f"{f}: missing (the bitstream flow writes {BITFILE} and its .hwh to BUILD/deploy)")
        from pynq import MMIO, Overlay, allocate  # board only

        self.network_id = cell_parameter(hwh, ACCEL_CELL, "NETWORK_ID")
        limits = dma_limits(hwh)
        self.overlay = Overlay(str(bit))
        for cell in (DMA_CELL, RESET_CELL):
            if cell not in self.overlay.ip_dict:
                raise TransportError(f"{bit}: the overlay has no {cell} (found {sorted(self.overlay.ip_dict)}): "
                                     "not a bitstream of this toolchain's block design")
        dma, gpio = self.overlay.ip_dict[DMA_CELL], self.overlay.ip_dict[RESET_CELL]
        self.dma = AxiDma(MMIO(dma["phys_addr"], dma.get("addr_range", ADDRESS_RANGE)), timeout_s, **limits)
        self.accel_reset = AccelReset(MMIO(gpio["phys_addr"], gpio.get("addr_range", ADDRESS_RANGE)))
        self._allocate = allocate
        self.last_run = None
        self._read_weights(Path(folder))
        self.recover()  # whatever ran before, start clean (and load the UltraRAM weights)

    def allocate(self, shape, dtype):
        return self._allocate(shape=shape, dtype=dtype)


class SimTransport(_Transport):
    """The stitched RTL under Verilator (``sim_harness/`` of the deploy folder), behind models of the DMA and
    of the reset GPIO, with the block design's DMA limits (or the bitstream's, when ``dietsnn.hwh`` is there).

    The model answers a transfer before the driver polls, so a transfer that has
    not completed then never will: ``timeout_s`` is short."""

    name = "sim"

    def __init__(self, folder: str | Path, idle: float = 0.0, backpressure: float = 0.0, seed: int = 1,
                 taps: bool = True, timeout_s: float = 0.5):
        self.harness = Harness(Path(folder) / "sim_harness")
        hwh = (Path(folder) / BITFILE).with_suffix(".hwh")
        limits = dma_limits(hwh) if hwh.is_file() else {"length_width": LENGTH_WIDTH, "addr_width": 64}
        self.memory = SimMemory()
        self.sim_dma = SimAxiDma(self.memory, self.harness, **limits, idle=idle, backpressure=backpressure,
                                 seed=seed, taps=taps)
        self.dma = AxiDma(self.sim_dma, timeout_s, **limits)
        self.accel_reset = AccelReset(SimAxiGpio(self.sim_dma))
        self._read_weights(Path(folder))
        self.recover()
        self.network_id = self.harness.network_id

    @property
    def last_run(self):
        return self.sim_dma.last_run

    def allocate(self, shape, dtype):
        return self.memory.allocate(shape, dtype)


def on_board() -> bool:
    """A PYNQ board: an ARM Linux with the ``pynq`` package."""
    if platform.machine() not in ("aarch64", "armv7l"):
        return False
    try:
        import pynq  # noqa: F401
    except ImportError:
        return False
    return True


def make_transport(kind: str, folder: str | Path, **options):
    if kind == "auto":
        kind = "pynq" if on_board() and (Path(folder) / BITFILE).is_file() else "sim"
    if kind == "pynq":
        return PynqTransport(folder, **{k: v for k, v in options.items() if k == "timeout_s"})
    if kind == "sim":
        return SimTransport(folder, **options)
    raise TransportError(f"transport must be 'auto', 'pynq' or 'sim', not {kind!r}")
