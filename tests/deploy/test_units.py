"""Driver pieces that need no build: the .hwh parameter reader and the DMA register model's errors."""

import numpy as np
import pytest

from dietsnn.errors import NetworkMismatchError
from deploy.dietsnn_driver.hwh import cell_parameter, parse_value

HWH = """<?xml version="1.0" encoding="UTF-8"?>
<EDKSYSTEM><MODULES>
  <MODULE FULLNAME="/axi_dma_0" INSTANCE="axi_dma_0" MODTYPE="axi_dma"><PARAMETERS>
    <PARAMETER NAME="C_INCLUDE_SG" VALUE="0"/></PARAMETERS></MODULE>
  <MODULE FULLNAME="/dietsnn_accel_0" INSTANCE="dietsnn_accel_0" MODTYPE="dietsnn_accel"><PARAMETERS>
    <PARAMETER NAME="IN_BEATS" VALUE="784"/>
    <PARAMETER NAME="NETWORK_ID" VALUE="{nid}"/></PARAMETERS></MODULE>
</MODULES></EDKSYSTEM>"""


@pytest.mark.parametrize("text, value", [("0xBEA14048", 0xBEA14048), ("32'hbea1_4048", 0xBEA14048),
                                         ("3198238792", 3198238792), ("0b101", 5), ("8'd12", 12)])
def test_parse_value(text, value):
    assert parse_value(text) == value


def test_cell_parameter_reads_the_network_id(tmp_path):
    f = tmp_path / "dietsnn.hwh"
    f.write_text(HWH.format(nid="32'hBEA14048"))
    assert cell_parameter(f, "dietsnn_accel_0", "NETWORK_ID") == 0xBEA14048
    assert cell_parameter(f, "dietsnn_accel_0", "IN_BEATS") == 784
    with pytest.raises(NetworkMismatchError, match="cell dietsnn_accel_0 has no parameter OUT_BEATS"):
        cell_parameter(f, "dietsnn_accel_0", "OUT_BEATS")
    with pytest.raises(NetworkMismatchError, match="no cell dietsnn_accel_1"):
        cell_parameter(f, "dietsnn_accel_1", "NETWORK_ID")


def test_sim_memory_addresses_are_distinct_and_bounded():
    from dietsnn.errors import TransportError
    from dietsnn.sim_dma import SimMemory

    m = SimMemory()
    a, b = m.allocate((3, 100), np.uint8), m.allocate((5,), np.uint8)
    assert b.physical_address >= a.physical_address + a.nbytes
    m.write(a.physical_address + 100, np.arange(4, dtype=np.uint8))
    assert a[1, :4].tolist() == [0, 1, 2, 3]
    with pytest.raises(TransportError, match="outside every allocated buffer"):
        m.read(b.physical_address + 3, 4)
