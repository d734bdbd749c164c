"""The one Jinja2 environment of every generated file: RTL, HLS C++, Vitis HLS and Vivado scripts.

Templates live in ``hw/templates/<language>/`` and are named by that path
(``render("rtl/layer_wrapper.sv.j2", ...)``). Undefined variables are errors
(``StrictUndefined``); a line holding only a block tag leaves no trace
(``trim_blocks``, ``lstrip_blocks``); files keep their final newline.
Filter ``tcl``: a value as a TCL word in braces.
"""

from __future__ import annotations

import functools
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def _tcl(value) -> str:
    """A TCL word in braces."""
    return "{" + str(value) + "}"


@functools.cache
def environment():
    """The shared ``jinja2.Environment`` (created once)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["tcl"] = _tcl
    return env


def render(template: str, **context) -> str:
    """Render ``hw/templates/<template>`` with ``context``."""
    return environment().get_template(template).render(**context)


__all__ = ["TEMPLATE_DIR", "environment", "render"]
