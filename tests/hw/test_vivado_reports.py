"""Parsing Vivado's report_utilization / report_timing_summary text (hw/vivado/reports.py) on sample reports.

``data/vivado/``: an UltraScale+ routed utilization report of the 2022.2 format
(with the Prohibited column), a 7-series one of the older format (without),
a timing summary that meets timing and one that does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hw.vivado.reports import ReportError, build_report, parse_timing_summary, parse_utilization

DATA = Path(__file__).resolve().parent / "data" / "vivado"


def test_ultrascale_utilization():
    u = parse_utilization((DATA / "utilization_zcu104.rpt").read_text())
    assert u["LUT"] == {"used": 96412, "available": 230400, "util_percent": 41.85}
    assert u["FF"] == {"used": 61873, "available": 460800, "util_percent": 13.43}
    assert u["BRAM_TILE"] == {"used": 103.5, "available": 312, "util_percent": 33.17}
    assert u["BRAM_18K"] == {"used": 207, "available": 624, "util_percent": 33.17}
    assert u["URAM"]["available"] == 96 and u["DSP"] == {"used": 72, "available": 1728, "util_percent": 4.17}


def test_7series_utilization_without_uram_and_prohibited_column():
    u = parse_utilization((DATA / "utilization_pynq_z2.rpt").read_text())
    assert u["LUT"]["used"] == 25770 and u["LUT"]["available"] == 53200  # "Slice LUTs*"
    assert u["FF"]["used"] == 42269 and u["BRAM_18K"]["used"] == 242 and u["DSP"]["used"] == 24
    assert "URAM" not in u


def test_timing_met():
    t = parse_timing_summary((DATA / "timing_summary_met.rpt").read_text())
    assert t["met"] is True
    assert (t["WNS_ns"], t["TNS_ns"], t["WHS_ns"], t["THS_ns"], t["WPWS_ns"]) == (0.412, 0, 0.01, 0, 1.458)
    assert t["TNS_failing_endpoints"] == 0 and t["TNS_total_endpoints"] == 187233
    assert t["clocks"] == [{"name": "clk_pl_0", "period_ns": 5, "frequency_mhz": 200}]


def test_timing_violated():
    t = parse_timing_summary((DATA / "timing_summary_violated.rpt").read_text())
    assert t["met"] is False and t["WNS_ns"] == -0.731 and t["TNS_ns"] == -42.117
    assert t["TNS_failing_endpoints"] == 118
    assert t["clocks"] == [{"name": "clk_fpga_0", "period_ns": 6.667, "frequency_mhz": 150}]


def test_reports_without_tables_are_errors():
    with pytest.raises(ReportError, match=r"^x\.rpt: no LUT, FF, BRAM_TILE, DSP row in the utilization tables"):
        parse_utilization("stub utilization report\n", "x.rpt")
    with pytest.raises(ReportError, match=r"^y\.rpt: no 'Design Timing Summary' table"):
        parse_timing_summary("stub timing report\n", "y.rpt")


def test_build_report_compares_with_the_estimates(tmp_path):
    (tmp_path / "utilization.rpt").write_text((DATA / "utilization_zcu104.rpt").read_text())
    (tmp_path / "timing_summary.rpt").write_text((DATA / "timing_summary_met.rpt").read_text())
    r = build_report(tmp_path, estimates={"LUT": 100349, "BRAM_18K": 201, "URAM": 0, "DSP": 72}, board="ZCU104")
    assert r["board"] == "ZCU104" and r["timing_met"] is True
    assert r["estimates"]["LUT"] == {"estimate": 100349, "vivado": 96412}
    assert r["estimates"]["BRAM_18K"] == {"estimate": 201, "vivado": 207}
    json.dumps(r)  # JSON-ready
    (tmp_path / "timing_summary.rpt").unlink()
    with pytest.raises(FileNotFoundError, match=r"timing_summary\.rpt: no Vivado report"):
        build_report(tmp_path)
