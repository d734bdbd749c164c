"""The RTL sources of the project's blocks (``hw/rtl``), by module name, for the cocotb block tests.

The blocks' parameters are checked before any simulator runs by ``hw.rtl_gen`` (``mvu_block``,
``pool_block``, through ``hw.block_params``)."""

from __future__ import annotations

from pathlib import Path

RTL_DIR = Path(__file__).resolve().parent.parent / "hw" / "rtl"


def rtl_sources(*names: str) -> list[Path]:
    return [RTL_DIR / f"{n}.sv" for n in names]
