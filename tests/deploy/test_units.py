"""Driver pieces that need no build: the .hwh parameter reader, the DMA's limits, the reset sequence and the
DMA register model's errors."""

import re

import numpy as np
import pytest

from dietsnn import axi_dma as R
from dietsnn.errors import NetworkMismatchError, TransportError
from deploy.dietsnn_driver.hwh import HwhValueError, cell_parameter, parse_value
from deploy.dietsnn_driver.transports import dma_limits

HWH = """<?xml version="1.0" encoding="UTF-8"?>
<EDKSYSTEM><MODULES>
  <MODULE FULLNAME="/axi_dma_0" INSTANCE="axi_dma_0" MODTYPE="axi_dma"><PARAMETERS>
    <PARAMETER NAME="C_INCLUDE_SG" VALUE="0"/></PARAMETERS></MODULE>
  <MODULE FULLNAME="/dietsnn_accel_0" INSTANCE="dietsnn_accel_0" MODTYPE="dietsnn_accel"><PARAMETERS>
    <PARAMETER NAME="IN_BEATS" VALUE="784"/>
    <PARAMETER NAME="NETWORK_ID" VALUE="{nid}"/></PARAMETERS></MODULE>
</MODULES></EDKSYSTEM>"""


@pytest.mark.parametrize("text, value", [
    ("0xBEA14048", 0xBEA14048), ("0XBEA14048", 0xBEA14048), ("32'hbea1_4048", 0xBEA14048),
    ("3198238792", 3198238792), ("0b101", 5), ("8'd12", 12), ("'hBEA14048", 0xBEA14048),
    ("64'h00000000BEA14048", 0xBEA14048), ("32'HBEA14048", 0xBEA14048), ("8'sb0000_1010", 10), ("8'o17", 15),
    # bit-string parameters are written quoted
    ('"0xBEA14048"', 0xBEA14048), ("'0xBEA14048'", 0xBEA14048), ('"32\'hBEA14048"', 0xBEA14048),
    ('"3198238792"', 3198238792), (" 0xbea14048 ", 0xBEA14048),
])
def test_parse_value_accepts_every_form_vivado_writes(text, value):
    assert parse_value(text) == value


@pytest.mark.parametrize("text", ["", "0xZZ", "deadbeef", "32'hBEA1404G", "8'hFFF", "-5", "1.5", '"0x12', "''"])
def test_parse_value_names_what_it_cannot_read(text):
    with pytest.raises(HwhValueError, match=r"^x\.hwh: cell c, parameter NETWORK_ID: .* is not an integer"):
        parse_value(text, "x.hwh: cell c, parameter NETWORK_ID")


def test_cell_parameter_reads_the_network_id(tmp_path):
    f = tmp_path / "dietsnn.hwh"
    f.write_text(HWH.format(nid="32'hBEA14048"))
    assert cell_parameter(f, "dietsnn_accel_0", "NETWORK_ID") == 0xBEA14048
    assert cell_parameter(f, "dietsnn_accel_0", "IN_BEATS") == 784
    with pytest.raises(NetworkMismatchError, match="cell dietsnn_accel_0 has no parameter OUT_BEATS"):
        cell_parameter(f, "dietsnn_accel_0", "OUT_BEATS")
    with pytest.raises(NetworkMismatchError, match="no cell dietsnn_accel_1"):
        cell_parameter(f, "dietsnn_accel_1", "NETWORK_ID")


def test_a_network_id_vivado_wrote_quoted_reaches_the_mismatch_check(tmp_path):
    f = tmp_path / "dietsnn.hwh"
    f.write_text(HWH.format(nid="&quot;32'hBEA14048&quot;"))
    assert cell_parameter(f, "dietsnn_accel_0", "NETWORK_ID") == 0xBEA14048
    f.write_text(HWH.format(nid="&quot;none&quot;"))
    with pytest.raises(NetworkMismatchError, match=rf"^{re.escape(str(f))}: cell dietsnn_accel_0, parameter "
                                                   r"NETWORK_ID: '\"none\"' is not an integer in any form"):
        cell_parameter(f, "dietsnn_accel_0", "NETWORK_ID")
    f.write_text("<EDKSYSTEM><MODULES>")
    with pytest.raises(NetworkMismatchError, match=r"dietsnn\.hwh: not a readable hardware handoff file"):
        cell_parameter(f, "dietsnn_accel_0", "NETWORK_ID")


def test_dma_limits_come_from_the_hwh(tmp_path):
    """As PYNQ's DMA driver: c_sg_length_width and c_addr_width of the cell (any case, CONFIG. prefix or not)."""
    f = tmp_path / "dietsnn.hwh"
    f.write_text(HWH.format(nid="0x1").replace('<PARAMETER NAME="C_INCLUDE_SG" VALUE="0"/>',
                                               '<PARAMETER NAME="C_INCLUDE_SG" VALUE="0"/>'
                                               '<PARAMETER NAME="c_sg_length_width" VALUE="23"/>'
                                               '<PARAMETER NAME="CONFIG.C_ADDR_WIDTH" VALUE="32"/>'))
    assert dma_limits(f) == {"length_width": 23, "addr_width": 32}
    f.write_text(HWH.format(nid="0x1"))
    with pytest.raises(NetworkMismatchError, match="cell axi_dma_0 has no parameter c_sg_length_width"):
        dma_limits(f)


