"""Where the bytes go: the board (``pynq``: Overlay, ``pynq.allocate`` buffers, the block design's AXI DMA)
or the Verilator model of the same accelerator (``sim``). Both program the DMA through ``AxiDma``."""

from __future__ import annotations

import platform
from pathlib import Path

from dietsnn.axi_dma import ADDRESS_RANGE, AxiDma
from dietsnn.errors import TransportError
from dietsnn.harness import Harness
from dietsnn.sim_dma import SimAxiDma, SimMemory

from .hwh import cell_parameter

DMA_CELL = "axi_dma_0"
ACCEL_CELL = "dietsnn_accel_0"
BITFILE = "dietsnn.bit"


class PynqTransport:
    """The accelerator on a PYNQ board: loads ``dietsnn.bit`` (with ``dietsnn.hwh`` beside it)."""

    name = "pynq"

    def __init__(self, folder: str | Path, timeout_s: float = 10.0):
        bit = Path(folder) / BITFILE
        hwh = bit.with_suffix(".hwh")
        for f in (bit, hwh):
            if not f.is_file():
                raise TransportError(f"{f}: missing (the bitstream flow writes {BITFILE} and its .hwh to BUILD/deploy)")
        from pynq import MMIO, Overlay, allocate  # board only

        self.overlay = Overlay(str(bit))
        if DMA_CELL not in self.overlay.ip_dict:
            raise TransportError(f"{bit}: the overlay has no {DMA_CELL} (found {sorted(self.overlay.ip_dict)})")
        desc = self.overlay.ip_dict[DMA_CELL]
        self.dma = AxiDma(MMIO(desc["phys_addr"], desc.get("addr_range", ADDRESS_RANGE)), timeout_s)
        self.dma.reset()
        self._allocate = allocate
        self.network_id = cell_parameter(hwh, ACCEL_CELL, "NETWORK_ID")
        self.last_run = None

    def allocate(self, shape, dtype):
        return self._allocate(shape=shape, dtype=dtype)


class SimTransport:
    """The stitched RTL under Verilator (``sim_harness/`` of the deploy folder), behind a model of the DMA."""

    name = "sim"

    def __init__(self, folder: str | Path, idle: float = 0.0, backpressure: float = 0.0, seed: int = 1,
                 taps: bool = True):
        self.harness = Harness(Path(folder) / "sim_harness")
        self.memory = SimMemory()
        self.sim_dma = SimAxiDma(self.memory, self.harness, idle=idle, backpressure=backpressure, seed=seed,
                                 taps=taps)
        self.dma = AxiDma(self.sim_dma)
        self.dma.reset()
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
        return SimTransport(folder, **{k: v for k, v in options.items() if k != "timeout_s"})
    raise TransportError(f"transport must be 'auto', 'pynq' or 'sim', not {kind!r}")
