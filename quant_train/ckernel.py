"""Build and load the C LIF kernel (``csrc/lif.c``) with the system C compiler.

Compiled once per source version, compiler flags and CPU into
``~/.cache/dietsnn`` (or ``$DIETSNN_CACHE``) with ``cc -O3 -march=native
-fopenmp``; called through ctypes on contiguous float32 CPU tensors. ``None``
when no compiler works or ``DIETSNN_NO_CKERNEL`` is set: ``neurons.py`` then
runs the vectorized PyTorch implementation of the same recurrence (a warning
says so when the compiler is missing).

The flags never change results: ``-fno-trapping-math`` and
``-fno-math-errno`` only let GCC vectorize ``floorf``/``fabsf``; there is no
``-ffast-math`` (no reassociation), so the integer-valued forward pass is exact.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import platform
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

SOURCE = Path(__file__).parent / "csrc" / "lif.c"
FLAGS = ["-O3", "-march=native", "-fno-trapping-math", "-fno-math-errno", "-fopenmp", "-fPIC", "-shared"]


def _cache_dir() -> Path:
    return Path(os.environ.get("DIETSNN_CACHE", Path.home() / ".cache" / "dietsnn"))


def _cpu_tag() -> str:
    """The CPU model and flags: a cache built with -march=native on another CPU is not reused."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        return "|".join(sorted({l for l in lines if l.startswith(("model name", "flags"))}))
    except OSError:
        return platform.processor() or platform.machine()


def _compile(cc: str, lib: Path) -> bool:
    tmp = lib.with_suffix(f".{os.getpid()}.tmp")
    cmd = [cc, *FLAGS, "-o", str(tmp), str(SOURCE), "-lm"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:  # a compiler that does not know -march=native
        cmd.remove("-march=native")
        res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        log.warning("compiling %s failed (%s): the LIF runs in PyTorch\n%s", SOURCE, " ".join(cmd), res.stderr)
        return False
    os.replace(tmp, lib)
    return True


@lru_cache(maxsize=1)
def load() -> ctypes.CDLL | None:
    if os.environ.get("DIETSNN_NO_CKERNEL"):
        return None
    tag = hashlib.sha256(SOURCE.read_bytes() + " ".join(FLAGS).encode() + _cpu_tag().encode()).hexdigest()[:16]
    lib = _cache_dir() / f"lif_{tag}.so"
    if not lib.is_file():
        cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
        if cc is None:
            log.warning("no C compiler found: the LIF runs in PyTorch (slower, same results)")
            return None
        lib.parent.mkdir(parents=True, exist_ok=True)
        if not _compile(cc, lib):
            return None
    dll = ctypes.CDLL(str(lib))
    P, I, L, F = ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_float
    dll.lif_pool_tasks.argtypes = [L, L, L, L, I, I]
    dll.lif_pool_tasks.restype = L
    dll.lif_pool_forward.argtypes = [P, I, P, P, I, L, L, L, L, I, I, I, I, P]
    dll.lif_pool_forward.restype = None
    dll.lif_pool_backward.argtypes = [P, P, I, P, P, I, L, L, L, L, I, I, I, F, F, I, P, P]
    dll.lif_pool_backward.restype = None
    return dll