def test_sim_memory_addresses_are_distinct_and_bounded():
    from dietsnn.sim_dma import SimMemory

    m = SimMemory()
    a, b = m.allocate((3, 100), np.uint8), m.allocate((5,), np.uint8)
    assert b.physical_address >= a.physical_address + a.nbytes
    m.write(a.physical_address + 100, np.arange(4, dtype=np.uint8))
    assert a[1, :4].tolist() == [0, 1, 2, 3]
    with pytest.raises(TransportError, match="outside every allocated buffer"):
        m.read(b.physical_address + 3, 4)


class Registers:
    """A register file that records every access (an ``MMIO`` stand-in); DMACR.Reset clears itself at once."""

    def __init__(self, name: str, log: list):
        self.name, self.log, self.regs = name, log, {}

    def read(self, offset):
        self.log.append((self.name, "read", offset))
        return self.regs.get(offset, 0)

    def write(self, offset, value):
        self.log.append((self.name, "write", offset, value))
        self.regs[offset] = value & ~R.CR_RESET if offset == R.MM2S_DMACR else value


def test_dma_refuses_what_its_bitstream_cannot_do():
    log = []
    dma = R.AxiDma(Registers("dma", log), length_width=14, addr_width=32)
    assert dma.max_transfer == 16383
    with pytest.raises(TransportError, match=r"send transfer of 16384 bytes: this AXI DMA moves 1..16383 bytes at "
                                             r"once \(c_sg_length_width = 14\); use a smaller batch_size"):
        dma.start(0x1000, 16384, 0x10000, 16)
    with pytest.raises(TransportError, match=r"receive buffer at 0x100000000 \(16 bytes\) is beyond the DMA's "
                                             r"32-bit addresses"):
        dma.start(0x1000, 16, 1 << 32, 16)
    dma.start(0x1000, 16, 0x2000, 16)
    assert not any(e[2] in (R.MM2S_SA_MSB, R.S2MM_DA_MSB) for e in log if e[1] == "write"), "no MSB registers"
    dma64 = R.AxiDma(Registers("dma", log), addr_width=64)
    dma64.start(0x1_2000_0000, 16, 0x2000, 16)
    assert ("dma", "write", R.MM2S_SA_MSB, 1) in log
    with pytest.raises(TransportError, match=r"c_sg_length_width must be 8..26 \(PG021\), not 27"):
        R.AxiDma(Registers("dma", []), length_width=27)


def test_dma_with_an_error_is_not_restarted_without_a_reset():
    regs = Registers("dma", [])
    regs.regs[R.S2MM_DMASR] = R.SR_INT_ERR | R.SR_HALTED
    with pytest.raises(TransportError, match=r"S2MM channel is halted on DMAIntErr .*reset it first"):
        R.AxiDma(regs).start(0x1000, 16, 0x2000, 16)


def test_recover_holds_the_accelerator_in_reset_while_the_dma_resets():
    log = []
    R.recover(R.AxiDma(Registers("dma", log)), R.AccelReset(Registers("gpio", log)))
    writes = [(e[0], e[2], e[3]) for e in log if e[1] == "write"]
    hold, release = writes.index(("gpio", R.GPIO_DATA, 0)), writes.index(("gpio", R.GPIO_DATA, 1))
    reset = writes.index(("dma", R.MM2S_DMACR, R.CR_RESET))
    assert hold < reset < release and writes[-1] == ("gpio", R.GPIO_DATA, 1)


def test_sim_gpio_drives_the_reset_of_the_simulated_accelerator():
    from dietsnn.sim_dma import RESET_CYCLES, SimAxiDma, SimAxiGpio, SimMemory, SimTransfer

    dma = SimAxiDma(SimMemory(), harness=None)
    reset = R.AccelReset(SimAxiGpio(dma))
    reset.hold()
    assert dma.accel_in_reset
    reset.release()
    assert not dma.accel_in_reset and dma._reset_cycles == 0, "a clean accelerator needs no replayed reset"
    dma.history.append(SimTransfer(0, np.zeros(4, np.uint8), False, 16))
    reset.hold()
    reset.release()
    assert dma._reset_cycles == RESET_CYCLES
    dma.write(R.S2MM_DMACR, R.CR_RUN)
    dma.write(R.S2MM_LENGTH, (1 << 26) + 16)
    assert dma.read(R.S2MM_LENGTH) == 16, "the length register keeps c_sg_length_width bits, as the IP"
