"""The Vivado / Vitis HLS scripts of a stitched build, rendered from ``hw/templates/vivado``.

``write_scripts(build, board, clock_mhz)`` reads ``BUILD/stitched.json`` (made
by ``dietsnn stitch``) and writes into ``BUILD/bitstream/``:

* ``build.tcl``: the whole Vivado flow (sources the three below);
* ``project.tcl``: ``create_project`` for the board's part and board part,
  every file of ``BUILD/rtl`` (and the Verilog of the HLS layers);
* ``block_design.tcl``: PS with the board preset, a clocking wizard making
  ``clock_mhz`` from the PS's 100 MHz reference (as FINN's shell), ``axi_dma_0``
  (simple mode), ``dietsnn_accel_0``, its software reset (``accel_reset_gpio`` on
  ``accel_reset/aux_reset_in``), interconnects, addresses, no interrupts,
  ``validate_bd_design``, the achieved clock read back, ``make_wrapper``;
* ``implement.tcl``: strategies, synthesis (memory-file messages are errors:
  ``synth_pre.tcl``), place and route, reports, the timing gate (no bitstream when
  WNS or WHS < 0 unless ``allow_timing_violation``), bitstream,
  ``BUILD/deploy/dietsnn.{bit,hwh}``;
* ``synth_pre.tcl``: the pre-synthesis hook of ``synth_1``;
* ``dietsnn_accel_bd.v``: the Verilog face of ``dietsnn_accel`` that the
  block design references;
* ``run_vivado.sh``: Vitis HLS for each HLS layer (``IMPL=hls``), then Vivado.

Each HLS layer's own ``hls_synth.tcl`` is written by its node's code
generation (``hw/hls_gen.py``) into ``BUILD/ip/<layer>/``.
Nothing here runs a vendor tool.
"""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass
from pathlib import Path

from dietsnn.artifacts import ACCEL_PARAMETERS, Stitched
from dietsnn.fsutil import atomic_write_text

from ..boards import Board
from ..hls_gen import HLS_TCL, hls_project
from ..templating import render
from .tools import SUPPORTED_VERSIONS

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "vivado"
FOLDER = "bitstream"  #: BUILD/bitstream
TCL_SCRIPTS = ("build.tcl", "project.tcl", "block_design.tcl", "implement.tcl", "synth_pre.tcl")
#: implementation strategies (implement.tcl): finn-plus's PERFORMANCE_BEST directives, Vivado's named
#: performance strategies, Vivado's defaults
STRATEGIES = ("explore", "performance", "default")
#: AXI DMA c_sg_length_width: one simple-mode transfer moves at most 2**26 - 1 bytes (PG021's maximum)
DMA_LENGTH_WIDTH = 26
WRAPPER = "dietsnn_accel_bd.v"
RUN_SCRIPT = "run_vivado.sh"


@dataclass(frozen=True)
class HlsLayerScript:
    """Where one HLS layer's Vitis HLS run lives, relative to the build folder."""

    layer: str  #: node name, e.g. conv1
    script: str  #: ip/<layer>/hls_synth.tcl
    verilog_dir: str  #: ip/<layer>/project_<layer>_hls/sol1/syn/verilog (exists once Vitis HLS ran)


@dataclass(frozen=True)
class VivadoScripts:
    """The generated scripts of one build."""

    folder: Path  #: BUILD/bitstream
    hls: tuple  #: HlsLayerScript per HLS layer, in dataflow order

    @property
    def build_tcl(self) -> Path:
        return self.folder / "build.tcl"

    @property
    def run_script(self) -> Path:
        return self.folder / RUN_SCRIPT

    def tcl_files(self) -> list[Path]:
        """Every generated TCL script: the Vivado ones and each HLS layer's."""
        build = self.folder.parent
        return [self.folder / n for n in TCL_SCRIPTS] + [build / h.script for h in self.hls]

    def files(self) -> list[Path]:
        return self.tcl_files() + [self.folder / WRAPPER, self.run_script]


