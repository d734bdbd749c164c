"""``dietsnn bitstream`` / ``make bitstream`` (issue 6): the stop without Vivado, the generated TCL, the errors.

Vendor tools are never needed here: ``tests/hw/xilinx_stub/`` holds stand-ins
for ``vivado`` and ``vitis_hls`` that run the generated scripts under plain
``tclsh`` with stub commands (``stub.tcl``: unknown commands are no-ops, file
arguments must exist, the file-producing steps write placeholders, reports
come from ``tests/hw/data/vivado``). They check syntax, control flow and file
references of the scripts and the orchestration around them, not the design
(``test_bitstream_vivado.py`` does that where Vivado exists).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from flow.bitstream import BitstreamOptions, VendorToolMissing, run_bitstream
from flow.cli import main
from dietsnn.testing import random_network
from hw.boards import UnknownBoard, get_board, known_boards
from hw.vivado.fit import DesignTooLarge, check_fit
from hw.vivado.scripts import write_scripts

ROOT = Path(__file__).resolve().parents[2]
STUB = Path(__file__).resolve().parent / "xilinx_stub"
DATA = Path(__file__).resolve().parent / "data" / "vivado"
SCRIPTS = ("build.tcl", "project.tcl", "block_design.tcl", "implement.tcl")


def tool_env(tools: str = "", version: str = "2022.2", util: str = "utilization_zcu104.rpt",
             timing: str = "timing_summary_met.rpt", bin_dir: Path | None = None) -> dict:
    """The environment without any real Xilinx tool; ``tools`` names the stand-ins to put on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XILINX_")}
    path = [p for p in env.get("PATH", "").split(os.pathsep)
            if p and not any((Path(p) / t).exists() for t in ("vivado", "vitis_hls"))]
    if tools:
        assert bin_dir is not None
        bin_dir.mkdir(parents=True, exist_ok=True)
        for t in tools.split():
            link = bin_dir / t
            if not link.exists():
                link.symlink_to(STUB / t)
        path.insert(0, str(bin_dir))
    env.update(PATH=os.pathsep.join(path), STUB_VERSION=version, STUB_UTILIZATION=str(DATA / util),
               STUB_TIMING=str(DATA / timing))
    return env


def run_stub(script: Path, log: Path, cwd: Path | None = None) -> list[str]:
    """Run a generated TCL script under tclsh with the stub commands; return the recorded calls."""
    proc = subprocess.run(["tclsh", str(STUB / "stub.tcl"), str(script)], cwd=cwd or script.parent,
                          env={**os.environ, "STUB_LOG": str(log)}, capture_output=True, text=True)
    assert proc.returncode == 0, f"{script} under tclsh stubs:\n{proc.stdout}\n{proc.stderr}"
    return log.read_text().splitlines() if log.is_file() else []


@pytest.fixture(scope="module")
def net_file(tmp_path_factory) -> Path:
    net = random_network(np.random.default_rng(11), in_shape=(1, 8, 8))
    return net.save(tmp_path_factory.mktemp("net") / "net.snn.npz")


@pytest.fixture(scope="module")
def stopped(net_file, tmp_path_factory):
    """A build (random network, RTL, ZCU104) taken as far as it goes without Vivado."""
    build = tmp_path_factory.mktemp("rtl") / "build"
    with pytest.raises(VendorToolMissing) as e:
        run_bitstream(BitstreamOptions(net_file, build, fps=2000, size_fifos=0), env=tool_env())
    return e.value.result


# ------------------------------------------------------------------ acceptance 1: the stop and its artifacts
def test_stops_before_vivado_naming_tool_versions_step_and_folder(stopped):
    build = stopped.build
    lines = stopped.message.splitlines()
    assert re.fullmatch(r"dietsnn bitstream: stopped before step 'vivado' \(Vivado project, block design, "
                        r"synthesis, implementation, bitstream\): vivado not found \(PATH and \$XILINX_VIVADO "
                        r"\(unset\)\); Vivado 2022\.2 or 2024\.2 is needed\.", lines[0]), lines[0]
    assert lines[1] == "Steps done: check, compile, fit, stitch, vivado_scripts, deploy_package."
    assert re.fullmatch(rf"Artifacts in {re.escape(str(build))}: \d+ compile, \d+ rtl, \d+ vivado scripts, "
                        rf"\d+ deploy \(listed in {re.escape(str(build / 'bitstream' / 'artifacts.json'))}\)\.",
                        lines[2]), lines[2]
    assert lines[3] == f"With the tools installed, run: bash {build}/bitstream/run_vivado.sh  (or this command again)."


