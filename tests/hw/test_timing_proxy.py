"""The timing proxy (hw.synth.timing, hw.timing.summary): Yosys sta's latest arrival, parsed, cached, compared."""

import pytest

from hw.synth import SynthError, parse_sta, timing
from hw.timing import summary

STA_LOG = """
11. Executing STA pass (static timing analysis).
Warning: Module 'RAM32M16' has no timing arcs!
Latest arrival time in 'top' is 2903:
    2903 q_reg (FDRE.D)
           $sum [3]
    2870 $carry.slice[1].carry4 (CARRY4.CI->O)
    1806 $abc$59 (LUT2.I0->O)
     399 $ff$1 (FDRE.C->Q)
      96 $clkbuf (BUFG.I->O)
       0 $iopad (IBUF.I->O)
       0   \\clk (<primary input>)

Arrival histogram:
"""


def test_parse_sta_reads_the_arrival_the_path_and_the_untimed_cells():
    got = parse_sta(STA_LOG)
    assert got["arrival_ns"] == 2.903
    assert got["critical_path"] == ["IBUF.I->O", "BUFG.I->O", "FDRE.C->Q", "LUT2.I0->O", "CARRY4.CI->O"]
    assert got["untimed"] == ["RAM32M16"]


def test_parse_sta_without_a_report_is_an_error():
    with pytest.raises(SynthError, match="no latest arrival"):
        parse_sta("stat\nEnd of script.\n")


def test_a_longer_path_arrives_later_and_the_result_is_cached(tmp_path):
    src = tmp_path / "chain.sv"
    src.write_text("""`default_nettype none
module chain #(parameter int N = 1) (input wire logic clk, input wire logic [15:0] a, b,
                                     output logic [15:0] q);
    logic [15:0] ra, rb, s;
    always_comb begin
        s = ra;
        for (int i = 0; i < N; i++) s = (s ^ 16'h5a5a) + rb;  // N adders in series
    end
    always_ff @(posedge clk) begin ra <= a; rb <= b; q <= s; end
endmodule
""")
    one = timing("test_timing_chain1", "chain", [src], {"N": 1}, cache=False)
    three = timing("test_timing_chain3", "chain", [src], {"N": 3}, cache=False)
    assert 0 < one["arrival_ns"] < three["arrival_ns"]
    assert one["fmax_mhz"] == pytest.approx(1000 / one["arrival_ns"], abs=0.1)
    assert one["critical_path"][-1].startswith("CARRY")
    again = timing("test_timing_chain1", "chain", [src], {"N": 1})
    assert again["cached"] and again["arrival_ns"] == one["arrival_ns"]


def test_summary_names_our_blocks_slower_than_finns_slowest():
    rows = [{"name": "swg", "op_type": "ConvolutionInputGenerator_rtl", "ours": False, "arrival_ns": 4.6},
            {"name": "fifo", "op_type": "StreamingFIFO_rtl", "ours": False, "arrival_ns": 1.9},
            {"name": "conv2", "op_type": "SnnLIFMVU_rtl", "ours": True, "arrival_ns": 4.1},
            {"name": "fc1", "op_type": "SnnLIFMVU_rtl", "ours": True, "arrival_ns": 5.2},
            {"name": "fc2", "op_type": "SnnOutputMVU_rtl", "ours": True, "arrival_ns": None}]
    s = summary(rows, clock_mhz=200)
    assert s["slowest_finn"]["name"] == "swg" and s["slowest_ours"]["name"] == "fc1"
    assert s["ours_over_finn"] == ["fc1"] and s["not_timed"] == ["fc2"]
    assert s["over_clock_period"] == ["fc1"] and s["implied_clock_mhz"] == pytest.approx(192.3, abs=0.1)
