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
    def __init__(self, dut):
        self.dut = dut
        Clock(dut.clk, 10, unit="ns").start()
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.clk, dut.rst, byte_lanes=1)
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.clk, dut.rst, byte_lanes=1)
        self.in_width = len(dut.s_axis_tdata)
        self.out_width = len(dut.m_axis_tdata)

    async def reset(self, cycles: int = 4):
        self.dut.rst.value = 1
        for _ in range(cycles):
            await RisingEdge(self.dut.clk)
        self.dut.rst.value = 0
        await RisingEdge(self.dut.clk)

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
