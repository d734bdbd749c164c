"""Boards and parts from FINN's own tables (``pynq_part_map``, ``finn.util.platforms``, the Zynq shell template).

* part: ``finn.util.basic.pynq_part_map`` (FINN's Zynq boards; Alveo cards are
  out of scope for this project's bitstream flow);
* capacity (LUT, FF, BRAM_18K, URAM, DSP): ``finn.util.platforms.platforms``,
  and for the boards that table lacks, the platform of the same silicon
  (``_SAME_SILICON``) or the data-sheet figures in ``_EXTRA_CAPACITY``;
* Vivado board part and Zynq family: the per-board branches of FINN's
  ``custom_zynq_shell_template`` (``finn.transformation.fpgadataflow.templates``),
  read from the template text itself so they follow FINN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from finn.util.basic import alveo_part_map, pynq_part_map
from finn.util.platforms import platforms

RESOURCES = ("LUT", "FF", "BRAM_18K", "URAM", "DSP")

#: boards missing from FINN's platform table whose part has the silicon of a board in it
_SAME_SILICON = {"Ultra96-V2": "Ultra96", "RFSoC2x2": "ZCU111"}
#: capacities of parts FINN's platform table has no platform for, from the data sheets
_EXTRA_CAPACITY = {
    # XCZU48DR: RFSoC data sheet DS889, same programmable logic as XCZU28DR
    "xczu48dr": dict(LUT=425280, FF=850560, BRAM_18K=2160, URAM=80, DSP=4272),
    # XCK26 (Kria K26 SOM, DS987): the programmable logic of an XCZU5EV
    "xck26": dict(LUT=117120, FF=234240, BRAM_18K=288, URAM=64, DSP=1248),
}


class UnknownBoard(ValueError):
    """A board name FINN's tables do not know (or an Alveo card, which the Zynq flow does not build for)."""


@dataclass(frozen=True)
class Board:
    name: str  #: FINN's spelling, e.g. ZCU104
    part: str  #: FPGA part, e.g. xczu7ev-ffvc1156-2-e
    capacity: dict | None  #: LUT/FF/BRAM_18K/URAM/DSP of the part (None: unknown)
    family: str = ""  #: "zynq_us+" or "zynq_7000" (FINN's ZYNQ_TYPE)
    board_part: str | None = None  #: Vivado board part for the PS preset (None: FINN's shell has none)


def _shell_board_parts() -> dict[str, tuple[str, str]]:
    """``{board: (board_part, zynq_type)}`` from the branches of FINN's Zynq shell template."""
    from finn.transformation.fpgadataflow.templates import custom_zynq_shell_template

    table = {}
    branch = re.compile(r'\{\$BOARD == "([^"]+)"\}\s*\{(.*?)\}', re.S)
    for board, body in branch.findall(custom_zynq_shell_template):
        part = re.search(r"set_property board_part (\S+)", body)
        kind = re.search(r'set ZYNQ_TYPE "([^"]+)"', body)
        if part and kind:
            table[board] = (part.group(1), kind.group(1))
    return table


def _family(part: str) -> str:
    return "zynq_7000" if part.startswith("xc7z") else "zynq_us+"


def _capacity(name: str, part: str) -> dict | None:
    key = _SAME_SILICON.get(name, name)
    if key in platforms:
        return dict(zip(RESOURCES, (int(v) for v in platforms[key]().compute_resources[0])))
    for prefix, cap in _EXTRA_CAPACITY.items():
        if part.startswith(prefix):
            return dict(cap)
    return None


def known_boards() -> list[str]:
    return sorted(pynq_part_map)


def bitstream_boards() -> list[str]:
    """The boards ``dietsnn bitstream`` builds for: FINN's Zynq boards whose shell template has a board part
    (a Vivado preset for the processing system); e.g. not ZCU111."""
    return [name for name in known_boards() if get_board(name).board_part is not None]


def get_board(name: str) -> Board:
    """Look ``name`` up case-insensitively among FINN's Zynq boards."""
    by_lower = {k.lower(): k for k in pynq_part_map}
    key = by_lower.get(str(name).lower())
    if key is None:
        alveo = {k.lower(): k for k in alveo_part_map}.get(str(name).lower())
        if alveo is not None:
            raise UnknownBoard(f"board {alveo!r} is an Alveo card; this flow builds for FINN's Zynq boards only: "
                               f"{', '.join(known_boards())}")
        raise UnknownBoard(f"unknown board {name!r}; FINN's Zynq boards are: {', '.join(known_boards())}")
    part = pynq_part_map[key]
    shell = _shell_board_parts().get(key)
    return Board(key, part, _capacity(key, part), shell[1] if shell else _family(part), shell[0] if shell else None)
