"""Build and load the C LIF kernel (``csrc/lif.c``) with the system C compiler.

Compiled once per source version into ``~/.cache/dietsnn`` (or
``$DIETSNN_CACHE``) with ``cc -O3 -fopenmp``; called through ctypes on
contiguous float32 tensors. ``None`` when no compiler works: ``neurons.py``
then runs its PyTorch implementation of the same recurrence (a warning says so).
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

SOURCE = Path(__file__).parent / "csrc" / "lif.c"


def _cache_dir() -> Path:
    return Path(os.environ.get("DIETSNN_CACHE", Path.home() / ".cache" / "dietsnn"))


@lru_cache(maxsize=1)
def load() -> ctypes.CDLL | None:
    if os.environ.get("DIETSNN_NO_CKERNEL"):
        return None
    src = SOURCE.read_bytes()
    tag = hashlib.sha256(src).hexdigest()[:16]
    lib = _cache_dir() / f"lif_{tag}.so"
    if not lib.is_file():
        cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
        if cc is None:
            log.warning("no C compiler found: the LIF runs in PyTorch (slower, same results)")
            return None
        lib.parent.mkdir(parents=True, exist_ok=True)
        tmp = lib.with_suffix(f".{os.getpid()}.tmp")
        cmd = [cc, "-O3", "-march=native", "-fopenmp", "-fPIC", "-shared", "-o", str(tmp), str(SOURCE), "-lm"]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:  # a compiler that does not know -march=native
            cmd.remove("-march=native")
            res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            log.warning("compiling %s failed (%s): the LIF runs in PyTorch\n%s", SOURCE, " ".join(cmd), res.stderr)
            return None
        os.replace(tmp, lib)
    dll = ctypes.CDLL(str(lib))
    P, I, L, F = ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_float
    dll.lif_forward.argtypes = [P, I, P, P, I, L, L, L, I, P]
    dll.lif_backward.argtypes = [P, P, P, P, I, L, L, L, I, F, F, I, P, P, P, P]
    dll.or_pool_forward.argtypes = [P, L, L, L, I, P]
    dll.or_pool_backward.argtypes = [P, P, L, L, L, I, P]
    for fn in (dll.lif_forward, dll.lif_backward, dll.or_pool_forward, dll.or_pool_backward):
        fn.restype = None
    return dll
