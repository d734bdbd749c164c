"""The ``sim`` transport's side of the DMA: memory buffers with physical addresses, a register-level model
of AXI DMA (PG021, simple mode) and of the reset GPIO (PG144), whose data path is the Verilator model of
the accelerator.

The driver programs them with the same ``AxiDma`` / ``AccelReset`` register
sequences as the board; only ``pynq.allocate`` and ``pynq.MMIO`` are replaced.

The accelerator keeps its state between transfers, as the hardware does. A
transfer of whole frames into a receive buffer large enough for their outputs,
from a clean accelerator, runs through ``Harness.run`` and leaves it clean
again (every frame in and out, the batch closed by TLAST). Anything else (an
injected memory error that cuts the send side, a receive buffer too small, a
transfer that is not whole frames) leaves the accelerator holding part of a
batch: from then on every transfer is simulated in the harness's transfer mode
together with all the transfers since the accelerator was last clean, software
resets (``SimAxiGpio``) included, so the cut frames, the outputs left behind
and the effect of a reset are those of the RTL itself. A transfer that follows
a reset and completes normally makes the accelerator clean again. Spike taps
are not counted for such replayed transfers.

A send with no receive transfer armed (``AxiDma.send``: the weight load of a
design whose weights are in UltraRAM) runs at once. On a clean accelerator its
bytes become part of the accelerator's state (``preload``): every later run
from reset streams them first, as the hardware holds the loaded weights; a
reset drops them (the RTL's "loaded" flags clear), so the driver loads again.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import axi_dma as R
from .errors import TransportError
from .harness import Harness, HarnessRun

#: cycles proc_sys_reset holds the accelerator's reset after the GPIO releases aux_reset_in (PG164: 16)
RESET_CYCLES = 16


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


@dataclass
class SimTransfer:
    """One DMA transfer as the accelerator saw it."""

    reset: int  #: cycles of software reset before it (0: none)
    data: np.ndarray  #: the bytes the send channel put on the stream
    tlast: bool  #: whether the send channel ended them with TLAST (False when it broke off)
    capacity: int  #: bytes the receive channel was given


@dataclass(frozen=True)
class TransferResult:
    sent: int  #: input bytes the accelerator accepted
    received: int  #: output bytes the receive channel took
    tlast: bool  #: the receive channel completed on the accelerator's TLAST
    status: str  #: "ok", "s2mm_full" (buffer full without TLAST) or "stall" (nothing moved any more)
    output: np.ndarray  #: the received bytes


def run_transfers(harness: Harness, transfers: list[SimTransfer], max_stall: int | None = None,
                  seed: int = 1) -> list[TransferResult]:
    """Simulate ``transfers`` one after the other from reset (the harness's transfer mode)."""
    stall = int(max_stall if max_stall is not None else getattr(harness, "max_stall", 2_000_000))
    with tempfile.TemporaryDirectory(prefix="dietsnn_sim_dma_") as tmp:
        tmp = Path(tmp)
        np.concatenate([t.data for t in transfers]).astype(np.uint8).tofile(tmp / "in.bin")
        (tmp / "transfers.txt").write_text("".join(f"{t.reset} {t.data.size} {int(t.tlast)} {t.capacity}\n"
                                                   for t in transfers))
        cmd = [str(harness.exe), "--in", str(tmp / "in.bin"), "--out", str(tmp / "out.bin"),
               "--transfers", str(tmp / "transfers.txt"), "--stats", str(tmp / "stats.json"),
               "--mem-dir", str(harness.folder.resolve()), "--max-stall", str(stall), "--seed", str(seed)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise TransportError(f"simulated accelerator failed (exit {res.returncode}): {res.stderr.strip()}")
        out = np.fromfile(tmp / "out.bin", dtype=np.uint8)
        stats = json.loads((tmp / "stats.json").read_text())["transfers"]
    results, pos = [], 0
    for s in stats:
        results.append(TransferResult(int(s["sent"]), int(s["received"]), bool(s["tlast"]), str(s["status"]),
                                      out[pos:pos + int(s["received"])]))
        pos += int(s["received"])
    return results


class SimAxiDma:
    """Register file of one AXI DMA: a transfer runs when both channels have been given a length.

    ``length_width`` / ``addr_width`` are the block design's ``c_sg_length_width``
    / ``c_addr_width``: a longer length keeps only its low bits and an address
    only its low bits, as in the IP (the driver refuses both before).
    """

    def __init__(self, memory: SimMemory, harness: Harness, length_width: int = R.LENGTH_WIDTH,
                 addr_width: int = 64, **run_options):
        self.memory, self.harness, self.run_options = memory, harness, run_options
        self.length_width, self.addr_width = int(length_width), int(addr_width)
        self.regs = {R.MM2S_DMASR: R.SR_HALTED | R.SR_IDLE, R.S2MM_DMASR: R.SR_HALTED | R.SR_IDLE}
        self._armed = {"MM2S": None, "S2MM": None}
        self.last_run: HarnessRun | None = None
        self.history: list[SimTransfer] = []  #: transfers since the accelerator was last clean
        self.accel_in_reset = False
        self._reset_cycles = 0  #: software reset to apply before the next transfer
        self._mm2s_error_after: int | None = None
        self.preload: list[np.ndarray] = []  #: send-only transfers since the last reset of a clean accelerator

    # ---- the accelerator's reset (SimAxiGpio) and injected errors
    def hold_accelerator_reset(self) -> None:
        self.accel_in_reset = True

    def release_accelerator_reset(self) -> None:
        if self.accel_in_reset and self.history:
            self._reset_cycles += RESET_CYCLES
        elif self.accel_in_reset:  # a clean accelerator keeps nothing but its weights, which a reset unloads
            self.preload = []
        self.accel_in_reset = False

    def inject_mm2s_slave_error(self, after_bytes: int) -> None:
        """The next send transfer stops after ``after_bytes`` with DMASlvErr (a memory slave error), as a
        failing DDR port would make it; the accelerator gets those bytes without TLAST."""
        self._mm2s_error_after = int(after_bytes)

    # ---- registers
    def read(self, offset: int) -> int:
        return int(self.regs.get(offset, 0))

    def write(self, offset: int, value: int) -> None:
        value = int(value)
        if offset in (R.MM2S_DMASR, R.S2MM_DMASR):  # write 1 to clear the interrupt bits
            self.regs[offset] &= ~(value & (R.SR_IOC_IRQ | R.SR_ERR_IRQ))
            return
        if offset == R.MM2S_DMACR and value & R.CR_RESET:  # resets the DMA, not the accelerator
            self.regs = {R.MM2S_DMASR: R.SR_HALTED | R.SR_IDLE, R.S2MM_DMASR: R.SR_HALTED | R.SR_IDLE}
            self._armed = {"MM2S": None, "S2MM": None}
            return
        if offset in (R.MM2S_SA_MSB, R.S2MM_DA_MSB) and self.addr_width <= 32:
            return  # no such register
        if offset in (R.MM2S_LENGTH, R.S2MM_LENGTH):
            value &= (1 << self.length_width) - 1
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
                addr = (self.read(addr_reg) | self.read(msb_reg) << 32) & ((1 << self.addr_width) - 1)
                self._armed[ch] = (addr, value)
                self.regs[sr] &= ~R.SR_IDLE
        if self._armed["MM2S"] and self._armed["S2MM"]:
            self._transfer()
        elif offset == R.MM2S_LENGTH and self._armed["MM2S"]:  # nothing to receive: a send-only transfer
            self._send_only()

    def _preload_transfers(self) -> list[SimTransfer]:
        """The clean accelerator's weight loads as transfers from reset (nothing to receive)."""
        return [SimTransfer(0, d, True, 0) for d in self.preload]

    def _send_only(self) -> None:
        src, n_in = self._armed["MM2S"]
        self._armed["MM2S"] = None
        if self.accel_in_reset:
            raise TransportError("a DMA transfer was started while the accelerator is held in reset (GPIO low)")
        data = self.memory.read(src, n_in)
        beat = self.harness.in_frame_bytes // int(self.harness.info["parameters"]["IN_BEATS"])
        if data.size % beat:
            raise TransportError(f"MM2S transfer of {n_in} bytes is not a whole number of {beat}-byte stream beats")
        if not self.history and not self._reset_cycles:
            self.preload.append(data)  # run with the next transfer from reset, as the RTL keeps it
            self.regs[R.MM2S_DMASR] |= R.SR_IDLE | R.SR_IOC_IRQ
            return
        if not self.history:
            self.history = self._preload_transfers()
        self.history.append(SimTransfer(self._reset_cycles, data, True, 0))
        self._reset_cycles = 0
        r = run_transfers(self.harness, self.history, seed=int(self.run_options.get("seed", 1)))[-1]
        if r.sent == n_in:
            self.regs[R.MM2S_DMASR] |= R.SR_IDLE | R.SR_IOC_IRQ

    # ---- one transfer
    def _transfer(self) -> None:
        (src, n_in), (dst, n_out) = self._armed["MM2S"], self._armed["S2MM"]
        self._armed = {"MM2S": None, "S2MM": None}
        if self.accel_in_reset:
            raise TransportError("a DMA transfer was started while the accelerator is held in reset (GPIO low)")
        h = self.harness
        data = self.memory.read(src, n_in)
        frames, whole = divmod(n_in, h.in_frame_bytes)
        expected = frames * h.out_frame_bytes
        error_after, self._mm2s_error_after = self._mm2s_error_after, None
        if not self.history and error_after is None and whole == 0 and n_out >= expected:
            self._reset_cycles = 0
            pre = np.concatenate(self.preload) if self.preload else None
            run = h.run(data, batch=frames, preload=pre, **self.run_options)
            self.last_run = run
            self.memory.write(dst, run.output)
            self.regs[R.S2MM_LENGTH] = run.output.size
            self.regs[R.MM2S_DMASR] |= R.SR_IDLE | R.SR_IOC_IRQ
            self.regs[R.S2MM_DMASR] |= R.SR_IDLE | R.SR_IOC_IRQ
            return
        if error_after is not None:
            beat = h.in_frame_bytes // int(h.info["parameters"]["IN_BEATS"])
            data = data[: min(n_in, error_after // beat * beat)]
        if data.size % (h.in_frame_bytes // int(h.info["parameters"]["IN_BEATS"])):
            raise TransportError(f"MM2S transfer of {n_in} bytes is not a whole number of "
                                 f"{h.in_frame_bytes // int(h.info['parameters']['IN_BEATS'])}-byte stream beats")
        if not self.history:
            self.history = self._preload_transfers()  # the replay from reset starts with the weights
        self.history.append(SimTransfer(self._reset_cycles, data, error_after is None, n_out))
        self._reset_cycles = 0
        r = run_transfers(h, self.history, seed=int(self.run_options.get("seed", 1)))[-1]
        self.last_run = None
        if r.received:
            self.memory.write(dst, r.output)
        self.regs[R.S2MM_LENGTH] = r.received
        if error_after is not None:
            self.regs[R.MM2S_DMASR] |= R.SR_SLV_ERR | R.SR_ERR_IRQ | R.SR_HALTED
        elif r.sent == n_in:
            self.regs[R.MM2S_DMASR] |= R.SR_IDLE | R.SR_IOC_IRQ
        if r.status == "s2mm_full":  # S2MM buffer full before TLAST: PG021's DMAIntErr, the channel halts
            self.regs[R.S2MM_DMASR] |= R.SR_INT_ERR | R.SR_ERR_IRQ | R.SR_HALTED
        elif r.tlast:
            self.regs[R.S2MM_DMASR] |= R.SR_IDLE | R.SR_IOC_IRQ
        # clean again: the accelerator was reset, took its weight loads (send-only transfers) and then this whole
        # batch, and gave all its outputs
        since_reset = [i for i, t in enumerate(self.history) if t.reset] or [None]
        last = since_reset[-1]
        if (last is not None and all(t.capacity == 0 for t in self.history[last:-1]) and r.status == "ok"
                and r.tlast and error_after is None and whole == 0 and r.sent == n_in and r.received == expected):
            self.preload = [t.data for t in self.history[last:-1]]
            self.history = []


class SimAxiGpio:
    """Register model of the reset GPIO (``accel_reset_gpio``): bit 0 of GPIO_DATA low holds the simulated
    accelerator in reset; its rising edge applies the reset (``SimAxiDma``)."""

    def __init__(self, dma: SimAxiDma):
        self.dma = dma
        self.regs = {R.GPIO_DATA: 1, R.GPIO_TRI: 0}

    def read(self, offset: int) -> int:
        return int(self.regs.get(offset, 0))

    def write(self, offset: int, value: int) -> None:
        value = int(value)
        if offset == R.GPIO_DATA:
            if self.regs[R.GPIO_DATA] & 1 and not value & 1:
                self.dma.hold_accelerator_reset()
            elif not self.regs[R.GPIO_DATA] & 1 and value & 1:
                self.dma.release_accelerator_reset()
        self.regs[offset] = value
