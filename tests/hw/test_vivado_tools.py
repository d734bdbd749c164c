"""Finding Vivado / Vitis HLS (hw/vivado/tools.py): PATH, XILINX_VIVADO / XILINX_HLS, version parsing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hw.vivado.tools import SUPPORTED_VERSIONS, find_tool, parse_version

STUB = Path(__file__).resolve().parent / "xilinx_stub"


def _env(**kw) -> dict:
    env = {"PATH": "/usr/bin:/bin", "STUB_VERSION": "2024.2"}
    env.update(kw)
    return env


def test_supported_versions_are_finn_plus_ones():
    assert SUPPORTED_VERSIONS == ("2022.2", "2024.2")


@pytest.mark.parametrize("text,version", [
    ("vivado v2022.2 (64-bit)\nSW Build 3671981 on Fri Oct 14 04:59:54 MDT 2022", "2022.2"),
    ("Vivado v2024.2 (64-bit)\nTool Version Limit: 2024.11", "2024.2"),
    ("****** Vitis HLS - High-Level Synthesis from C, C++ and OpenCL v2022.2 (64-bit)", "2022.2"),
    ("bash: vivado: command not found", None),
])
def test_parse_version(text, version):
    assert parse_version(text) == version


def test_found_on_path():
    t = find_tool("vivado", _env(PATH=f"{STUB}:/usr/bin:/bin"))
    assert t.found and t.supported and t.version == "2024.2" and t.path == STUB / "vivado"


def test_found_under_xilinx_variables(tmp_path):
    (tmp_path / "Vivado" / "2022.2" / "bin").mkdir(parents=True)
    (tmp_path / "Vivado" / "2022.2" / "bin" / "vivado").symlink_to(STUB / "vivado")
    t = find_tool("vivado", _env(XILINX_VIVADO=str(tmp_path / "Vivado" / "2022.2"), STUB_VERSION="2022.2"))
    assert t.found and t.version == "2022.2" and t.searched.startswith("PATH and $XILINX_VIVADO=")
    # 2024.2 installs: XILINX_HLS points at Vitis/<version>, vitis_hls lives in Vitis_HLS/<version>
    (tmp_path / "Vitis_HLS" / "2024.2" / "bin").mkdir(parents=True)
    (tmp_path / "Vitis_HLS" / "2024.2" / "bin" / "vitis_hls").symlink_to(STUB / "vitis_hls")
    t = find_tool("vitis_hls", _env(XILINX_HLS=str(tmp_path / "Vitis" / "2024.2")))
    assert t.found and t.version == "2024.2"


def test_missing_and_unsupported():
    t = find_tool("vitis_hls", _env())
    assert not t.found and t.describe() == "vitis_hls not found (PATH and $XILINX_HLS (unset))"
    t = find_tool("vivado", _env(PATH=f"{STUB}:/usr/bin", STUB_VERSION="2023.1"))
    assert t.found and not t.supported and t.version == "2023.1"
    with pytest.raises(ValueError, match=r"^tool must be one of vivado, vitis_hls, not 'xsim'$"):
        find_tool("xsim", os.environ)
