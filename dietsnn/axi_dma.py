"""Xilinx AXI DMA (PG021) in simple (direct register) mode and the accelerator's reset GPIO (PG144): the
register sequences both transports use.

The block design connects ``axi_dma_0``'s MM2S stream to the accelerator's
input and the accelerator's output to S2MM. One batch is one MM2S transfer of
whole frames (the DMA ends it with TLAST) and one S2MM transfer back (the
accelerator ends it with TLAST after the batch's last frame). The same
register sequence drives the board's DMA through PYNQ's ``MMIO`` and the
simulated one (``sim_dma.SimAxiDma``).

The DMA's limits are those of the bitstream (PYNQ's own DMA driver reads them
from the ``.hwh`` the same way): ``c_sg_length_width`` bits of transfer length
(a longer length is cut to its low bits by the DMA: refused here) and
``c_addr_width`` bits of address.

After any DMA error the accelerator may hold part of a batch (a cut frame, the
outputs the receive channel did not take), and the next batch would come out
of step. ``recover`` resets both: ``accel_reset_gpio`` (an AXI GPIO on
``accel_reset/aux_reset_in``, active low, 1 after power-up) holds the
accelerator in reset while the DMA's own soft reset runs.
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
#: c_sg_length_width of the block design (hw/vivado/scripts.py): one transfer moves at most 2**26 - 1 bytes
LENGTH_WIDTH = 26
MAX_TRANSFER = (1 << LENGTH_WIDTH) - 1
#: AXI GPIO (PG144): channel 1 data and direction registers
GPIO_DATA, GPIO_TRI = 0x0, 0x4


def status_errors(status: int) -> list[str]:
    """Names of the error bits set in a DMASR value."""
    return [name for bit, name in SR_ERRORS.items() if status & bit]


class AxiDma:
    """Programs one AXI DMA through ``mmio`` (anything with ``read(offset)`` and ``write(offset, value)``).

    ``length_width`` and ``addr_width`` are the DMA's ``c_sg_length_width`` and
    ``c_addr_width`` (from the bitstream's ``.hwh`` on the board).
    """

    def __init__(self, mmio, timeout_s: float = 10.0, length_width: int = LENGTH_WIDTH, addr_width: int = 32):
        if not 8 <= int(length_width) <= 26:
            raise TransportError(f"AXI DMA c_sg_length_width must be 8..26 (PG021), not {length_width}")
        if not 32 <= int(addr_width) <= 64:
            raise TransportError(f"AXI DMA c_addr_width must be 32..64 (PG021), not {addr_width}")
        self.mmio = mmio
        self.timeout_s = timeout_s
        self.length_width, self.addr_width = int(length_width), int(addr_width)
        self.max_transfer = (1 << self.length_width) - 1

    def reset(self) -> None:
        self.mmio.write(MM2S_DMACR, CR_RESET)  # resets both channels
        deadline = time.monotonic() + self.timeout_s
        while self.mmio.read(MM2S_DMACR) & CR_RESET:
            if time.monotonic() > deadline:
                raise TransportError("AXI DMA did not come out of reset")
        self.mmio.write(MM2S_DMACR, CR_RUN)
        self.mmio.write(S2MM_DMACR, CR_RUN)

    def _check(self, what: str, n: int, addr: int) -> None:
        if not 0 < n <= self.max_transfer:
            raise TransportError(f"{what} transfer of {n} bytes: this AXI DMA moves 1..{self.max_transfer} bytes "
                                 f"at once (c_sg_length_width = {self.length_width}); use a smaller batch_size")
        if addr < 0 or addr + n > 1 << self.addr_width:
            raise TransportError(f"{what} buffer at 0x{addr:x} ({n} bytes) is beyond the DMA's "
                                 f"{self.addr_width}-bit addresses (c_addr_width)")

    def start(self, src_addr: int, src_bytes: int, dst_addr: int, dst_bytes: int) -> None:
        """Arm the receive channel for ``dst_bytes`` at ``dst_addr``, then send ``src_bytes`` from ``src_addr``."""
        for what, n, addr in (("send", src_bytes, src_addr), ("receive", dst_bytes, dst_addr)):
            self._check(what, n, addr)
        self._arm([("S2MM", S2MM_DMACR, S2MM_DMASR, S2MM_DA, S2MM_DA_MSB, S2MM_LENGTH, dst_addr, dst_bytes),
                   ("MM2S", MM2S_DMACR, MM2S_DMASR, MM2S_SA, MM2S_SA_MSB, MM2S_LENGTH, src_addr, src_bytes)])

    def send(self, src_addr: int, src_bytes: int) -> None:
        """Send ``src_bytes`` from ``src_addr`` with no receive transfer (the weight load: nothing comes back)."""
        self._check("send", src_bytes, src_addr)
        self._arm([("MM2S", MM2S_DMACR, MM2S_DMASR, MM2S_SA, MM2S_SA_MSB, MM2S_LENGTH, src_addr, src_bytes)])

    def _arm(self, channels) -> None:
        for ch, cr, sr, addr_reg, msb_reg, len_reg, addr, n in channels:
            status = self.mmio.read(sr)
            errs = status_errors(status)
            if errs:  # PG021: a channel halted on an error runs again only after a reset
                raise TransportError(f"AXI DMA {ch} channel is halted on {', '.join(errs)} (DMASR=0x{status:08x}); "
                                     "reset it first")
            if status & SR_HALTED:
                self.mmio.write(cr, CR_RUN)
            self.mmio.write(sr, SR_IOC_IRQ | SR_ERR_IRQ)  # write 1 to clear
            self.mmio.write(addr_reg, addr & 0xFFFF_FFFF)
            if self.addr_width > 32:
                self.mmio.write(msb_reg, addr >> 32)
            self.mmio.write(len_reg, n)  # writing the length starts the channel

    def wait(self, receive: bool = True) -> int:
        """Wait for both channels (``receive`` False: the send channel only, after ``send``); returns the bytes
        the receive channel wrote."""
        deadline = time.monotonic() + self.timeout_s
        for ch, sr in (("MM2S", MM2S_DMASR), ("S2MM", S2MM_DMASR))[: 2 if receive else 1]:
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
        return self.mmio.read(S2MM_LENGTH) if receive else 0


class AccelReset:
    """The accelerator's software reset: an AXI GPIO (``accel_reset_gpio``, one output, 1 after power-up)
    on the ``aux_reset_in`` (active low) of the accelerator's own ``proc_sys_reset``."""

    def __init__(self, mmio):
        self.mmio = mmio

    def hold(self) -> None:
        self.mmio.write(GPIO_TRI, 0)  # output (C_ALL_OUTPUTS already makes it one)
        self.mmio.write(GPIO_DATA, 0)
        self.mmio.read(GPIO_DATA)  # the write has landed before anything else is written

    def release(self) -> None:
        self.mmio.write(GPIO_DATA, 1)
        self.mmio.read(GPIO_DATA)


def recover(dma: AxiDma, accel_reset: AccelReset) -> None:
    """Back to a clean start after a DMA error: the accelerator held in reset while the DMA resets itself.

    ``proc_sys_reset`` keeps the accelerator's reset asserted for 16 clock cycles
    after the GPIO is released (PG164), long before any new transfer is written.
    """
    accel_reset.hold()
    try:
        dma.reset()
    finally:
        accel_reset.release()