def test_artifact_list_names_every_generated_file(stopped):
    build = stopped.build
    doc = json.loads((build / "bitstream" / "artifacts.json").read_text())
    assert doc["status"] == "stopped" and doc["stopped_before"] == "vivado" and doc["message"] == stopped.message
    assert doc["tools"]["vivado"]["path"] is None and doc["part"] == "xczu7ev-ffvc1156-2-e"
    listed = [p for paths in doc["artifacts"].values() for p in paths]
    assert listed and all((build / p).is_file() for p in listed)
    meta = json.loads((build / "stitched.json").read_text())
    assert {f"rtl/{s}" for s in meta["sources"] + meta["mem_files"]} <= set(doc["artifacts"]["rtl"])
    assert set(doc["artifacts"]["vivado_scripts"]) == {f"bitstream/{n}" for n in
                                                     (*SCRIPTS, "dietsnn_accel_bd.v", "run_vivado.sh")}
    assert {"deploy/network.snn.npz", "deploy/stitched.json", "deploy/README.md",
            "deploy/dietsnn_driver/__init__.py"} <= set(doc["artifacts"]["deploy"])
    assert not (build / "deploy" / "dietsnn.bit").exists()
    assert doc["constraints"].startswith("none needed")


def test_cli_exit_code_and_reuse_of_the_build(stopped, net_file, monkeypatch, capsys):
    build = stopped.build
    before = {n: (build / n).stat().st_mtime for n in ("dataflow.onnx", "stitched.json")}
    monkeypatch.setenv("PATH", tool_env()["PATH"])
    monkeypatch.delenv("XILINX_VIVADO", raising=False)
    rc = main(["bitstream", str(net_file), "--fps", "2000", "--size-fifos", "0", "--out", str(build)])
    assert rc == 3
    assert capsys.readouterr().err.startswith("dietsnn bitstream: stopped before step 'vivado'")
    assert before == {n: (build / n).stat().st_mtime for n in before}, "same options: nothing compiled or stitched"


# ------------------------------------------------------------------ acceptance 2: the TCL under tclsh stubs
def test_vivado_scripts_run_under_tclsh_with_existing_files_only(stopped, tmp_path):
    build = tmp_path / "moved"  # the scripts find everything relative to themselves
    shutil.copytree(stopped.build, build)
    calls = run_stub(build / "bitstream" / "build.tcl", tmp_path / "calls.log")
    text = "\n".join(calls)
    meta = json.loads((build / "stitched.json").read_text())
    added = " ".join(c for c in calls if c.startswith("add_files"))
    for name in meta["sources"] + meta["mem_files"]:
        assert str(build / "rtl" / name) in added, name
    p = meta["accel"]["parameters"]
    for expected in ("create_project -force dietsnn", "-part xczu7ev-ffvc1156-2-e",
                     "set_property board_part xilinx.com:zcu104:part0:1.1",
                     "create_bd_cell -type ip -vlnv xilinx.com:ip:zynq_ultra_ps_e:1.0 zynq_ps",
                     "CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ 200",
                     "create_bd_cell -type ip -vlnv xilinx.com:ip:axi_dma:1.0 axi_dma_0",
                     "CONFIG.c_include_sg 0 CONFIG.c_sg_length_width 26",
                     f"CONFIG.c_m_axis_mm2s_tdata_width {p['AXIS_IN_WIDTH']}",
                     f"CONFIG.c_s_axis_s2mm_tdata_width {p['AXIS_OUT_WIDTH']}",
                     "create_bd_cell -type module -reference dietsnn_accel_bd dietsnn_accel_0",
                     f"CONFIG.NETWORK_ID 0x{p['NETWORK_ID']:08X}", f"CONFIG.IN_BEATS {p['IN_BEATS']}",
                     "get_bd_pins zynq_ps/pl_ps_irq0", "get_bd_intf_pins zynq_ps/M_AXI_HPM0_FPD",
                     "get_bd_intf_pins zynq_ps/S_AXI_HP0_FPD", "get_bd_intf_pins dietsnn_accel_0/s_axis_0",
                     "assign_bd_address", "validate_bd_design", "make_wrapper -files",
                     "launch_runs impl_1 -to_step write_bitstream", "report_timing_summary"):
        assert expected in text, expected
    assert (build / "deploy" / "dietsnn.bit").is_file() and (build / "deploy" / "dietsnn.hwh").is_file()
    assert (build / "bitstream" / "reports" / "utilization.rpt").is_file()