def load_stitched(build: str | Path) -> dict:
    """``BUILD/stitched.json`` checked field by field (``dietsnn.artifacts.Stitched``: errors name the file and
    the field), as the dictionary the scripts are rendered from."""
    path = Path(build) / "stitched.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no stitched design (run `dietsnn stitch {build}` first)")
    return Stitched.load(path).to_dict()


def hls_layers(build: str | Path, meta: dict) -> tuple:
    """The HLS layers of a stitched build (nodes ``*_hls``), with their generated Vitis HLS scripts."""
    build = Path(build)
    layers = []
    for node in meta["nodes"]:
        if not node["op_type"].endswith("_hls"):
            continue
        name = node["name"]
        script = Path("ip") / name / HLS_TCL
        if not (build / script).is_file():
            raise FileNotFoundError(f"{build / script}: missing Vitis HLS script of layer {name} "
                                    "(stitch the build again)")
        layers.append(HlsLayerScript(name, script.as_posix(),
                                     (Path("ip") / name / hls_project(name) / "sol1" / "syn" / "verilog").as_posix()))
    return tuple(layers)


def dma_config(board: Board, params: dict) -> dict:
    """AXI DMA widths: memory side at least 32 bits (and the stream's width), 64-bit addresses on Zynq UltraScale+,
    byte realignment (DRE, available up to 64-bit streams) so buffers need no alignment beyond a byte."""
    ain, aout = int(params["AXIS_IN_WIDTH"]), int(params["AXIS_OUT_WIDTH"])
    return {"addr_width": 64 if board.family == "zynq_us+" else 32, "length_width": DMA_LENGTH_WIDTH,
            "mm2s_mm_width": max(32, ain), "s2mm_mm_width": max(32, aout),
            "mm2s_dre": int(ain <= 64), "s2mm_dre": int(aout <= 64)}


def _param_values(params: dict) -> list[tuple[str, str]]:
    out = []
    for name in ACCEL_PARAMETERS:
        v = int(params[name])
        out.append((name, f"0x{v:08X}" if name == "NETWORK_ID" else str(v)))
    return out


def write_scripts(build: str | Path, board: Board, clock_mhz: float, impl: str = "rtl",
                  jobs: int | None = None, strategy: str = "explore",
                  allow_timing_violation: bool = False) -> VivadoScripts:
    """Render every script for ``build`` (already stitched) into ``BUILD/bitstream``; returns what was written."""
    build = Path(build)
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    if board.board_part is None:
        raise ValueError(f"board {board.name}: FINN's Zynq shell template has no board part for it, so the "
                         "processing system cannot be configured from a board preset")
    meta = load_stitched(build)
    missing = [s for s in meta["sources"] + meta["mem_files"] if not (build / "rtl" / s).is_file()]
    if missing:
        raise FileNotFoundError(f"{build / 'rtl'}: missing {', '.join(missing[:5])}"
                                f"{' ...' if len(missing) > 5 else ''} listed in stitched.json (stitch again)")
    params = meta["accel"]["parameters"]
    hls = hls_layers(build, meta)
    if impl == "hls" and not hls:
        raise ValueError(f"{build}: IMPL=hls but the stitched design has no HLS layers (compile with --impl hls)")
    folder = build / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    ctx = dict(board=board, clock_mhz=f"{float(clock_mhz):g}", impl=impl, p=params, params=_param_values(params),
               dma=dma_config(board, params), zynq_us=board.family == "zynq_us+", sources=meta["sources"],
               mem_files=meta["mem_files"], hls_layers=hls, jobs=int(jobs) if jobs else None,
               versions=" or ".join(SUPPORTED_VERSIONS), strategy=strategy,
               allow_timing_violation=bool(allow_timing_violation))
    for name in TCL_SCRIPTS:  # hw/templates/vivado, rendered by the one environment (hw.templating)
        atomic_write_text(folder / name, render(f"vivado/{name}.j2", **ctx))
    atomic_write_text(folder / WRAPPER, render(f"vivado/{WRAPPER}.j2", **ctx))
    run = folder / RUN_SCRIPT
    atomic_write_text(run, render(f"vivado/{RUN_SCRIPT}.j2", **ctx))
    run.chmod(run.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return VivadoScripts(folder, hls)
