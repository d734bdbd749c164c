"""Finding the Xilinx tools: ``vivado`` and ``vitis_hls`` on ``PATH`` or under ``XILINX_VIVADO`` / ``XILINX_HLS``.

Supported versions are the ones finn-plus 1.6.1 documents: "Xilinx Tools:
Vivado, Vitis, and Vitis HLS (2022.2 or 2024.2)" (its package metadata,
``finn_plus-1.6.1.dist-info/METADATA``, the README's requirements). From
2024.2 on, ``XILINX_HLS`` may point at ``Vitis/<version>`` rather than
``Vitis_HLS/<version>`` (FINN's ``interface_utils.set_synthesis_tools_paths``
handles the same case); both are searched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_VERSIONS = ("2022.2", "2024.2")  #: what finn-plus 1.6.1 documents
_ENV = {"vivado": "XILINX_VIVADO", "vitis_hls": "XILINX_HLS"}
_VERSION = re.compile(r"\bv?(20\d\d\.\d)\b")


@dataclass(frozen=True)
class VendorTool:
    """One Xilinx tool as found on this machine."""

    name: str  #: "vivado" or "vitis_hls"
    path: Path | None  #: the executable, None when not found
    version: str | None  #: e.g. "2022.2", None when not found or not parsed
    searched: str  #: where it was looked for (for messages)

    @property
    def found(self) -> bool:
        return self.path is not None

    @property
    def supported(self) -> bool:
        return self.version in SUPPORTED_VERSIONS

    def describe(self) -> str:
        if not self.found:
            return f"{self.name} not found ({self.searched})"
        return f"{self.name} {self.version or '(version unknown)'} at {self.path}"


def parse_version(text: str) -> str | None:
    """The release in the output of ``vivado -version`` / ``vitis_hls -version``, e.g. ``"2022.2"``.

    >>> parse_version("vivado v2022.2 (64-bit)\\nSW Build 3671981 on Fri Oct 14 04:59:54 MDT 2022")
    '2022.2'
    >>> parse_version("Vitis HLS - High-Level Synthesis from C, C++ and OpenCL v2024.2 (64-bit)")
    '2024.2'
    >>> parse_version("command not found") is None
    True
    """
    m = _VERSION.search(text)
    return m.group(1) if m else None


def _candidates(name: str, env: dict) -> list[Path]:
    found = []
    on_path = shutil.which(name, path=env.get("PATH", ""))
    if on_path:
        found.append(Path(on_path))
    root = env.get(_ENV[name])
    if root:
        roots = [Path(root)]
        if name == "vitis_hls" and "Vitis" in root and "Vitis_HLS" not in root:
            roots.append(Path(root.replace("Vitis", "Vitis_HLS")))
        for r in roots:
            p = r / "bin" / name
            if p.is_file() and os.access(p, os.X_OK):
                found.append(p)
    return found


def find_tool(name: str, env: dict | None = None, timeout: float = 120) -> VendorTool:
    """Look for ``name`` on ``PATH``, then under its ``XILINX_*`` variable; ask it for its version."""
    if name not in _ENV:
        raise ValueError(f"tool must be one of {', '.join(_ENV)}, not {name!r}")
    env = dict(os.environ if env is None else env)
    searched = f"PATH and ${_ENV[name]}" + (f"={env[_ENV[name]]}" if env.get(_ENV[name]) else " (unset)")
    for path in _candidates(name, env):
        try:
            proc = subprocess.run([str(path), "-version"], capture_output=True, text=True, timeout=timeout, env=env)
            version = parse_version(proc.stdout + proc.stderr)
        except (OSError, subprocess.TimeoutExpired):
            version = None
        return VendorTool(name, path, version, searched)
    return VendorTool(name, None, None, searched)
