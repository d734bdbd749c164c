"""Does the compiled design fit the board's part? Checked from ``report.json`` before any vendor tool runs.

The estimates are the ops' resource models (``dietsnn compile``); the
capacities are FINN's (``hw.boards``). A resource above the part's capacity
is an error; one above FINN's recommended limit for timing closure
(``finn.util.platforms.DEFAULT_RES_LIMITS``: 70% LUT, 80% BRAM/URAM/DSP) is
reported as a warning, since the estimates are not Vivado's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from finn.util.platforms import DEFAULT_RES_LIMITS

from ..boards import RESOURCES, Board, get_board, known_boards

#: FINN's recommended utilization limits for timing closure, per resource
RECOMMENDED = dict(zip(RESOURCES, (float(x) for x in DEFAULT_RES_LIMITS)))


class DesignTooLarge(ValueError):
    """The estimated resources exceed the part's capacity."""


@dataclass(frozen=True)
class Fit:
    board: str  #: FINN's board name
    part: str  #: its FPGA part
    need: dict  #: estimated resources of the design (report.json "totals")
    capacity: dict  #: the part's resources
    warnings: list = field(default_factory=list)  #: resources above FINN's recommended limits

    def utilization(self) -> dict:
        return {r: self.need[r] / self.capacity[r] for r in self.need if self.capacity.get(r)}


def _boards_that_fit(need: dict) -> list[str]:
    fits = []
    for name in known_boards():
        cap = get_board(name).capacity
        if cap and all(need.get(r, 0) <= cap.get(r, 0) for r in need):
            fits.append(name)
    return fits


def check_fit(report: dict, board: Board, source: str = "report.json") -> Fit:
    """Raise ``DesignTooLarge`` naming every resource the design needs beyond ``board``'s part."""
    need = {r: int(v) for r, v in report["totals"].items() if r in RESOURCES}
    cap = board.capacity
    if not cap:
        raise DesignTooLarge(f"board {board.name} ({board.part}): no resource table for this part in FINN's "
                             "finn.util.platforms or hw/boards.py, so the fit cannot be checked")
    over = [r for r in need if need[r] > cap.get(r, 0)]
    if over:
        what = "; ".join(f"{r}: needs {need[r]}, the part has {cap.get(r, 0)}" for r in over)
        others = [b for b in _boards_that_fit(need) if b != board.name]
        hint = f"boards it fits: {', '.join(others)}" if others else "it fits none of FINN's Zynq boards"
        raise DesignTooLarge(
            f"the design does not fit {board.name} ({board.part}): {what} (estimates from {source}); "
            f"lower --fps or choose another board ({hint})")
    warnings = [f"{r} at {100 * need[r] / cap[r]:.0f}% of {board.part}, above FINN's recommended "
                f"{100 * RECOMMENDED[r]:.0f}% for timing closure"
                for r in need if cap.get(r) and need[r] / cap[r] > RECOMMENDED[r]]
    return Fit(board.name, board.part, need, dict(cap), warnings)
