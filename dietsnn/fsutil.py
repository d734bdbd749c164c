"""Atomic outputs: a command that is interrupted leaves the previous result intact, or nothing, never a mix.

* ``atomic_write_bytes`` / ``atomic_write_text``: the data goes to a temporary
  file beside the target, is flushed to disk, then ``os.replace``-d over it
  (atomic on POSIX within one file system);
* ``atomic_file``: the same for writers that want a path or a file object
  (``np.savez``, ``ModelWrapper.save``);
* ``atomic_folder``: a whole output folder is written into a temporary sibling
  and swapped in only when the block completes without an exception.

Numpy-free and project-free: the board package uses it too.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator


class OutputPathError(ValueError):
    """An output path that cannot be written as asked (a folder where a file is wanted, or the reverse)."""


def check_file_target(path: str | Path, what: str = "--out") -> Path:
    """``path`` as a file target: its parent may be created, but it must not be an existing folder."""
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"{what} {path}: is a folder; expected a file path")
    if path.parent.exists() and not path.parent.is_dir():
        raise OutputPathError(f"{what} {path}: its parent {path.parent} is a file, not a folder")
    return path


def check_folder_target(path: str | Path, what: str = "--out") -> Path:
    """``path`` as a folder target: it may exist as a folder or not exist, but it must not be a file."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{what} {path}: exists as a file; expected a folder (or a path that does not exist)")
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise OutputPathError(f"{what} {path}: {parent} is a file, not a folder")
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_file(path: str | Path, mode: str = "wb") -> Iterator:
    """Open a temporary file beside ``path`` for writing; on success it replaces ``path``.

    Yields the open file object (``mode`` "wb" or "w"); its ``name`` is the
    temporary path. On an exception the temporary file is removed and
    ``path`` is untouched.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode must be 'wb' or 'w', not {mode!r}")
    path = check_file_target(path, "output")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would outlive the rename
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``path``."""
    with atomic_file(path, "wb") as f:
        f.write(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; returns ``path``."""
    return atomic_write_bytes(path, text.encode(encoding))


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` for writers that take a file name; renamed over ``path`` on success.

    The temporary name keeps ``path``'s suffix (writers such as ``np.savez``
    add one when it is missing).
    """
    path = check_file_target(path, "output")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield Path(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_folder(path: str | Path, keep: tuple[str, ...] = ()) -> Iterator[Path]:
    """Yield an empty temporary sibling folder of ``path``; when the block completes it replaces ``path``.

    ``keep``: names of entries of an existing ``path`` that are carried over
    into the new folder before the swap (entries the block did not write
    itself; e.g. results of a later step that stay valid). On an exception
    the temporary folder is removed and ``path`` is untouched. The swap is two
    renames: for an instant ``path`` does not exist, but it never holds a mix
    of old and new files.
    """
    path = check_folder_target(path, "output")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp's 0700 would outlive the rename
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not path.is_dir():
        os.replace(tmp, path)
        _fsync_dir(path.parent)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
    try:
        os.replace(path, old / path.name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
        raise
    os.replace(tmp, path)
    for name in keep:  # carried over from the previous folder when the new one lacks them
        src = old / path.name / name
        if (src.exists() or src.is_symlink()) and not (path / name).exists():
            os.replace(src, path / name)
    shutil.rmtree(old, ignore_errors=True)
    _fsync_dir(path.parent)
