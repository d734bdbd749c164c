"""cocotb testbench of ``snn_spike_pool``: golden = ``dietsnn.ref.spike_maxpool``."""

from __future__ import annotations

import cocotb
import cocotb.utils

from axis_tb import StreamTB
from dietsnn.ref.pool import spike_maxpool
from dietsnn.ref.streams import pack_beats, pack_spike_trains


class TB(StreamTB):
    def __init__(self, dut):
        super().__init__(dut)
        p = self.v["params"]
        self.T, self.C, self.PE, self.H, self.W, kh, kw, sh, sw = (int(x) for x in p)
        self.kernel, self.stride = (kh, kw), (sh, sw)

    def beats(self, spikes):
        """(T, C, H, W) spikes of one frame -> input beats."""
        words = pack_spike_trains(spikes[:, None])  # (1, H, W, C)
        return pack_beats(words.reshape(-1), self.T, self.PE)

    def model(self, spikes):
        out = spike_maxpool(spikes[:, None], self.kernel, self.stride)
        return pack_beats(pack_spike_trains(out).reshape(-1), self.T, self.PE)


async def _frames(tb, frames):
    expected = [b for f in frames for b in tb.model(f)]
    send = cocotb.start_soon(tb.send_beats([b for f in frames for b in tb.beats(f)]))
    got = await tb.recv_beats(len(expected))
    await send
    assert got == expected, f"first mismatch at beat {next(i for i, (a, b) in enumerate(zip(got, expected)) if a != b)}"


@cocotb.test()
async def frames_back_to_back(dut):
    tb = TB(dut)
    await tb.start()
    await _frames(tb, tb.v["frames"])


@cocotb.test()
async def throughput_one_beat_per_cycle(dut):
    """Without stalls, N frames take N*H*W*C/PE cycles (one input beat per cycle) plus the output register."""
    tb = TB(dut)
    await tb.reset()
    frames = tb.v["frames"]
    nbeats = len(frames) * tb.H * tb.W * (tb.C // tb.PE)
    start = cocotb.utils.get_sim_time("ns")
    await _frames(tb, frames)
    cycles = (cocotb.utils.get_sim_time("ns") - start) / 10
    dut._log.info("%d beats in %d cycles", nbeats, cycles)
    assert cycles <= nbeats + 8 + 0.02 * nbeats, f"{cycles} cycles for {nbeats} beats"


@cocotb.test()
async def reset_mid_frame_then_clean_frame(dut):
    tb = TB(dut)
    await tb.reset()
    first = tb.beats(tb.v["frames"][0])
    await tb.abort_mid_stream(first[: len(first) // 2 + 1])
    await _frames(tb, tb.v["frames"][1:2])
