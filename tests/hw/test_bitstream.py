"""``dietsnn bitstream`` / ``make bitstream`` (issues 6 and 14): the stop without Vivado, the generated TCL,
the timing gate, the clock read back, the memory-file checks, the errors.

Vendor tools are never needed here: ``tests/hw/xilinx_stub/`` holds stand-ins
for ``vivado`` and ``vitis_hls`` that run the generated scripts under plain
``tclsh`` with stub commands (``stub.tcl``: unknown commands are no-ops, file
arguments must exist, synthesis looks the memory files up and reports
Synth 8-3876 / 8-4445 under the rules of the run's pre-synthesis hook,
timing numbers and the clock period come from the reports in
``tests/hw/data/vivado`` or STUB_* variables, the file-producing steps write
placeholders). They check syntax, control flow, file references and the
scripts' reactions to Vivado's messages and numbers, not the design
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

from flow.bitstream import BitstreamOptions, VendorToolFailed, VendorToolMissing, run_bitstream
from flow.cli import main
from dietsnn.testing import random_network
from hw.boards import UnknownBoard, get_board, known_boards
from hw.vivado.fit import DesignTooLarge, check_fit
from hw.vivado.scripts import write_scripts

ROOT = Path(__file__).resolve().parents[2]
STUB = Path(__file__).resolve().parent / "xilinx_stub"
DATA = Path(__file__).resolve().parent / "data" / "vivado"
SCRIPTS = ("build.tcl", "project.tcl", "block_design.tcl", "implement.tcl", "synth_pre.tcl")


def tool_env(tools: str = "", version: str = "2022.2", util: str = "utilization_zcu104.rpt",
             timing: str = "timing_summary_met.rpt", bin_dir: Path | None = None, **stub) -> dict:
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
    env.update({k: str(v) for k, v in stub.items()})
    for k in ("DIETSNN_STRATEGY", "DIETSNN_ALLOW_TIMING_VIOLATION", "STUB_PERIOD_NS", "STUB_FREQ_HZ",
              "STUB_SYNTH_MESSAGES"):
        if k not in stub:
            env.pop(k, None)
    return env


def run_stub(script: Path, log: Path, cwd: Path | None = None, **env) -> list[str]:
    """Run a generated TCL script under tclsh with the stub commands; return the recorded calls."""
    proc = subprocess.run(["tclsh", str(STUB / "stub.tcl"), str(script)], cwd=cwd or script.parent,
                          env={**tool_env(**env), "STUB_LOG": str(log)}, capture_output=True, text=True)
    assert proc.returncode == 0, f"{script} under tclsh stubs:\n{proc.stdout}\n{proc.stderr}"
    return log.read_text().splitlines() if log.is_file() else []


def stub_fails(script: Path, **env) -> str:
    """Run a generated TCL script under the stubs, expecting it to fail; return its error output."""
    proc = subprocess.run(["tclsh", str(STUB / "stub.tcl"), str(script)], cwd=script.parent, env=tool_env(**env),
                          capture_output=True, text=True)
    assert proc.returncode != 0, f"{script} ran through under the stubs:\n{proc.stdout}"
    return proc.stderr


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
    rc = main(["bitstream", str(net_file), "--fps", "2000", "--size-fifos", "0", "--no-timing-proxy", "--out", str(build)])
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
                     "CONFIG.PSU__USE__IRQ0 0", "CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ 100",
                     # the clock: FINN's clocking wizard on the PS reference
                     "create_bd_cell -type ip -vlnv xilinx.com:ip:clk_wiz:1.0 clk_wiz_0",
                     "CONFIG.PRIM_IN_FREQ.VALUE_SRC PROPAGATED", "CONFIG.PRIMITIVE PLL",
                     "CONFIG.CLKOUT1_REQUESTED_OUT_FREQ 200",
                     "connect_bd_net zynq_ps/pl_clk0 clk_wiz_0/clk_in1", "get_property -quiet CONFIG.FREQ_HZ",
                     # the software reset of the accelerator
                     "create_bd_cell -type ip -vlnv xilinx.com:ip:axi_gpio:1.0 accel_reset_gpio",
                     "CONFIG.C_ALL_OUTPUTS 1 CONFIG.C_GPIO_WIDTH 1 CONFIG.C_DOUT_DEFAULT 0x00000001",
                     "CONFIG.C_AUX_RESET_HIGH 0", "connect_bd_net accel_reset_gpio/gpio_io_o accel_reset/aux_reset_in",
                     "connect_bd_net accel_reset/peripheral_aresetn dietsnn_accel_0/ap_rst_n",
                     "assign_bd_address accel_reset_gpio/S_AXI/Reg -offset 0xA0010000 -range 0x10000",
                     "create_bd_cell -type ip -vlnv xilinx.com:ip:axi_dma:1.0 axi_dma_0",
                     "CONFIG.c_include_sg 0 CONFIG.c_sg_length_width 26",
                     f"CONFIG.c_m_axis_mm2s_tdata_width {p['AXIS_IN_WIDTH']}",
                     f"CONFIG.c_s_axis_s2mm_tdata_width {p['AXIS_OUT_WIDTH']}",
                     "create_bd_cell -type module -reference dietsnn_accel_bd dietsnn_accel_0",
                     f"CONFIG.NETWORK_ID 0x{p['NETWORK_ID']:08X}", f"CONFIG.IN_BEATS {p['IN_BEATS']}",
                     "get_bd_intf_pins zynq_ps/M_AXI_HPM0_FPD",
                     "get_bd_intf_pins zynq_ps/S_AXI_HP0_FPD", "get_bd_intf_pins dietsnn_accel_0/s_axis_0",
                     "assign_bd_address", "validate_bd_design", "make_wrapper -files",
                     # memory files, strategies, the timing gate before the bitstream
                     "set_msg_config -id {Synth 8-4445} -new_severity ERROR",
                     f"set_property STEPS.SYNTH_DESIGN.TCL.PRE {build / 'bitstream' / 'synth_pre.tcl'} synth_1",
                     "set_property STEPS.OPT_DESIGN.ARGS.DIRECTIVE ExploreWithRemap impl_1",
                     "set_property STEPS.ROUTE_DESIGN.ARGS.DIRECTIVE Explore impl_1",
                     "launch_runs impl_1 -to_step route_design", "get_property STATS.WNS impl_1",
                     "get_property STATS.WHS impl_1", "launch_runs impl_1 -to_step write_bitstream",
                     "report_timing_summary"):
        assert expected in text, expected
    for absent in ("pl_ps_irq0", "xlconcat", "introut"):  # no interrupts: the driver polls
        assert absent not in text, absent
    route, bitstream = text.index("-to_step route_design"), text.index("-to_step write_bitstream")
    assert route < text.index("get_property STATS.WNS") < bitstream, "the timing gate runs before write_bitstream"
    assert (build / "deploy" / "dietsnn.bit").is_file() and (build / "deploy" / "dietsnn.hwh").is_file()
    reports = build / "bitstream" / "reports"
    assert (reports / "utilization.rpt").is_file()
    assert (reports / "memory_files_read.txt").read_text().split() == meta["mem_files"]
    assert "WNS_ns 0.412\nTNS_ns 0.000\nWHS_ns 0.010\nTHS_ns 0.000\nallow_violation 0" in \
        (reports / "timing_gate.txt").read_text()


def test_scripts_fail_on_a_missing_source(stopped, tmp_path):
    build = tmp_path / "broken"
    shutil.copytree(stopped.build, build)
    victim = json.loads((build / "stitched.json").read_text())["sources"][3]
    (build / "rtl" / victim).unlink()
    err = stub_fails(build / "bitstream" / "build.tcl")
    assert f"stub: add_files references a file that does not exist: {build / 'rtl' / victim}" in err


def test_accelerator_wrapper_lints_with_the_stitched_rtl(stopped):
    """The Verilog face of dietsnn_accel (module reference) matches its ports and parameters (Verilator -Wall)."""
    build = stopped.build
    meta = json.loads((build / "stitched.json").read_text())
    cmd = ["verilator", "--lint-only", "-Wall", "--top-module", "dietsnn_accel_bd", str(build / "rtl" / meta["waivers"]),
           *(str(build / "rtl" / s) for s in meta["sources"]), str(build / "bitstream" / "dietsnn_accel_bd.v")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# ------------------------------------------------------------------ issue 14: memory files cannot fail silently
def test_a_memory_file_missing_from_the_project_stops_before_synthesis(stopped, tmp_path):
    """A layer reads a .mem the project does not have (a generator regression): project.tcl names it."""
    build = tmp_path / "b"
    shutil.copytree(stopped.build, build)
    meta = json.loads((build / "stitched.json").read_text())
    victim = meta["mem_files"].pop(0)
    (build / "stitched.json").write_text(json.dumps(meta))
    write_scripts(build, get_board("zcu104"), 200)
    err = stub_fails(build / "bitstream" / "build.tcl")
    assert re.search(rf"dietsnn error: \S+\.sv reads memory file '{re.escape(victim)}', which is neither an existing "
                     r"file nor a memory file of the project; synthesis would leave that memory all zeros "
                     r"\(Synth 8-4445\)", err), err


def test_synth_8_4445_is_an_error_inside_the_synthesis_run(stopped, tmp_path):
    """Vivado's own "could not open $readmem data file" is promoted to an error by the run's pre-synthesis hook
    (the stand-in applies only the hook's rules to the run), and synthesis then fails with that message."""
    build = tmp_path / "b"
    shutil.copytree(stopped.build, build)
    messages = tmp_path / "synth_messages.txt"
    messages.write_text("CRITICAL WARNING: [Synth 8-4445] could not open $readmem data file 'lost.dat'; please make "
                        "sure the file is added to project and has read permission, ignoring [x.v:7]\n")
    err = stub_fails(build / "bitstream" / "build.tcl", STUB_SYNTH_MESSAGES=messages)
    assert "dietsnn error: synthesis failed: ERROR: [Synth 8-4445] could not open $readmem data file 'lost.dat'" in err
    assert not (build / "deploy" / "dietsnn.bit").exists()
    # without the hook the same message stays a critical warning: the log check after synthesis still stops it
    (build / "bitstream" / "implement.tcl").write_text(
        (build / "bitstream" / "implement.tcl").read_text().replace("set_property STEPS.SYNTH_DESIGN.TCL.PRE", "#"))
    err = stub_fails(build / "bitstream" / "build.tcl", STUB_SYNTH_MESSAGES=messages)
    assert ("dietsnn error: synthesis did not initialise every memory: CRITICAL WARNING: [Synth 8-4445] could not "
            "open $readmem data file 'lost.dat'") in err


def test_any_readmem_warning_stops_the_build(stopped, tmp_path):
    build = tmp_path / "b"
    shutil.copytree(stopped.build, build)
    messages = tmp_path / "synth_messages.txt"
    messages.write_text("WARNING: [Synth 8-9999] $readmem data file 'conv1_w.mem' is shorter than the memory\n")
    err = stub_fails(build / "bitstream" / "build.tcl", STUB_SYNTH_MESSAGES=messages)
    assert "dietsnn error: synthesis did not initialise every memory: WARNING: [Synth 8-9999] $readmem" in err


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
    assert (report["timing"]["TNS_ns"], report["timing"]["WHS_ns"]) == (0, 0.01)
    assert report["timing_gate"] == {"WNS_ns": 0.412, "TNS_ns": 0, "WHS_ns": 0.01, "THS_ns": 0, "allow_violation": 0}
    assert report["utilization"]["LUT"] == {"used": 96412, "available": 230400, "util_percent": 41.85}
    assert report["estimates"]["LUT"]["vivado"] == 96412 and report["vivado"] == "2022.2"
    assert report["strategy"] == "explore" and report["memory_files_read"]
    assert report["clock"]["achieved_mhz"] == 200 and report["clock_mhz"] == 200
    doc = json.loads((build / "bitstream" / "artifacts.json").read_text())
    assert doc["status"] == "complete" and "deploy/dietsnn.hwh" in doc["artifacts"]["deploy"]
    assert (build / "bitstream" / "logs" / "vivado.log").is_file()
    # the .hwh (the stand-in lists the cells with the CONFIG values the script set) gives the driver its limits
    from deploy.dietsnn_driver.hwh import cell_parameter
    from deploy.dietsnn_driver.transports import dma_limits

    assert dma_limits(deploy / "dietsnn.hwh") == {"length_width": 26, "addr_width": 64}
    p = json.loads((build / "stitched.json").read_text())["accel"]["parameters"]
    assert cell_parameter(deploy / "dietsnn.hwh", "dietsnn_accel_0", "NETWORK_ID") == p["NETWORK_ID"]
    assert cell_parameter(deploy / "dietsnn.hwh", "accel_reset_gpio", "C_DOUT_DEFAULT") == 1


def test_negative_wns_writes_no_bitstream_unless_allowed(stopped, net_file, tmp_path, capsys, monkeypatch):
    build = tmp_path / "build"
    shutil.copytree(stopped.build, build)
    env = tool_env("vivado", timing="timing_summary_violated.rpt", bin_dir=tmp_path / "bin")
    opts = BitstreamOptions(net_file, build, fps=2000, size_fifos=0)
    with pytest.raises(VendorToolFailed, match=r"^timing is not met: WNS -0\.731 ns \(WNS -0\.731 ns, TNS -42\.117 ns, "
                                               r"WHS 0\.021 ns, THS 0\.000 ns; see \S+timing_summary\.rpt\); no "
                                               r"bitstream written: lower --clock-mhz, try another --strategy, or pass "
                                               r"--allow-timing-violation to write it anyway\. Logs in ") as e:
        run_bitstream(opts, env=env)
    assert not (build / "deploy" / "dietsnn.bit").exists() and not (build / "deploy" / "build_report.json").exists()
    failed = json.loads((build / "bitstream" / "build_report.json").read_text())
    assert e.value.report == failed and failed["timing_met"] is False
    assert (failed["timing"]["WNS_ns"], failed["timing"]["TNS_ns"], failed["timing"]["WHS_ns"]) == (-0.731, -42.117, 0.021)
    assert failed["clock"]["achieved_mhz"] == pytest.approx(1e3 / 6.667)  # the clock of that timing report
    # the CLI: exit 1 with the message; with --allow-timing-violation the bitstream is written, with a warning
    monkeypatch.setattr(os, "environ", env)
    assert main(["bitstream", str(net_file), "--fps", "2000", "--size-fifos", "0", "--no-timing-proxy", "--out", str(build)]) == 1
    assert "dietsnn bitstream: error: timing is not met: WNS -0.731 ns" in capsys.readouterr().err
    assert main(["bitstream", str(net_file), "--fps", "2000", "--size-fifos", "0", "--no-timing-proxy", "--out", str(build),
                 "--allow-timing-violation", "--strategy", "performance"]) == 0
    out = capsys.readouterr()
    assert "timing NOT met (written anyway: --allow-timing-violation)" in out.out
    assert "warning: timing is not met" in out.err
    report = json.loads((build / "deploy" / "build_report.json").read_text())
    assert report["timing_met"] is False and report["allow_timing_violation"] is True
    assert report["strategy"] == "performance" and report["timing_gate"]["allow_violation"] == 1
    assert (build / "deploy" / "dietsnn.bit").is_file()
    implement = (build / "bitstream" / "implement.tcl").read_text()
    assert "set_property strategy Performance_ExtraTimingOpt [get_runs impl_1]" in implement
    assert "set dietsnn_strategy performance" in (build / "bitstream" / "build.tcl").read_text()


def test_negative_whs_alone_also_stops(stopped, tmp_path):
    build = tmp_path / "b"
    shutil.copytree(stopped.build, build)
    timing = tmp_path / "hold.rpt"
    timing.write_text((DATA / "timing_summary_met.rpt").read_text().replace(
        "      0.412        0.000                      0               187233        0.010",
        "      0.412        0.000                      0               187233       -0.052"))
    err = stub_fails(build / "bitstream" / "build.tcl", STUB_TIMING=timing)
    assert "dietsnn error: timing is not met: WHS -0.052 ns" in err
    run_stub(build / "bitstream" / "build.tcl", tmp_path / "calls.log", STUB_TIMING=timing,
             DIETSNN_ALLOW_TIMING_VIOLATION=1)
    assert (build / "deploy" / "dietsnn.bit").is_file()


def test_the_achieved_clock_is_read_back_and_used(stopped, net_file, tmp_path):
    """A PLL that makes 187.5 MHz of a requested 200 (the stand-in's routed clock period is 5.333 ns): the report,
    the deploy folder and the driver's clock say 187.5, not 200."""
    build = tmp_path / "build"
    shutil.copytree(stopped.build, build)
    env = tool_env("vivado", bin_dir=tmp_path / "bin", STUB_PERIOD_NS="5.333333", STUB_FREQ_HZ="187500000")
    result = run_bitstream(BitstreamOptions(net_file, build, fps=2000, size_fifos=0), env=env)
    clock = result.build_report["clock"]
    assert clock["requested_mhz"] == 200 and clock["achieved_mhz"] == pytest.approx(187.5, abs=1e-4)
    assert clock["source"] == "routed design: clock clk_out1_top_clk_wiz_0_0, period 5.33333 ns"
    assert clock["read_back"]["clk_wiz_freq_hz"] == "187500000" and clock["deviation_percent"] == pytest.approx(-6.25)
    assert result.build_report["fps_estimate_at_clock"] == pytest.approx(
        result.build_report["fps_estimate"] * 187.5 / 200, rel=1e-5)
    assert "at 187.5 MHz (requested 200;" in result.message
    from deploy.dietsnn_driver.driver import build_clock

    mhz, source = build_clock(build / "deploy")
    assert mhz == pytest.approx(187.5, abs=1e-4) and source == "achieved by the bitstream (build_report.json)"
    (build / "deploy" / "build_report.json").unlink()
    assert build_clock(build / "deploy") == (200.0, "target of the build; no bitstream report (report.json)")


def test_the_clock_read_back_falls_back_to_the_block_design(stopped, tmp_path):
    """Without a clock found in the routed design, the clocking wizard's FREQ_HZ after validation counts."""
    from hw.vivado.reports import ReportError, achieved_clock

    (tmp_path / "clock.txt").write_text("requested_mhz 200\nclk_wiz_freq_hz 199998000\naccel_freq_hz 199998000\n")
    c = achieved_clock(tmp_path, 200)
    assert c["achieved_mhz"] == 199.998 and c["source"].startswith("block design")
    (tmp_path / "clock.txt").write_text("requested_mhz 200\nclk_wiz_freq_hz\naccel_freq_hz\n")
    with pytest.raises(ReportError, match=r"clock\.txt: no clock read back from the design"):
        achieved_clock(tmp_path, 200)


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
    the Vivado project adds their output with the ROM paths made absolute, and a missing ROM file stops it."""
    build = tmp_path / "hls"
    opts = BitstreamOptions(net_file, build, board="Pynq-Z2", fps=2000, impl="hls", size_fifos=0,
                            allow_timing_violation=True)
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
    assert "processing_system7" in block_design and "CONFIG.c_addr_width {32}" in block_design
    assert "CONFIG.PCW_USE_FABRIC_INTERRUPT {0}" in block_design and "IRQ_F2P" not in block_design
    assert "CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ {100}" in block_design
    for layer in ("conv1", "fc2"):
        verilog = build / "ip" / layer / f"project_{layer}_hls" / "sol1" / "syn" / "verilog"
        assert f'$readmemh("./{layer}_hls_rom.dat"' in (verilog / f"{layer}_hls.v").read_text()  # as Vitis HLS wrote
        fixed = (build / "bitstream" / "hls_verilog" / layer / f"{layer}_hls.v").read_text()
        assert f'$readmemh("{verilog.resolve()}/{layer}_hls_rom.dat"' in fixed  # FINN's ReplaceVerilogRelPaths
    assert {"conv1_hls_rom.dat", "fc2_hls_rom.dat"} <= set(result.build_report["memory_files_read"])
    # a ROM file Vitis HLS did not leave where its Verilog reads it stops the build, naming it
    rom = build / "ip" / "conv2" / "project_conv2_hls" / "sol1" / "syn" / "verilog" / "conv2_hls_rom.dat"
    rom.unlink()
    err = stub_fails(build / "bitstream" / "build.tcl")
    assert f"reads memory file '{rom.resolve()}', which is neither an existing file" in err


def test_hls_layers_too_large_to_embed_are_refused(net_file, tmp_path, monkeypatch):
    """IMPL=hls refuses a layer whose weights exceed what it embeds as a C++ array (fmnist's fc1 does), naming
    the layer, its size and the cap, before anything is stitched."""
    from hw.vivado import hls_limits

    monkeypatch.setattr(hls_limits, "MAX_EMBEDDED_WEIGHTS", 100)  # the random network's layers are small
    build = tmp_path / "b"
    with pytest.raises(hls_limits.HlsLayerTooLarge, match=r"dataflow\.onnx: IMPL=hls embeds each layer's weights as "
                                                          r"a C\+\+ array, at most 100 weights per layer .*: conv2 "
                                                          r"\(SnnLIFMVU_hls\): [\d,]+ weights .*Build with --impl rtl"):
        run_bitstream(BitstreamOptions(net_file, build, fps=2000, impl="hls", size_fifos=0), env=tool_env())
    assert not (build / "rtl").exists() and not (build / "ip").exists()
    assert hls_limits.MAX_EMBEDDED_WEIGHTS < 256 * 3136  # fmnist fc1


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
    # with the generic units only: the default (100,000 fps, --variants auto) is estimated at ~46k LUT, which
    # fits the xc7z020's 53,200 (above FINN's recommended 70%, a warning)
    opts = BitstreamOptions(ROOT / "models" / "fmnist", tmp_path / "b", board="Pynq-Z1", fps=100000,
                            variants="generic")
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
