"""cocotb testbench of ``snn_mvu``: golden = ``dietsnn.ref.mvu.mvu_layer``."""

from __future__ import annotations

import math

import cocotb
from cocotb.triggers import RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSource

from axis_tb import StreamTB, random_pause
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
        # WEIGHT_LOAD 1: the weights arrive on s_axis_w after every reset (with the vectors' idle gaps)
        self.load_words = [int(w) for w in v["load_words"]] if "load_words" in v else []
        self.loader = None
        if self.load_words:
            self.loader = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis_w"), self.clk, self.rst,
                                          byte_lanes=1, reset_active_level=True)
            idle = float(v["idle"]) if "idle" in v else 0.0
            self.loader.set_pause_generator(random_pause(idle, 3) if idle else None)

    async def load_weights(self):
        for w in self.load_words:
            await self.loader.send(AxiStreamFrame([w]))
        await self.loader.wait()

    async def reset(self, cycles: int = 4, load: bool = True):
        """Reset; a unit with loaded weights (WEIGHT_LOAD 1) gets them again, as the driver does."""
        await super().reset(cycles)
        if self.loader is not None and load:
            await self.load_weights()

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


@cocotb.test()
async def input_refused_until_weights_loaded(dut):
    """WEIGHT_LOAD 1: s_axis_tready stays low while a beat waits and the weights are not all written (also with
    one word missing); after the last word the vectors come out right."""
    tb = TB(dut)
    if tb.loader is None:
        return
    await tb.reset(load=False)
    first = tb.beats(tb.v["x"][:1])[0]
    send = cocotb.start_soon(tb.send_beats([first]))
    for w in tb.load_words[:-1]:
        await tb.loader.send(AxiStreamFrame([w]))
    await tb.loader.wait()
    for _ in range(20):
        await RisingEdge(tb.clk)
        assert int(dut.s_axis_tready.value) == 0, "input accepted before the weights were loaded"
        assert int(dut.s_axis_w_tready.value) == 1, "loader refused a weight word before the last one"
    await tb.loader.send(AxiStreamFrame([tb.load_words[-1]]))
    await tb.loader.wait()
    await RisingEdge(tb.clk)
    assert int(dut.s_axis_w_tready.value) == 0, "loader still takes words after all NF*SF were written"
    await send
    x = tb.v["x"]
    expected = tb.model(x)
    rest = cocotb.start_soon(tb.send_beats(tb.beats(x)[1:]))
    got = await tb.recv_beats(len(expected))
    await rest
    assert got == list(expected), "outputs after the load differ from the reference"
