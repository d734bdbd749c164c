"""RTL sources of the project's blocks, and a parameter check that runs before any simulator."""

from __future__ import annotations

from pathlib import Path

RTL_DIR = Path(__file__).resolve().parent.parent / "hw" / "rtl"


def rtl_sources(*names: str) -> list[Path]:
    return [RTL_DIR / f"{n}.sv" for n in names]
