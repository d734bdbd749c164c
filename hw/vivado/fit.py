"""Does the compiled design fit the board's part? Checked from ``report.json`` before any vendor tool runs.

The estimates are the ops' resource models (``dietsnn compile``); the
capacities are FINN's (``hw.boards``). A resource above the part's capacity
is an error; one above FINN's recommended limit for timing closure
(``finn.util.platforms.DEFAULT_RES_LIMITS``: 70% LUT, 80% BRAM/URAM/DSP) is
reported as a warning, since the estimates are not Vivado's numbers. The
advice names only remedies that work (``misfit_message``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from finn.util.platforms import DEFAULT_RES_LIMITS

from ..boards import RESOURCES, Board, bitstream_boards, get_board

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
    over: tuple = ()  #: resources the design needs beyond the part's capacity

    @property
    def fits(self) -> bool:
        return not self.over

    def utilization(self) -> dict:
        return {r: self.need[r] / self.capacity[r] for r in self.need if self.capacity.get(r)}


def _fits(need: dict, cap: dict | None) -> bool:
    return bool(cap) and all(need.get(r, 0) <= cap.get(r, 0) for r in need)


def _boards_that_fit(need: dict) -> list[str]:
    """Boards ``dietsnn bitstream`` accepts whose part holds ``need``."""
    return [name for name in bitstream_boards() if _fits(need, get_board(name).capacity)]


def assess_fit(report: dict, board: Board) -> Fit:
    """The design's estimates (``report["totals"]``) against ``board``'s part, without raising for a misfit."""
    need = {r: int(v) for r, v in report["totals"].items() if r in RESOURCES}
    cap = board.capacity
    if not cap:
        raise DesignTooLarge(f"board {board.name} ({board.part}): no resource table for this part in FINN's "
                             "finn.util.platforms or hw/boards.py, so the fit cannot be checked")
    over = tuple(r for r in need if need[r] > cap.get(r, 0))
    warnings = [f"{r} at {100 * need[r] / cap[r]:.0f}% of {board.part}, above FINN's recommended "
                f"{100 * RECOMMENDED[r]:.0f}% for timing closure"
                for r in need if r not in over and cap.get(r) and need[r] / cap[r] > RECOMMENDED[r]]
    return Fit(board.name, board.part, need, dict(cap), warnings, over)


def _top_layers(floor: dict, r: str, n: int = 3) -> str:
    layers = sorted(floor.get("layers", {}).items(), key=lambda kv: -kv[1].get(r, 0))
    return ", ".join(f"{name} {res[r]}" for name, res in layers[:n] if res.get(r, 0) > 0)


def misfit_message(fit: Fit, report: dict, source: str = "report.json") -> str:
    """What does not fit, and only the remedies that work.

    ``report["floor"]`` (written by ``dietsnn compile`` when the design does
    not fit) holds the estimates at the slowest folding (SIMD = PE = 1): a
    resource still above the part there does not shrink with ``--fps`` (e.g.
    weight memory), and only boards ``dietsnn bitstream`` accepts are named.
    """
    floor = report.get("floor")
    low = {r: int(v) for r, v in floor["totals"].items() if r in fit.need} if floor else None
    parts = []
    wm = report.get("weight_memory") or {}
    if fit.over == ("URAM",) and wm.get("weights_in") == "uram":
        return (f"the design does not fit {fit.board} ({fit.part}): URAM: needs {fit.need['URAM']}, the part has "
                f"{fit.capacity.get('URAM', 0)} (estimates from {source}): --weights-in uram put the weights of "
                f"{', '.join(wm['uram_layers'])} in UltraRAM; compile with --weights-in auto, which moves only as "
                "many as block RAM needs")
    for r in fit.over:
        text = f"{r}: needs {fit.need[r]}, the part has {fit.capacity.get(r, 0)}"
        if low is not None and low[r] > fit.capacity.get(r, 0):
            top = _top_layers(floor, r)
            text += (f", and still {low[r]} at the slowest folding{f' ({top})' if top else ''}: "
                     f"{r} does not shrink with --fps")
        parts.append(text)
    msg = f"the design does not fit {fit.board} ({fit.part}): {'; '.join(parts)} (estimates from {source}); "
    now = [b for b in _boards_that_fit(fit.need) if b != fit.board]
    if low is None:
        where = f"boards it fits: {', '.join(now)}" if now else "it fits none of the boards `dietsnn bitstream` " \
                                                                 "builds for at this --fps"
        return msg + (f"choose another board ({where}); compile it with `dietsnn compile` to learn whether a "
                      "lower --fps makes it fit")
    later = [b for b in _boards_that_fit(low) if b != fit.board and b not in now]
    if all(low[r] <= fit.capacity.get(r, 0) for r in fit.over):
        where = f"boards it fits: {', '.join(now)}" if now else "no other board `dietsnn bitstream` builds for " \
                                                                "fits it at this --fps"
        return msg + (f"lower --fps or choose another board ({where}); at the slowest folding "
                      f"({floor['estimated_fps']:.0f} fps) it needs "
                      + ", ".join(f"{r} {low[r]}" for r in fit.over))
    if now or later:
        where = "; ".join(x for x in (f"at this --fps: {', '.join(now)}" if now else "",
                                      f"at a lower --fps: {', '.join(later)}" if later else "") if x)
        return msg + f"no --fps makes it fit {fit.board}; choose another board (boards it fits {where})"
    return msg + ("it fits none of the boards `dietsnn bitstream` builds for at any --fps; make the network "
                  "smaller (fewer or narrower weights)")


def check_fit(report: dict, board: Board, source: str = "report.json") -> Fit:
    """Raise ``DesignTooLarge`` naming every resource the design needs beyond ``board``'s part."""
    fit = assess_fit(report, board)
    if fit.over:
        raise DesignTooLarge(misfit_message(fit, report, source))
    return fit
