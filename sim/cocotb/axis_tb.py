"""Testbench pieces shared by the block testbenches (the shape of cocotbext-axi's own examples).

``StreamTB``: clock, reset, an AXI-Stream source on ``s_axis`` and sink on
``m_axis`` (cocotbext-axi), random idle and backpressure generators, and the
stimulus from ``DIETSNN_VECTORS``.
"""

from __future__ import annotations

import itertools
import os
import random

import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource


def load_vectors() -> dict:
    with np.load(os.environ["DIETSNN_VECTORS"], allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def random_pause(p: float, seed: int):
    """An endless pause pattern: True with probability ``p``."""
    rng = random.Random(seed)
    return itertools.cycle([rng.random() < p for _ in range(997)])


class StreamTB:
    """Blocks use ``clk``/``rst`` (active high) and ``s_axis``/``m_axis``; the stitched top uses FINN's
    ``ap_clk``/``ap_rst_n`` (active low) and ``s_axis_0``/``m_axis_0``: both are found by name."""

    def __init__(self, dut):
        self.dut = dut
        top = hasattr(dut, "ap_clk")
        self.clk = dut.ap_clk if top else dut.clk
        self.rst = dut.ap_rst_n if top else dut.rst
        self.rst_active = 0 if top else 1
        s_prefix, m_prefix = ("s_axis_0", "m_axis_0") if top else ("s_axis", "m_axis")
        Clock(self.clk, 10, unit="ns").start()
        kw = dict(byte_lanes=1, reset_active_level=bool(self.rst_active))
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, s_prefix), self.clk, self.rst, **kw)
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, m_prefix), self.clk, self.rst, **kw)
        self.in_width = len(self.source.bus.tdata)
        self.out_width = len(self.sink.bus.tdata)
        self.v = load_vectors()

    async def start(self):
        """Idle cycles and backpressure as the vectors ask, then reset."""
        self.set_idle(float(self.v["idle"]) if "idle" in self.v else 0.0)
        self.set_backpressure(float(self.v["backpressure"]) if "backpressure" in self.v else 0.0)
        await self.reset()

    async def abort_mid_stream(self, beats: list[int], settle: int = 5):
        """Send ``beats`` (part of a frame), let them enter, then reset and forget any output."""
        await self.send_beats(beats)
        await self.source.wait()
        for _ in range(settle):
            await RisingEdge(self.clk)
        await self.reset()
        self.sink.clear()

    async def reset(self, cycles: int = 4):
        self.rst.value = self.rst_active
        for _ in range(cycles):
            await RisingEdge(self.clk)
        self.rst.value = 1 - self.rst_active
        await RisingEdge(self.clk)

    def set_idle(self, p_idle: float, seed: int = 1):
        self.source.set_pause_generator(random_pause(p_idle, seed) if p_idle else None)

    def set_backpressure(self, p: float, seed: int = 2):
        self.sink.set_pause_generator(random_pause(p, seed) if p else None)

    async def send_beats(self, beats: list[int]):
        """Send each beat as one transfer (no tkeep: one 'byte' is the whole tdata word)."""
        for b in beats:
            await self.source.send(AxiStreamFrame([int(b)]))

    async def recv_beats(self, n: int) -> list[int]:
        out = []
        while len(out) < n:
            frame = await self.sink.recv()
            out.extend(int(v) for v in frame.tdata)
        return out
