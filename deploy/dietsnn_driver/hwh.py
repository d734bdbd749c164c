"""Read parameters of block-design cells from a Vivado hardware handoff (``.hwh``) file."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from dietsnn.errors import NetworkMismatchError

_VERILOG = re.compile(r"(\d*)'([sS]?)([hHdDbBoO])([0-9a-fA-F_xXzZ]+)")
_BASES = {"h": 16, "d": 10, "b": 2, "o": 8}


class HwhValueError(NetworkMismatchError, ValueError):
    """A parameter value of the .hwh that is no integer in any form Vivado writes."""


def parse_value(text: str, source: str = "value") -> int:
    """An integer parameter as Vivado writes it: decimal, ``0x1F``, ``0b101``, a Verilog literal (``32'h1F``,
    ``64'hBEA1_4048``, ``'d12``, ``8'sb1010``), any of them in single or double quotes (bit-string parameters
    are written quoted); ``source`` names the file and parameter in the error for anything else.

    >>> parse_value("0xBEA14048"), parse_value('"32\\'hbea1_4048"'), parse_value("'3198238792'")
    (3198238792, 3198238792, 3198238792)
    """
    t = str(text).strip()
    while len(t) >= 2 and t[0] == t[-1] and t[0] in "\"'":
        t = t[1:-1].strip()
    t = t.replace("_", "")
    m = _VERILOG.fullmatch(t)
    try:
        if m:
            value = int(m.group(4), _BASES[m.group(3).lower()])
            if m.group(1) and value >= 1 << int(m.group(1)):
                raise ValueError(f"{value} does not fit {m.group(1)} bits")
            return value
        if t[:2].lower() == "0x":
            return int(t[2:], 16)
        if t[:2].lower() == "0b":
            return int(t[2:], 2)
        if t.isdigit():
            return int(t)
    except ValueError as e:
        raise HwhValueError(f"{source}: {text!r} is not an integer Vivado writes ({e})") from None
    raise HwhValueError(f"{source}: {text!r} is not an integer in any form Vivado writes "
                        "(decimal, 0x.., 0b.., a Verilog literal such as 32'h.., optionally quoted)")


def _module(hwh: str | Path, instance: str):
    try:
        root = ET.parse(str(hwh)).getroot()
    except (OSError, ET.ParseError) as e:
        raise NetworkMismatchError(f"{hwh}: not a readable hardware handoff file ({e})") from e
    for module in root.iter("MODULE"):
        if module.get("INSTANCE") == instance:
            return module
    raise NetworkMismatchError(f"{hwh}: no cell {instance}: the bitfile was not built by this toolchain's block design")


def cell_parameters(hwh: str | Path, instance: str) -> dict[str, str]:
    """Every parameter of cell ``instance``: name (without ``CONFIG.``) -> the value as written."""
    return {p.get("NAME", "").removeprefix("CONFIG."): p.get("VALUE", "")
            for p in _module(hwh, instance).iter("PARAMETER")}


def cell_parameter(hwh: str | Path, instance: str, name: str) -> int:
    """Integer value of parameter ``name`` of cell ``instance`` (the name's case does not matter, as Xilinx IPs
    write some in lower case, e.g. ``c_sg_length_width``); a clear error when either is missing."""
    params = cell_parameters(hwh, instance)
    for key, value in params.items():
        if key.lower() == name.lower():
            return parse_value(value, f"{hwh}: cell {instance}, parameter {key}")
    raise NetworkMismatchError(f"{hwh}: cell {instance} has no parameter {name}: the bitfile was not built "
                               "by this toolchain's block design")
