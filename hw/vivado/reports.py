"""Vivado's own numbers: ``report_utilization`` and ``report_timing_summary`` text files, and the clock
and timing gate ``implement.tcl`` reads back (``clock.txt``, ``timing_gate.txt``) -> ``build_report.json``.

Both are Vivado's plain-text report formats as ``implement.tcl`` writes them
(``report_utilization -file``, ``report_timing_summary -file``). The
utilization tables have the columns ``Site Type | Used | Fixed | [Prohibited
|] Available | Util%`` (Prohibited since Vivado 2020); UltraScale+ names rows
``CLB LUTs`` / ``CLB Registers``, 7-series ``Slice LUTs`` / ``Slice
Registers``; a trailing ``*`` (e.g. ``CLB LUTs*``) marks a footnote.
``Block RAM Tile`` counts 36 Kb tiles (a RAMB18 is half a tile), reported
here also as ``BRAM_18K`` = 2 x tiles, the unit of the estimates.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from dietsnn.fsutil import atomic_write_text

#: row label (without footnote star) -> our resource name
_UTIL_ROWS = {"CLB LUTs": "LUT", "Slice LUTs": "LUT", "CLB Registers": "FF", "Slice Registers": "FF",
              "Block RAM Tile": "BRAM_TILE", "URAM": "URAM", "DSPs": "DSP"}
UTILIZATION = "utilization.rpt"
TIMING = "timing_summary.rpt"
CLOCK = "clock.txt"  #: block_design.tcl / implement.tcl: requested_mhz, clk_wiz_freq_hz, accel_freq_hz, timing_*
GATE = "timing_gate.txt"  #: implement.tcl: WNS_ns, TNS_ns, WHS_ns, THS_ns, allow_violation
MEMORY_READ = "memory_files_read.txt"  #: implement.tcl: the $readmem files synthesis read (Synth 8-3876)
BUILD_REPORT = "build_report.json"


class ReportError(ValueError):
    """A Vivado report without the expected table."""


def _number(text: str) -> float | int:
    text = text.strip().lstrip("<")
    v = float(text)
    return int(v) if v.is_integer() else v


def parse_utilization(text: str, source: str = "report_utilization") -> dict:
    """``{LUT, FF, BRAM_TILE, BRAM_18K, URAM, DSP: {"used", "available", "util_percent"}}`` from the summary tables.

    The first row of each kind counts (the summary tables come before any
    per-hierarchy detail). A resource the part does not have (URAM on
    7-series) is absent.
    """
    found = {}
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5:
            continue
        label = cells[0].rstrip("*").strip()
        key = _UTIL_ROWS.get(label)
        if key is None or key in found:
            continue
        try:
            used, available, util = _number(cells[1]), _number(cells[-2]), _number(cells[-1])
        except ValueError:
            continue
        found[key] = {"used": used, "available": available, "util_percent": util}
    missing = [k for k in ("LUT", "FF", "BRAM_TILE", "DSP") if k not in found]
    if missing:
        raise ReportError(f"{source}: no {', '.join(missing)} row in the utilization tables "
                          "(expected Vivado's report_utilization text, e.g. '| CLB LUTs | used | ... |')")
    tile = found["BRAM_TILE"]
    found["BRAM_18K"] = {"used": _number(str(2 * tile["used"])), "available": int(2 * tile["available"]),
                         "util_percent": tile["util_percent"]}
    return found


_TIMING_KEYS = {"WNS(ns)": "WNS_ns", "TNS(ns)": "TNS_ns", "TNS Failing Endpoints": "TNS_failing_endpoints",
                "TNS Total Endpoints": "TNS_total_endpoints", "WHS(ns)": "WHS_ns", "THS(ns)": "THS_ns",
                "THS Failing Endpoints": "THS_failing_endpoints", "THS Total Endpoints": "THS_total_endpoints",
                "WPWS(ns)": "WPWS_ns", "TPWS(ns)": "TPWS_ns", "TPWS Failing Endpoints": "TPWS_failing_endpoints",
                "TPWS Total Endpoints": "TPWS_total_endpoints"}


def _table_after(lines: list[str], title: str) -> tuple[list[str], list[list[str]]] | None:
    """Header columns and data rows of the first table after the section line ``| <title>``."""
    for i, line in enumerate(lines):
        if line.strip().lstrip("|").strip() == title:
            break
    else:
        return None
    rest = lines[i + 1:]
    dashes = re.compile(r"\s*-{3,}(\s+-{3,})*\s*")
    for j, line in enumerate(rest[:-1]):
        if line.strip() and not line.lstrip().startswith("|") and not dashes.fullmatch(line) \
                and dashes.fullmatch(rest[j + 1]):
            header = re.split(r"\s{2,}", line.strip())
            rows = []
            for row in rest[j + 2:]:
                if not row.strip():
                    break
                rows.append(row.split())
            return header, rows
    return None


def parse_timing_summary(text: str, source: str = "report_timing_summary") -> dict:
    """WNS/TNS/WHS/THS/WPWS/TPWS and endpoint counts of the "Design Timing Summary", the clocks of the
    "Clock Summary", and ``met``: Vivado's own verdict ("All user specified timing constraints are met.")."""
    lines = text.splitlines()
    table = _table_after(lines, "Design Timing Summary")
    if table is None or not table[1]:
        raise ReportError(f"{source}: no 'Design Timing Summary' table (expected Vivado's report_timing_summary text)")
    header, rows = table
    values = rows[0]
    if len(values) != len(header):
        raise ReportError(f"{source}: the Design Timing Summary row has {len(values)} values for {len(header)} columns")
    summary = {}
    for name, value in zip(header, values):
        key = _TIMING_KEYS.get(name, re.sub(r"\W+", "_", name).strip("_"))
        try:
            summary[key] = _number(value)
        except ValueError:
            summary[key] = None  # "NA" when a check has no endpoints
    clocks = []
    clock_table = _table_after(lines, "Clock Summary")
    if clock_table is not None:
        for row in clock_table[1]:
            # Clock  Waveform(ns) {0.000 2.500}  Period(ns)  Frequency(MHz)
            m = re.match(r"(\S+)\s+\{[^}]*\}\s+(\S+)\s+(\S+)", " ".join(row))
            if m:
                clocks.append({"name": m.group(1), "period_ns": _number(m.group(2)),
                               "frequency_mhz": _number(m.group(3))})
    if "All user specified timing constraints are met." in text:
        met = True
    elif "Timing constraints are not met." in text:
        met = False
    else:
        wns, whs = summary.get("WNS_ns"), summary.get("WHS_ns")
        met = wns is not None and whs is not None and wns >= 0 and whs >= 0
    return {**summary, "clocks": clocks, "met": met}


