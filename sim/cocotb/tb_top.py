"""cocotb testbench of the stitched accelerator: real images in, every score checked against the golden.

The golden scores are computed by ``dietsnn.ref.run_network`` in the pytest
process and passed in with the images; the monitor unpacks the score stream
and the checker compares image by image, in order. Cycle counts are written
to ``perf.json`` beside the vectors.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.utils import get_sim_time

from axis_tb import StreamTB
from dietsnn.harness import steady_cycles_per_frame
from dietsnn.ref.streams import pack_beats, unpack_beats


class TopTB(StreamTB):
    def __init__(self, dut):
        super().__init__(dut)
        s = self.s = json.loads(str(self.v["stream"]))
        self.classes = int(self.v["golden"].shape[1])
        self.beats_per_frame = int(s["out_per_frame"])
        #: weights in UltraRAM: the load stream, the first beats after every reset
        self.load = [int(b) for b in self.v["load"]] if "load" in self.v else []

    async def reset(self, cycles: int = 4):
        """Reset, then the weight load (when the weights are in UltraRAM), as the driver does."""
        await super().reset(cycles)
        if self.load:
            pause = self.source._pause_generator if hasattr(self.source, "_pause_generator") else None
            self.source.set_pause_generator(None)  # the load at full rate; the frames' pacing stays theirs
            self.source.pause = False  # (stopping a pause generator leaves its last value)
            await self.send_beats(self.load)
            await self.source.wait()
            self.source.set_pause_generator(pause)

    def image_beats(self, img):
        """(C, H, W) uint8 -> NHWC pixels, in_elems per beat."""
        return pack_beats(img.transpose(1, 2, 0).reshape(-1), self.s["in_bits"], self.s["in_elems"])

    def scores(self, beats):
        vals = unpack_beats(beats, self.s["out_bits"], self.s["out_elems"], signed=self.s["out_signed"])
        return vals.reshape(-1, self.classes)


async def run_images(tb, images, golden):
    out_times = []
    send = cocotb.start_soon(tb.send_beats([b for img in images for b in tb.image_beats(img)]))
    got = []
    for i in range(len(images)):
        beats = await tb.recv_beats(tb.beats_per_frame)
        out_times.append(get_sim_time("ns") / 10)
        s = tb.scores(beats)[0]
        assert np.array_equal(s, golden[i]), f"image {i}: scores {s.tolist()} != golden {golden[i].tolist()}"
        got.append(s)
    await send
    return out_times


@cocotb.test()
async def real_images_match_golden(dut):
    tb = TopTB(dut)
    await tb.start()
    start = get_sim_time("ns") / 10
    times = await run_images(tb, tb.v["images"], tb.v["golden"])
    n = len(times)
    perf = {"images": n, "first_frame_latency_cycles": times[0] - start,
            "steady_cycles_per_frame": steady_cycles_per_frame(times), "total_cycles": times[-1] - start}
    Path(os.environ["DIETSNN_VECTORS"]).with_name("perf.json").write_text(json.dumps(perf))
    dut._log.info("perf %s", perf)


@cocotb.test()
async def reset_mid_frame_then_clean_frames(dut):
    tb = TopTB(dut)
    await tb.reset()
    beats = tb.image_beats(tb.v["images"][0])
    await tb.abort_mid_stream(beats[: len(beats) // 2], settle=50)
    await run_images(tb, tb.v["images"][:2], tb.v["golden"][:2])


def paced(beats: int, period: int):
    """An endless pause pattern that lets ``beats`` beats through per ``period`` cycles, evenly spread: the
    source of a design running at ``period`` cycles per frame (cycle k of a period sends when
    floor((k+1) * beats / period) > floor(k * beats / period))."""
    if not 1 <= beats <= period:
        raise ValueError(f"pacing: {beats} input beats per frame cannot be spread over {period} cycles")
    return itertools.cycle([(k + 1) * beats // period == k * beats // period for k in range(period)])


@cocotb.test()
async def measure_fifo_occupancy(dut):
    """With FINN_SIMULATION every FIFO is FINN's fifo_gauge (unbounded); record each one's peak fill.

    With ``pace_period`` in the vectors, the input is paced to one frame per ``pace_period`` cycles (the
    rate the FIFOs are sized for); without it the source never pauses."""
    tb = TopTB(dut)
    if "pace_period" in tb.v:
        in_beats = len(tb.image_beats(tb.v["images"][0]))
        tb.source.set_pause_generator(paced(in_beats, int(tb.v["pace_period"])))
    await tb.reset()
    await run_images(tb, tb.v["images"], tb.v["golden"])
    peaks = {str(name): int(getattr(dut, f"{name}_i").maxcount.value) for name in tb.v["fifos"]}
    Path(os.environ["DIETSNN_VECTORS"]).with_name("fifo_peaks.json").write_text(json.dumps(peaks))
