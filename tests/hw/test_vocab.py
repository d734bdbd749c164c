"""The one table of names (hw.vocab): every kind has a row, and every name in it exists at its level."""

import subprocess
import sys
from pathlib import Path

import pytest
from finn.custom_op.fpgadataflow.hlsbackend import HLSBackend
from finn.custom_op.fpgadataflow.rtlbackend import RTLBackend

import finn.custom_op.fpgadataflow as fdf
import finn.custom_op.fpgadataflow.hls as fhls
import finn.custom_op.fpgadataflow.rtl as frtl
import hw.finn_ops as finn_ops
from dietsnn.vocab import Kind, MvuMode, mvu_mode
from hw import qonnx_ops
from hw.vocab import LAYERS, RTL_MODES, by_finn_op, by_qonnx_op, mvu_finn_op, names

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_has_one_row_whose_names_exist(kind):
    row = names(kind.value)  # the network file's string
    assert row is LAYERS[kind] and row.kind is kind
    assert qonnx_ops.custom_op[row.qonnx_op].kind is kind and by_qonnx_op(row.qonnx_op) is row
    op = getattr(finn_ops, row.finn_op)
    assert fdf.custom_op[row.finn_op] is op
    for suffix, table, backend in (("_rtl", frtl.custom_op, RTLBackend), ("_hls", fhls.custom_op, HLSBackend)):
        cls = table[row.finn_op + suffix]  # registered where FINN's SpecializeLayers looks
        assert cls.__mro__[1] is op and issubclass(cls, backend) and cls.__name__ == row.finn_op + suffix
        assert cls.__module__ == f"hw.finn_ops.{suffix[1:]}.{row.hls_kernel}{suffix}"  # one class per file
        assert by_finn_op(cls.__name__).finn_op == row.finn_op
    assert (ROOT / "hw" / "rtl" / f"{row.rtl_block}.sv").is_file()
    assert (ROOT / "hw" / "hls" / f"{row.hls_kernel}.h").is_file()
    if kind.has_weights:
        assert row.mvu_mode is mvu_mode(kind) and row.rtl_mode == RTL_MODES[row.mvu_mode]
        assert mvu_finn_op(row.mvu_mode) == row.finn_op
    else:
        assert row.rtl_mode is None and row.mvu_mode is None


def test_label_mode_is_the_output_block():
    assert mvu_mode("output_accumulate", emit_label=True) is MvuMode.LABEL
    assert RTL_MODES[MvuMode.LABEL] == RTL_MODES[MvuMode.SCORES] == names(Kind.OUTPUT_ACCUMULATE).rtl_mode
    with pytest.raises(KeyError, match=r"'Relu' is not one of the project's QONNX ops"):
        by_qonnx_op("Relu")
    with pytest.raises(ValueError, match=r"spike_maxpool has no weights"):
        mvu_mode(Kind.SPIKE_MAXPOOL)


def test_a_fresh_process_finds_the_backends_after_importing_hw_finn_ops(tmp_path):
    """The registration is the import: a saved specialized graph loads and runs in a new process."""
    code = (
        "import numpy as np, hw.finn_ops\n"
        "from qonnx.custom_op.registry import getCustomOp\n"
        "from onnx import helper\n"
        "n = helper.make_node('SnnLIFMVU_rtl', ['x','w','b','t'], ['y'], name='m', "
        "domain='finn.custom_op.fpgadataflow.rtl', backend='fpgadataflow', MW=4, MH=2, T=3, "
        "inputDataType='UINT3', weightDataType='INT4', accBits=4, stateBits=60)\n"
        "inst = getCustomOp(n)\n"
        "print(type(inst).__module__)\n"
        "print(*inst.verify_node(), sep='\\n')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.splitlines() == ["hw.finn_ops.rtl.snn_lif_mvu_rtl", "widths must satisfy 1 <= acc_bits (4) <= "
                                       "state_bits (60) <= 48 (the RTL block's widest register)"]