def parse_key_values(text: str) -> dict:
    """``key value`` lines (the files implement.tcl writes) -> ``{key: value}``; a key without a value
    (a property Vivado did not have) maps to ``""``; the last line of a key counts."""
    out = {}
    for line in text.splitlines():
        if line.strip():
            key, _, value = line.strip().partition(" ")
            out[key] = value.strip()
    return out


def _maybe_number(text: str):
    try:
        return _number(text)
    except ValueError:
        return text


def _float(value) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if v > 0 else None


def achieved_clock(reports: str | Path, requested_mhz: float, timing: dict | None = None) -> dict:
    """The frequency the design runs at, read back from the design (``reports/clock.txt``), best source first:

    1. the period of the routed design's clock at ``dietsnn_accel_0/ap_clk`` (else at the clocking
       wizard's output): what timing was closed at, derived by Vivado from the PS reference and the PLL;
    2. the clocking wizard's ``CONFIG.FREQ_HZ`` after the block design's parameter propagation;
    3. a ``clk_out1*`` clock of the timing report's Clock Summary.

    Raises ``ReportError`` when none is there: a build whose clock is unknown has no honest frame rate.
    """
    path = Path(reports) / CLOCK
    values = parse_key_values(path.read_text()) if path.is_file() else {}
    period = _float(values.get("timing_period_ns"))
    if period:
        mhz, source = 1e3 / period, f"routed design: clock {values.get('timing_clock', '?')}, period {period:g} ns"
    elif _float(values.get("accel_freq_hz")) or _float(values.get("clk_wiz_freq_hz")):
        hz = _float(values.get("accel_freq_hz")) or _float(values.get("clk_wiz_freq_hz"))
        mhz, source = hz / 1e6, "block design: CONFIG.FREQ_HZ of the accelerator's clock after validation"
    else:
        wiz = [c for c in (timing or {}).get("clocks", []) if c["name"].startswith("clk_out1")]
        if not wiz:
            raise ReportError(f"{path}: no clock read back from the design (no timing_period_ns, accel_freq_hz or "
                              "clk_wiz_freq_hz), and no clk_out1 clock in the timing report")
        mhz, source = float(wiz[0]["frequency_mhz"]), f"timing report: clock {wiz[0]['name']}"
    return {"requested_mhz": float(requested_mhz), "achieved_mhz": round(mhz, 6), "source": source,
            "deviation_percent": round(100.0 * (mhz - requested_mhz) / requested_mhz, 4),
            "read_back": values}


def build_report(reports: str | Path, estimates: dict | None = None, requested_mhz: float | None = None,
                 **info) -> dict:
    """``build_report.json``'s content from ``reports/{utilization,timing_summary}.rpt`` (and the design's
    estimates from report.json, for comparison); ``info`` adds board, part and the like.

    With ``requested_mhz``, ``clock`` is the frequency read back from the design (``achieved_clock``) and
    ``clock_mhz`` the achieved one, which the driver and the notebook use; ``timing_gate`` is what
    implement.tcl decided on (``timing_gate.txt``), ``memory_files_read`` the files synthesis read.
    """
    reports = Path(reports)
    paths = {name: reports / name for name in (UTILIZATION, TIMING)}
    for name, path in paths.items():
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no Vivado report (implement.tcl writes it after implementation)")
    util = parse_utilization(paths[UTILIZATION].read_text(errors="replace"), str(paths[UTILIZATION]))
    timing = parse_timing_summary(paths[TIMING].read_text(errors="replace"), str(paths[TIMING]))
    report = {**info, "timing": timing, "timing_met": timing["met"], "utilization": util,
              "reports": {k: str(p) for k, p in paths.items()}}
    if requested_mhz is not None:
        report["clock"] = achieved_clock(reports, requested_mhz, timing)
        report["clock_mhz"] = report["clock"]["achieved_mhz"]
    gate = reports / GATE
    if gate.is_file():
        report["timing_gate"] = {k: _maybe_number(v) for k, v in parse_key_values(gate.read_text()).items()}
    mem = reports / MEMORY_READ
    if mem.is_file():
        report["memory_files_read"] = sorted({Path(line.strip()).name for line in mem.read_text().splitlines()
                                              if line.strip()})
    if estimates:
        report["estimates"] = {r: {"estimate": int(v), "vivado": util[r]["used"] if r in util else None}
                               for r, v in estimates.items()}
    return report


def write_build_report(reports: str | Path, out: str | Path, **kwargs) -> dict:
    report = build_report(reports, **kwargs)
    atomic_write_text(out, json.dumps(report, indent=2) + "\n")
    return report
