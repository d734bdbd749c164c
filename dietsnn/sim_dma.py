"""The ``sim`` transport's side of the DMA: memory buffers with physical addresses and a register-level
model of AXI DMA (PG021, simple mode) whose data path is the Verilator model of the accelerator.

The driver programs it with the same ``AxiDma`` register sequence as the
board's DMA; only ``pynq.allocate`` and ``pynq.MMIO`` are replaced.
"""

from __future__ import annotations

import numpy as np

from . import axi_dma as R
from .errors import TransportError
from .harness import Harness


class SimBuffer(np.ndarray):
    """A numpy array with a (simulated) physical address, like ``pynq.buffer.PynqBuffer``."""

    physical_address: int

    def flush(self) -> None:  # the board flushes caches; simulated memory is coherent
        pass

    def invalidate(self) -> None:
        pass


class SimMemory:
    """Contiguous buffers at distinct addresses, 4 KiB aligned."""

    def __init__(self, base: int = 0x1000_0000):
        self._next = base
        self._buffers: list[SimBuffer] = []

    def allocate(self, shape, dtype=np.uint8) -> SimBuffer:
        buf = np.zeros(shape, dtype=dtype).view(SimBuffer)
        buf.physical_address = self._next
        self._next += (buf.nbytes + 0xFFF) // 0x1000 * 0x1000 + 0x1000
        self._buffers.append(buf)
        return buf

    def _find(self, addr: int, n: int) -> tuple[SimBuffer, int]:
        for b in self._buffers:
            off = addr - b.physical_address
            if 0 <= off and off + n <= b.nbytes:
                return b, off
        raise TransportError(f"DMA access of {n} bytes at 0x{addr:x} is outside every allocated buffer")

    def read(self, addr: int, n: int) -> np.ndarray:
        b, off = self._find(addr, n)
        return b.reshape(-1).view(np.uint8)[off:off + n].copy()

    def write(self, addr: int, data: np.ndarray) -> None:
        b, off = self._find(addr, data.size)
        b.reshape(-1).view(np.uint8)[off:off + data.size] = data


class SimAxiDma:
    """Register file of one AXI DMA: a transfer runs when both channels have been given a length."""

    def __init__(self, memory: SimMemory, harness: Harness, **run_options):
        self.memory, self.harness, self.run_options = memory, harness, run_options
        self.regs = {R.MM2S_DMASR: R.SR_HALTED | R.SR_IDLE, R.S2MM_DMASR: R.SR_HALTED | R.SR_IDLE}
        self._armed = {"MM2S": None, "S2MM": None}
        self.last_run = None

    def read(self, offset: int) -> int:
        return int(self.regs.get(offset, 0))

    def write(self, offset: int, value: int) -> None:
        value = int(value)
        if offset in (R.MM2S_DMASR, R.S2MM_DMASR):  # write 1 to clear the interrupt bits
            self.regs[offset] &= ~(value & (R.SR_IOC_IRQ | R.SR_ERR_IRQ))
            return
        if offset == R.MM2S_DMACR and value & R.CR_RESET:
            self.regs = {R.MM2S_DMASR: R.SR_HALTED | R.SR_IDLE, R.S2MM_DMASR: R.SR_HALTED | R.SR_IDLE}
            self._armed = {"MM2S": None, "S2MM": None}
            return
        self.regs[offset] = value
        for cr, sr in ((R.MM2S_DMACR, R.MM2S_DMASR), (R.S2MM_DMACR, R.S2MM_DMASR)):
            if offset == cr:
                self.regs[sr] = (self.regs[sr] & ~R.SR_HALTED) if value & R.CR_RUN else (self.regs[sr] | R.SR_HALTED)
        for ch, len_reg, addr_reg, msb_reg, cr, sr in (
                ("MM2S", R.MM2S_LENGTH, R.MM2S_SA, R.MM2S_SA_MSB, R.MM2S_DMACR, R.MM2S_DMASR),
                ("S2MM", R.S2MM_LENGTH, R.S2MM_DA, R.S2MM_DA_MSB, R.S2MM_DMACR, R.S2MM_DMASR)):
            if offset == len_reg:
                if not self.read(cr) & R.CR_RUN:
                    raise TransportError(f"{ch} length written while the channel is halted (set DMACR.RS first)")
                self._armed[ch] = (self.read(addr_reg) | self.read(msb_reg) << 32, value)
                self.regs[sr] &= ~R.SR_IDLE
        if self._armed["MM2S"] and self._armed["S2MM"]:
            self._transfer()

    def _transfer(self) -> None:
        (src, n_in), (dst, n_out) = self._armed["MM2S"], self._armed["S2MM"]
        self._armed = {"MM2S": None, "S2MM": None}
        h = self.harness
        if n_in % h.in_frame_bytes:
            raise TransportError(f"MM2S transfer of {n_in} bytes is not whole frames of {h.in_frame_bytes} bytes: "
                                 "the accelerator would wait for the rest and the receive channel never complete")
        run = h.run(self.memory.read(src, n_in), batch=n_in // h.in_frame_bytes, **self.run_options)
        self.last_run = run
        self.regs[R.MM2S_DMASR] |= R.SR_IDLE | R.SR_IOC_IRQ
        if run.output.size > n_out:  # S2MM buffer full before TLAST: PG021's DMAIntErr, channel halts
            self.regs[R.S2MM_DMASR] |= R.SR_INT_ERR | R.SR_ERR_IRQ | R.SR_HALTED
            return
        self.memory.write(dst, run.output)
        self.regs[R.S2MM_LENGTH] = run.output.size
        self.regs[R.S2MM_DMASR] |= R.SR_IDLE | R.SR_IOC_IRQ
