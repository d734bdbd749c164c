"""cocotb testbench of ``snn_mvu``: golden = ``dietsnn.ref.mvu.mvu_layer``."""

from __future__ import annotations

import math

import cocotb

from axis_tb import StreamTB
from dietsnn.ref.mvu import mvu_layer
from dietsnn.ref.streams import pack_beats


class TB(StreamTB):
    def __init__(self, dut):
        super().__init__(dut)
        v = self.v
        self.mode = str(v["mode"])
        self.T, self.simd, self.pe = int(v["T"]), int(v["simd"]), int(v["pe"])
        self.ebits = int(v["in_bits"]) if self.mode == "input_lif" else self.T
        self.state_bits = int(v["state_bits"])

    def beats(self, x):
        return pack_beats(x.reshape(-1), self.ebits, self.simd)

    def model(self, x):
        v = self.v
        theta = v["theta"] if self.mode in ("input_lif", "lif") else None
        out = mvu_layer(x, v["weight"], v["bias"], self.T, self.mode, theta, int(v["leak_shift"]))
        if self.mode == "label":
            return [int(o) for o in out[:, 0]]
        if self.mode == "scores":
            return pack_beats(out.reshape(-1), self.state_bits, self.pe, signed=True)
        return pack_beats(out.reshape(-1), self.T, self.pe)


async def check_stream(tb, x):
    expected = tb.model(x)
    send = cocotb.start_soon(tb.send_beats(tb.beats(x)))
    got = await tb.recv_beats(len(expected))
    await send
    bad = [i for i, (a, b) in enumerate(zip(got, expected)) if a != b]
    assert not bad, f"{len(bad)} of {len(expected)} output beats differ, first at {bad[0]}: {got[bad[0]]:#x} != {expected[bad[0]]:#x}"


@cocotb.test()
async def vectors_back_to_back(dut):
    tb = TB(dut)
    await tb.start()
    await check_stream(tb, tb.v["x"])


@cocotb.test()
async def throughput_one_beat_per_cycle(dut):
    """Without stalls, V vectors take V*NF*SF cycles (snn_mvu: one beat per cycle) or V*cycles_per_vector (a
    constant-weight block: T cycles per vector for spike inputs), plus the pipeline depth (``latency`` when given,
    else one that grows with log2 of the tree leaves, T and log2 PE)."""
    tb = TB(dut)
    await tb.reset()
    x = tb.v["x"]
    if "cycles_per_vector" in tb.v:
        nbeats = len(x) * int(tb.v["cycles_per_vector"])
        depth = int(tb.v["latency"]) + 4
    else:
        nbeats = len(x) * (x.shape[1] // tb.simd) * (int(tb.v["weight"].shape[1]) // tb.pe)
        leaves = tb.simd * (tb.T if tb.mode in ("scores", "label") else 1)
        depth = 8 + math.ceil(math.log2(leaves)) + tb.T + math.ceil(math.log2(tb.pe))
    start = cocotb.utils.get_sim_time("ns")
    await check_stream(tb, x)
    cycles = (cocotb.utils.get_sim_time("ns") - start) / 10
    dut._log.info("%d beat cycles in %d cycles", nbeats, cycles)
    assert cycles <= nbeats + depth + 0.02 * nbeats, f"{cycles} cycles for {nbeats} beat cycles (pipeline depth {depth})"


@cocotb.test()
async def reset_mid_vector_then_clean_run(dut):
    tb = TB(dut)
    await tb.reset()
    x = tb.v["x"]
    first = tb.beats(x[:1])
    await tb.abort_mid_stream(first[: max(1, len(first) // 2)], settle=3)
    await check_stream(tb, x[:2])
