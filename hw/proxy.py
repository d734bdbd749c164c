"""The timing proxy in the flow: ``BUILD/timing.json``, the ``dietsnn estimate`` column and the warnings.

``run_proxy`` times every block of a stitched build with ``hw.timing.build_timing``
(Yosys ``synth_xilinx -family xcup``, then ``sta`` over the Xilinx cell
models; cached by content, so a block already timed costs nothing) and writes
``BUILD/timing.json``, tied to the stitched design it timed (a digest of
``stitched.json`` and the RTL). ``load_proxy`` returns it while the design is
unchanged. ``proxy_warnings`` says which of the project's blocks is slower
than the build's slowest FINN block (the calibration: FINN's blocks meet
200 MHz in FINN's Vivado builds) or than the clock period; ``compile`` has no
RTL yet, so ``stitch`` (from blocks already in the cache), ``estimate
--timing`` and ``bitstream`` (which runs the proxy) report them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from dietsnn.fsutil import atomic_write_text

log = logging.getLogger(__name__)

TIMING = "timing.json"  #: the proxy's result in the build folder


def design_digest(build: str | Path) -> str:
    """A digest of the stitched design: ``stitched.json`` and every file of ``BUILD/rtl``."""
    build = Path(build)
    h = hashlib.sha256((build / "stitched.json").read_bytes())
    for f in sorted((build / "rtl").iterdir()):
        if f.is_file():
            h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:24]


def run_proxy(build: str | Path, clock_mhz: float, timeout: int = 900, progress=None) -> dict:
    """Time every block of the stitched ``build``; write and return ``BUILD/timing.json``."""
    from .timing import build_timing

    build = Path(build)
    res = build_timing(build, timeout=timeout, clock_mhz=clock_mhz, log=progress)
    res["design"] = design_digest(build)
    atomic_write_text(build / TIMING, json.dumps(res, indent=2) + "\n")
    return res


def load_proxy(build: str | Path) -> dict | None:
    """``BUILD/timing.json`` when it timed the design now in ``BUILD/rtl``, else None."""
    build = Path(build)
    path = build / TIMING
    if not path.is_file() or not (build / "stitched.json").is_file():
        return None
    try:
        res = json.loads(path.read_text())
    except json.JSONDecodeError:
        return None
    return res if res.get("design") == design_digest(build) else None


def proxy_warnings(res: dict, clock_mhz: float) -> list[str]:
    """One line per block of ours slower than the slowest FINN block, per block slower than the clock period,
    and per block that could not be timed."""
    rows = {r["name"]: r for r in res["blocks"]}
    s = res["summary"]
    out = []
    finn = s.get("slowest_finn")
    for name in s.get("ours_over_finn", []):
        r = rows[name]
        out.append(f"timing proxy: {name} ({r['op_type']}) arrives at {r['arrival_ns']:.2f} ns, later than the "
                   f"slowest FINN block of this build, {finn['name']} ({finn['op_type']}, {finn['arrival_ns']:.2f} ns), "
                   f"which FINN's builds meet at 200 MHz: it may limit the clock")
    period = 1000.0 / clock_mhz
    for name in s.get("over_clock_period", []):
        r = rows[name]
        out.append(f"timing proxy: {name} ({r['op_type']}) arrives at {r['arrival_ns']:.2f} ns, more than the "
                   f"{period:.2f} ns period of {clock_mhz:g} MHz (before routing)")
    for name in s.get("not_timed", []):
        out.append(f"timing proxy: {name} ({rows[name]['op_type']}) could not be timed: "
                   f"{rows[name].get('error', 'no result')}")
    return out


def layer_timing(res: dict, report: dict) -> dict[str, dict]:
    """Per network layer (and ``"interconnect"``): the latest arrival over its nodes, that node and the clock
    the arrival implies."""
    rows = {r["name"]: r for r in res["blocks"]}
    groups = {l["layer"]: [n["node"] for n in l["nodes"]] for l in report["layers"]}
    grouped = {n for names in groups.values() for n in names}
    groups["interconnect"] = [n for n in rows if n not in grouped]
    out = {}
    for layer, names in groups.items():
        timed = [rows[n] for n in names if n in rows and rows[n].get("arrival_ns") is not None]
        if timed:
            worst = max(timed, key=lambda r: r["arrival_ns"])
            out[layer] = {"arrival_ns": worst["arrival_ns"], "node": worst["name"],
                          "fmax_mhz": round(1000.0 / worst["arrival_ns"], 1)}
    return out


def timing_text(res: dict, report: dict) -> str:
    """The proxy's lines for ``dietsnn estimate``: the build's implied clock and each layer's arrival."""
    s = res["summary"]
    lt = layer_timing(res, report)
    finn, ours = s.get("slowest_finn"), s.get("slowest_ours")
    lines = ["", "timing proxy (Yosys latest arrival after synth_xilinx; no routing, no setup):"]
    lines.append(f"{'layer':<12} {'arrival':>8} {'MHz':>7}  slowest node")
    for layer, t in lt.items():
        lines.append(f"{layer:<12} {t['arrival_ns']:>6.2f}ns {t['fmax_mhz']:>7.1f}  {t['node']}")
    if finn:
        lines.append(f"slowest FINN block {finn['name']} {finn['arrival_ns']:.2f} ns (FINN's blocks meet 200 MHz); "
                     f"slowest of ours {ours['name'] if ours else '-'} "
                     f"{ours['arrival_ns'] if ours else float('nan'):.2f} ns; implied clock "
                     f"{s.get('implied_clock_mhz')} MHz")
    return "\n".join(lines)


def cached_proxy_warnings(build: str | Path, clock_mhz: float) -> list[str] | None:
    """``proxy_warnings`` of ``BUILD/timing.json`` when it is current, else None (not timed)."""
    res = load_proxy(build)
    return None if res is None else proxy_warnings(res, clock_mhz)


__all__ = ["TIMING", "design_digest", "run_proxy", "load_proxy", "proxy_warnings", "layer_timing", "timing_text",
           "cached_proxy_warnings"]
