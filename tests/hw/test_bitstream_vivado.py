"""The whole flow with the real Xilinx tools (marker ``vivado``; skipped where Vivado 2022.2 / 2024.2 is absent).

Run with ``pytest -m vivado tests/hw/test_bitstream_vivado.py``. A small random
network goes to a ZCU104 bitstream at 100 MHz (RTL blocks, and HLS blocks when
Vitis HLS is there too). What it checks on a machine with Vivado, i.e. what the
tclsh stand-ins of ``test_bitstream.py`` cannot:

1. the generated project, block design and runs are accepted by Vivado and
   produce a .bit of plausible size and its .hwh;
2. the .hwh has the cells the driver uses (``axi_dma_0``, ``dietsnn_accel_0``,
   ``accel_reset_gpio``, ``clk_wiz_0``, ``zynq_ps``), the DMA parameters the
   driver reads (``c_sg_length_width`` 26, ``c_addr_width`` 64) and the
   ``NETWORK_ID`` of the network, in a form the driver parses;
3. no interrupt reaches the PS (no ``pl_ps_irq0`` connection in the .hwh);
4. timing is met (the gate let the bitstream through) and build_report.json has
   WNS, TNS, WHS and the timing gate's numbers;
5. the clock was read back: the clocking wizard's FREQ_HZ and the period of the
   routed clock at the accelerator are in reports/clock.txt, and the achieved
   clock is within 0.1% of the 100 MHz requested;
6. synthesis read every memory file of the design (Synth 8-3876 for each
   stitched ``.mem``, or each HLS ROM ``.dat``), and its log has no "could not open $readmem";
7. Vivado's utilization is positive and below the part's.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from deploy.dietsnn_driver.hwh import cell_parameter, cell_parameters
from deploy.dietsnn_driver.transports import dma_limits
from dietsnn.testing import random_network
from flow.bitstream import BitstreamOptions, run_bitstream
from hw.vivado.reports import CLOCK, parse_key_values
from hw.vivado.tools import find_tool

VIVADO = find_tool("vivado")
VITIS_HLS = find_tool("vitis_hls")

pytestmark = [
    pytest.mark.vivado,
    pytest.mark.skipif(not (VIVADO.found and VIVADO.supported),
                       reason=f"needs Vivado 2022.2 or 2024.2 ({VIVADO.describe()})"),
]


def _flow(tmp_path, impl: str):
    net = random_network(np.random.default_rng(5), in_shape=(1, 8, 8))
    build = tmp_path / "build"
    opts = BitstreamOptions(net.save(tmp_path / "net.snn.npz"), build, board="zcu104", fps=2000,
                            clock_mhz=100, impl=impl, size_fifos=2)
    result = run_bitstream(opts)
    deploy = build / "deploy"
    # 1.
    assert result.status == "complete"
    assert (deploy / "dietsnn.bit").stat().st_size > 1_000_000
    # 2., 3.
    hwh = deploy / "dietsnn.hwh"
    text = hwh.read_text()
    for cell in ("axi_dma_0", "dietsnn_accel_0", "accel_reset_gpio", "clk_wiz_0", "zynq_ps"):
        assert f'INSTANCE="{cell}"' in text, cell
    assert dma_limits(hwh) == {"length_width": 26, "addr_width": 64}
    stitched = json.loads((build / "stitched.json").read_text())
    assert cell_parameter(hwh, "dietsnn_accel_0", "NETWORK_ID") == stitched["accel"]["parameters"]["NETWORK_ID"]
    assert cell_parameters(hwh, "zynq_ps").get("PSU__USE__IRQ0", "0") == "0"
    # 4.
    report = result.build_report
    assert report["timing_met"], report["timing"]
    assert {"WNS_ns", "TNS_ns", "WHS_ns", "THS_ns"} <= set(report["timing"])
    assert report["timing_gate"]["WNS_ns"] >= 0 and report["timing_gate"]["WHS_ns"] >= 0
    # 5.
    clock = parse_key_values((build / "bitstream" / "reports" / CLOCK).read_text())
    assert float(clock["clk_wiz_freq_hz"]) > 0 and float(clock["timing_period_ns"]) > 0
    assert report["clock"]["achieved_mhz"] == pytest.approx(100, rel=1e-3)
    # 6.
    expected = set(stitched["mem_files"]) if impl == "rtl" else \
        {p.name for p in (build / "ip").rglob("*.dat") if "syn" in p.parts}
    assert expected <= set(report["memory_files_read"])
    synth_log = (build / "bitstream" / "vivado" / "dietsnn.runs" / "synth_1" / "runme.log").read_text()
    assert "could not open $readmem" not in synth_log  # (the hook's set_msg_config line names Synth 8-4445)
    # 7.
    assert 0 < report["utilization"]["LUT"]["used"] < report["utilization"]["LUT"]["available"]


def test_rtl_bitstream(tmp_path):
    _flow(tmp_path, "rtl")


@pytest.mark.skipif(not (VITIS_HLS.found and VITIS_HLS.supported),
                    reason=f"needs Vitis HLS 2022.2 or 2024.2 ({VITIS_HLS.describe()})")
def test_hls_bitstream(tmp_path):
    _flow(tmp_path, "hls")
