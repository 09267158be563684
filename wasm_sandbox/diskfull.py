"""One clear error for a full file system, whichever writer hit it.

Why: a run file, a training checkpoint and the compiled snapshot are all written by code that
surfaces a full disk differently (an `OSError` with errno ENOSPC from Python, a `RuntimeError`
from torch's writer, a safetensors error, a failed `wasmtime wizer` whose stderr says so). Each
writer wraps its writes in `writing(what, path)`, which turns any of these into `DiskFull`: one
line naming what could not be written, where, and what to do. The CLIs print that line and exit
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


def _free(path: Path) -> str:
    for folder in (path, *path.parents):
        try:
            return f"{shutil.disk_usage(folder).free / 1e6:.1f} MB free"
        except OSError:
            continue
    return "free space unknown"


@contextmanager
def writing(what: str, path: str | os.PathLike, then: str = "free some space and rerun the same command"
            ) -> Iterator[None]:
    """Turn a full-disk failure inside the block into `DiskFull("cannot write <what> to <path>: ...")`."""
    try:
        yield
    except DiskFull:
        raise
    except BaseException as exc:
        if not is_disk_full(exc):
            raise
        path = Path(path)
        raise DiskFull(f"cannot write {what} to {path}: no space left on its file system ({_free(path)}); "
                       f"{then}") from exc
