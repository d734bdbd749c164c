"""Boards and parts from FINN's own tables (``pynq_part_map``, ``finn.util.platforms``)."""

from __future__ import annotations

from dataclasses import dataclass

from finn.util.basic import pynq_part_map
from finn.util.platforms import platforms

RESOURCES = ("LUT", "FF", "BRAM_18K", "URAM", "DSP")


class UnknownBoard(ValueError):
    """A board name FINN's tables do not know."""


@dataclass(frozen=True)
class Board:
    name: str  #: FINN's spelling, e.g. ZCU104
    part: str  #: FPGA part, e.g. xczu7ev-ffvc1156-2-e
    capacity: dict | None  #: LUT/FF/BRAM_18K/URAM/DSP of the part, when FINN's platform table has it


def get_board(name: str) -> Board:
    """Look ``name`` up case-insensitively among FINN's Zynq boards."""
    by_lower = {k.lower(): k for k in pynq_part_map}
    key = by_lower.get(str(name).lower())
    if key is None:
        raise UnknownBoard(f"unknown board {name!r}; FINN's Zynq boards are: {', '.join(sorted(pynq_part_map))}")
    cap = None
    if key in platforms:
        cap = dict(zip(RESOURCES, platforms[key]().compute_resources[0]))
    return Board(key, pynq_part_map[key], cap)
