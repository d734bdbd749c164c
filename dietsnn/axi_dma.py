"""Xilinx AXI DMA (PG021) in simple (direct register) mode: the register layout both transports use.

The block design connects ``axi_dma_0``'s MM2S stream to the accelerator's
input and the accelerator's output to S2MM. One batch is one MM2S transfer of
whole frames (the DMA ends it with TLAST) and one S2MM transfer back (the
accelerator ends it with TLAST after the batch's last frame). The same
register sequence drives the board's DMA through PYNQ's ``MMIO`` and the
simulated one (``sim_dma.SimAxiDma``).
"""

from __future__ import annotations

import time

from .errors import TransportError

# register offsets (PG021, "Register Space", direct register mode)
MM2S_DMACR, MM2S_DMASR, MM2S_SA, MM2S_SA_MSB, MM2S_LENGTH = 0x00, 0x04, 0x18, 0x1C, 0x28
S2MM_DMACR, S2MM_DMASR, S2MM_DA, S2MM_DA_MSB, S2MM_LENGTH = 0x30, 0x34, 0x48, 0x4C, 0x58
# DMACR bits
CR_RUN, CR_RESET = 1 << 0, 1 << 2
# DMASR bits
SR_HALTED, SR_IDLE, SR_INT_ERR, SR_SLV_ERR, SR_DEC_ERR = 1 << 0, 1 << 1, 1 << 4, 1 << 5, 1 << 6
SR_IOC_IRQ, SR_ERR_IRQ = 1 << 12, 1 << 14
SR_ERRORS = {SR_INT_ERR: "DMAIntErr (stream/length mismatch)", SR_SLV_ERR: "DMASlvErr (memory slave error)",
             SR_DEC_ERR: "DMADecErr (address decode error)"}
#: the register space of one AXI DMA (PG021): 64 KiB
ADDRESS_RANGE = 0x10000
#: c_sg_length_width = 26 in the block design: one transfer moves at most 2**26 - 1 bytes
MAX_TRANSFER = (1 << 26) - 1


def status_errors(status: int) -> list[str]:
    """Names of the error bits set in a DMASR value."""
    return [name for bit, name in SR_ERRORS.items() if status & bit]


class AxiDma:
    """Programs one AXI DMA through ``mmio`` (anything with ``read(offset)`` and ``write(offset, value)``)."""

    def __init__(self, mmio, timeout_s: float = 10.0):
        self.mmio = mmio
        self.timeout_s = timeout_s

    def reset(self) -> None:
        self.mmio.write(MM2S_DMACR, CR_RESET)  # resets both channels
        deadline = time.monotonic() + self.timeout_s
        while self.mmio.read(MM2S_DMACR) & CR_RESET:
            if time.monotonic() > deadline:
                raise TransportError("AXI DMA did not come out of reset")
        self.mmio.write(MM2S_DMACR, CR_RUN)
        self.mmio.write(S2MM_DMACR, CR_RUN)

    def start(self, src_addr: int, src_bytes: int, dst_addr: int, dst_bytes: int) -> None:
        """Arm the receive channel for ``dst_bytes`` at ``dst_addr``, then send ``src_bytes`` from ``src_addr``."""
        for what, n in (("send", src_bytes), ("receive", dst_bytes)):
            if not 0 < n <= MAX_TRANSFER:
                raise TransportError(f"{what} transfer of {n} bytes: AXI DMA moves 1..{MAX_TRANSFER} bytes at once")
        for ch, cr, sr, addr_reg, msb_reg, len_reg, addr, n in (
                ("S2MM", S2MM_DMACR, S2MM_DMASR, S2MM_DA, S2MM_DA_MSB, S2MM_LENGTH, dst_addr, dst_bytes),
                ("MM2S", MM2S_DMACR, MM2S_DMASR, MM2S_SA, MM2S_SA_MSB, MM2S_LENGTH, src_addr, src_bytes)):
            status = self.mmio.read(sr)
            if status & SR_HALTED:
                self.mmio.write(cr, CR_RUN)
            self.mmio.write(sr, SR_IOC_IRQ | SR_ERR_IRQ)  # write 1 to clear
            self.mmio.write(addr_reg, addr & 0xFFFF_FFFF)
            self.mmio.write(msb_reg, addr >> 32)
            self.mmio.write(len_reg, n)  # writing the length starts the channel

    def wait(self) -> int:
        """Wait for both channels; returns the bytes the receive channel wrote."""
        deadline = time.monotonic() + self.timeout_s
        for ch, sr in (("MM2S", MM2S_DMASR), ("S2MM", S2MM_DMASR)):
            while True:
                status = self.mmio.read(sr)
                errs = status_errors(status)
                if errs:
                    raise TransportError(f"AXI DMA {ch} channel error: {', '.join(errs)} (DMASR=0x{status:08x})")
                if status & SR_IDLE:
                    break
                if time.monotonic() > deadline:
                    raise TransportError(f"AXI DMA {ch} transfer did not complete in {self.timeout_s} s "
                                         f"(DMASR=0x{status:08x}): is the bitfile loaded and the accelerator "
                                         "built for this network?")
        return self.mmio.read(S2MM_LENGTH)