def test_scripts_fail_on_a_missing_source(stopped, tmp_path):
    build = tmp_path / "broken"
    shutil.copytree(stopped.build, build)
    victim = json.loads((build / "stitched.json").read_text())["sources"][3]
    (build / "rtl" / victim).unlink()
    proc = subprocess.run(["tclsh", str(STUB / "stub.tcl"), str(build / "bitstream" / "build.tcl")],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert f"stub: add_files references a file that does not exist: {build / 'rtl' / victim}" in proc.stderr


def test_accelerator_wrapper_lints_with_the_stitched_rtl(stopped):
    """The Verilog face of dietsnn_accel (module reference) matches its ports and parameters (Verilator -Wall)."""
    build = stopped.build
    meta = json.loads((build / "stitched.json").read_text())
    cmd = ["verilator", "--lint-only", "-Wall", "--top-module", "dietsnn_accel_bd", str(build / "rtl" / meta["waivers"]),
           *(str(build / "rtl" / s) for s in meta["sources"]), str(build / "bitstream" / "dietsnn_accel_bd.v")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# ------------------------------------------------------------------ with (stand-in) tools: one command to the bitfile
def test_whole_flow_with_stand_in_tools(stopped, net_file, tmp_path):
    build = tmp_path / "build"
    shutil.copytree(stopped.build, build)
    env = tool_env("vivado", bin_dir=tmp_path / "bin")
    result = run_bitstream(BitstreamOptions(net_file, build, fps=2000, size_fifos=0), env=env)
    assert result.status == "complete" and result.steps_done[-2:] == ["vivado", "build_report"]
    deploy = build / "deploy"
    assert (deploy / "dietsnn.bit").read_text() == "stub bitstream\n"
    report = json.loads((deploy / "build_report.json").read_text())
    assert report["timing_met"] is True and report["timing"]["WNS_ns"] == 0.412
    assert report["utilization"]["LUT"] == {"used": 96412, "available": 230400, "util_percent": 41.85}
    assert report["estimates"]["LUT"]["vivado"] == 96412 and report["vivado"] == "2022.2"
    doc = json.loads((build / "bitstream" / "artifacts.json").read_text())
    assert doc["status"] == "complete" and "deploy/dietsnn.hwh" in doc["artifacts"]["deploy"]
    assert (build / "bitstream" / "logs" / "vivado.log").is_file()


def test_unsupported_vivado_version_stops(stopped, net_file, tmp_path):
    build = tmp_path / "build"
    shutil.copytree(stopped.build, build)
    env = tool_env("vivado", version="2023.1", bin_dir=tmp_path / "bin")
    with pytest.raises(VendorToolMissing, match=r"vivado at \S+/vivado is version 2023\.1, not a supported one "
                                                r"\(--any-tool-version to try it anyway\); Vivado 2022\.2 or 2024\.2 "
                                                r"is needed"):
        run_bitstream(BitstreamOptions(net_file, build, fps=2000, size_fifos=0), env=env)
    result = run_bitstream(BitstreamOptions(net_file, build, fps=2000, size_fifos=0, any_tool_version=True), env=env)
    assert result.status == "complete" and result.build_report["vivado"] == "2023.1"


def test_hls_flow_on_a_zynq7000_board(net_file, tmp_path):
    """IMPL=hls on Pynq-Z2: stops before Vitis HLS without it; with the stand-ins, every layer's HLS script runs,
    the Vivado project adds their output, and a failed timing is reported."""
    build = tmp_path / "hls"
    opts = BitstreamOptions(net_file, build, board="Pynq-Z2", fps=2000, impl="hls", size_fifos=0)
    with pytest.raises(VendorToolMissing, match=r"^dietsnn bitstream: stopped before step 'hls_synthesis' "
                                                r"\(Vitis HLS synthesis of the HLS layers\): vitis_hls not found"):
        run_bitstream(opts, env=tool_env("vivado", bin_dir=tmp_path / "bin1"))
    doc = json.loads((build / "bitstream" / "artifacts.json").read_text())
    assert {f"ip/{layer}/hls_synth.tcl" for layer in ("conv1", "pool1", "conv2", "fc1", "fc2")} <= \
        set(doc["artifacts"]["hls"])
    env = tool_env("vivado vitis_hls", util="utilization_pynq_z2.rpt", timing="timing_summary_violated.rpt",
                   bin_dir=tmp_path / "bin2")
    result = run_bitstream(opts, env=env)
    assert result.steps_done[-3:] == ["hls_synthesis", "vivado", "build_report"]
    assert result.build_report["timing_met"] is False and result.build_report["timing"]["WNS_ns"] == -0.731
    assert result.build_report["utilization"]["BRAM_18K"]["used"] == 242
    block_design = (build / "bitstream" / "block_design.tcl").read_text()
    assert "processing_system7" in block_design and "IRQ_F2P" in block_design and "CONFIG.c_addr_width {32}" in block_design
    for layer in ("conv1", "fc2"):
        assert (build / "ip" / layer / f"project_{layer}_hls" / "sol1" / "syn" / "verilog" / f"{layer}_hls.v").is_file()


# ------------------------------------------------------------------ acceptance 5: errors before anything runs
def test_unknown_board_fails_before_anything_runs(net_file, tmp_path, capsys):
    rc = main(["bitstream", str(net_file), "--board", "nonexistent", "--out", str(tmp_path / "b")])
    assert rc == 2
    err = capsys.readouterr().err
    assert re.fullmatch(r"dietsnn bitstream: error: unknown board 'nonexistent'; FINN's Zynq boards are: "
                        + re.escape(", ".join(known_boards())) + r"\n", err), err
    assert not (tmp_path / "b").exists()


def test_make_bitstream_with_an_unknown_board(tmp_path):
    proc = subprocess.run(["make", "--no-print-directory", "bitstream", "BOARD=nonexistent", f"BUILD={tmp_path / 'b'}"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "dietsnn bitstream: error: unknown board 'nonexistent'; FINN's Zynq boards are:" in proc.stderr
    assert not (tmp_path / "b").exists()


def test_alveo_cards_are_out_of_scope():
    with pytest.raises(UnknownBoard, match=r"^board 'U250' is an Alveo card; this flow builds for FINN's Zynq "
                                           r"boards only: .*ZCU104"):
        get_board("u250")


def test_every_zynq_board_has_part_family_and_capacity():
    for name in known_boards():
        b = get_board(name)
        assert b.capacity and b.family in ("zynq_us+", "zynq_7000"), name
        assert b.family == ("zynq_7000" if b.part.startswith("xc7z") else "zynq_us+"), name
    assert get_board("zcu104").board_part == "xilinx.com:zcu104:part0:1.1"
    assert get_board("pynq-z1").board_part == "www.digilentinc.com:pynq-z1:part0:1.0"


def test_fmnist_does_not_fit_a_pynq_z1(tmp_path):
    opts = BitstreamOptions(ROOT / "models" / "fmnist", tmp_path / "b", board="Pynq-Z1", fps=50000)
    with pytest.raises(DesignTooLarge, match=r"^the design does not fit Pynq-Z1 \(xc7z020clg400-1\): LUT: needs "
                                             r"\d+, the part has 53200 \(estimates from \S+report\.json\); lower "
                                             r"--fps or choose another board \(boards it fits: .*ZCU104"):
        run_bitstream(opts, env=tool_env())
    assert not (tmp_path / "b" / "rtl").exists(), "nothing is stitched for a design that does not fit"


def test_fit_names_every_resource_over_capacity():
    board = get_board("Ultra96")
    report = {"totals": {"LUT": 1000, "BRAM_18K": 500, "URAM": 3, "DSP": 10}}
    with pytest.raises(DesignTooLarge, match=r"^the design does not fit Ultra96 \(xczu3eg-sbva484-1-e\): BRAM_18K: "
                                             r"needs 500, the part has 412; URAM: needs 3, the part has 0 "):
        check_fit(report, board)
    fit = check_fit({"totals": {"LUT": 60000, "BRAM_18K": 10, "URAM": 0, "DSP": 0}}, board)
    assert fit.warnings == ["LUT at 85% of xczu3eg-sbva484-1-e, above FINN's recommended 70% for timing closure"]


def test_scripts_need_a_stitched_build_and_a_board_preset(tmp_path, stopped):
    with pytest.raises(FileNotFoundError, match=r"stitched\.json: no stitched design \(run `dietsnn stitch"):
        write_scripts(tmp_path, get_board("zcu104"), 200)
    with pytest.raises(ValueError, match=r"^board ZCU111: FINN's Zynq shell template has no board part for it"):
        write_scripts(stopped.build, get_board("zcu111"), 200)
