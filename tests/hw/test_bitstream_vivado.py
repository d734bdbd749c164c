"""The whole flow with the real Xilinx tools (marker ``vivado``; skipped where Vivado 2022.2 / 2024.2 is absent).

Run with ``pytest -m vivado tests/hw/test_bitstream_vivado.py``. A small random
network goes to a ZCU104 bitstream (RTL blocks, and HLS blocks when Vitis HLS
is there too); the test checks the .bit/.hwh pair, that the .hwh has the cells
the driver uses, and Vivado's timing and utilization in build_report.json.
"""

from __future__ import annotations

import numpy as np
import pytest

from flow.bitstream import BitstreamOptions, run_bitstream
from dietsnn.testing import random_network
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
    opts = BitstreamOptions(net.save(tmp_path / "net.snn.npz"), tmp_path / "build", board="zcu104", fps=2000,
                            clock_mhz=100, impl=impl, size_fifos=2)
    result = run_bitstream(opts)
    deploy = tmp_path / "build" / "deploy"
    assert result.status == "complete"
    assert (deploy / "dietsnn.bit").stat().st_size > 1_000_000
    hwh = (deploy / "dietsnn.hwh").read_text()
    for cell in ('INSTANCE="axi_dma_0"', 'INSTANCE="dietsnn_accel_0"', 'INSTANCE="zynq_ps"'):
        assert cell in hwh, cell
    report = result.build_report
    assert report["timing_met"], report["timing"]
    assert 0 < report["utilization"]["LUT"]["used"] < report["utilization"]["LUT"]["available"]


def test_rtl_bitstream(tmp_path):
    _flow(tmp_path, "rtl")


@pytest.mark.skipif(not (VITIS_HLS.found and VITIS_HLS.supported),
                    reason=f"needs Vitis HLS 2022.2 or 2024.2 ({VITIS_HLS.describe()})")
def test_hls_bitstream(tmp_path):
    _flow(tmp_path, "hls")
