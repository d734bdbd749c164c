"""Read a parameter of a block-design cell from a Vivado hardware handoff (``.hwh``) file."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from dietsnn.errors import NetworkMismatchError


def parse_value(text: str) -> int:
    """Vivado writes bit-vector parameters as ``0x1F``, ``32'h1F``, ``0b101`` or decimal."""
    t = text.strip().replace("_", "")
    if "'" in t:
        base, digits = t.split("'", 1)[1][0].lower(), t.split("'", 1)[1][1:]
        return int(digits, {"h": 16, "d": 10, "b": 2, "o": 8}[base])
    if t.lower().startswith("0x"):
        return int(t, 16)
    if t.lower().startswith("0b"):
        return int(t, 2)
    return int(t)


def cell_parameter(hwh: str | Path, instance: str, name: str) -> int:
    """Integer value of parameter ``name`` of cell ``instance``; a clear error when either is missing."""
    root = ET.parse(str(hwh)).getroot()
    for module in root.iter("MODULE"):
        if module.get("INSTANCE") != instance:
            continue
        for p in module.iter("PARAMETER"):
            if p.get("NAME") in (name, f"CONFIG.{name}"):
                return parse_value(p.get("VALUE", ""))
        raise NetworkMismatchError(f"{hwh}: cell {instance} has no parameter {name}: the bitfile was not built "
                                   "by this toolchain's block design")
    raise NetworkMismatchError(f"{hwh}: no cell {instance}: the bitfile was not built by this toolchain's block design")
