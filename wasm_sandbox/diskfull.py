"""One clear error for a full file system, whichever writer hit it.

Why: a run file, a training checkpoint and the compiled snapshot are all written by code that
surfaces a full disk differently (an `OSError` with errno ENOSPC from Python, a safetensors error
or a failed `wasmtime wizer` that say so in their text, a `RuntimeError` from torch's writer that
does not say why at all). Each writer wraps its writes, and only those, in `writing(what, path)`,
which turns any of these into `DiskFull`: one line naming what could not be written, where, and
what to do. An error that does not say is counted as a full disk when the file system it wrote to
has less than `NEARLY_FULL` bytes (and less than 1 % of its size) left just after it. The CLIs print that line and exit
with their usage code (2). What the writer had finished before stays as it was (each writer
says how it keeps that promise).
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
NEARLY_FULL = 1 << 20
_FULL_TEXTS = tuple(os.strerror(e) for e in FULL_ERRNOS) + ("StorageFull", "os error 28")


class DiskFull(OSError):
    """A write failed because its file system is full (or the user's quota is used up)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.errno = errno.ENOSPC

    def __str__(self) -> str:
        return str(self.args[0])


def is_disk_full(exc: BaseException) -> bool:
    """True when `exc`, or an exception it was raised from, says the file system is full."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DiskFull) or (isinstance(exc, OSError) and exc.errno in FULL_ERRNOS):
            return True
        if any(text in str(exc) for text in _FULL_TEXTS):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _usage(path: Path):
    """Usage of the file system of `path` (or of its nearest existing parent); None if unknown."""
    for folder in (path, *path.parents):
        try:
            return shutil.disk_usage(folder)
        except OSError:
            continue
    return None


@contextmanager
def writing(what: str, path: str | os.PathLike, then: str = "free some space and rerun the same command"
            ) -> Iterator[None]:
    """Turn a full-disk failure inside the block into `DiskFull("cannot write <what> to <path>: ...")`."""
    try:
        yield
    except DiskFull:
        raise
    except BaseException as exc:
        path = Path(path)
        usage = _usage(path)
        full = usage is not None and usage.free < min(NEARLY_FULL, usage.total // 100)
        if not (is_disk_full(exc) or (isinstance(exc, Exception) and full)):
            raise
        left = "free space unknown" if usage is None else f"{usage.free / 1e6:.1f} MB free"
        raise DiskFull(f"cannot write {what} to {path}: no space left on its file system ({left}); {then}") from exc
