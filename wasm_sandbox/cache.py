"""The cache folder, and the one way to build something into it: locked, staged, published whole.

Why: several processes (a test run, a server the agent spawned, a second terminal) may want the
same artifact at once, and any of them may be killed mid-build. `building(name)` serialises
builders with a file lock (`filelock`), hands out a private staging folder inside the cache
(same file system, so publishing is an atomic `os.replace`), removes it afterwards whatever happens,
and first removes what a killed build of the same name left behind (holding the lock, every staging
folder of that name is stale). A reader never sees a half-written file: it either finds the
published one or takes the lock and builds it.

Files whose content a process trusts (the compiled snapshot is native code it maps and runs) are
published with `publish_checked`, which records their size and xxh3-128 digest in a sidecar
(`<name>.xxh3`) written after the file, and opened with `checked`, which refuses a file that does
not match it (bit flips, truncation, an interrupted copy, another file put in its place) before a
loader sees it. A fast hash detects accidents, not an attacker: whoever can write the file can
write its digest too. That is what `check_private` is for: a cache folder (or a folder above it)
that another user can write, or a checked file that is not ours, is refused.

    with building("snapshot") as stage:
        if not target.exists():
            (stage / "out").write_bytes(make())
            publish(stage / "out", target)
"""

from __future__ import annotations

import json
import mmap
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import xxhash
from filelock import FileLock

CACHE_ENV = "DEEPMATH_CACHE"
STAGE_PREFIX = ".partial-"
DIGEST_SUFFIX = ".xxh3"
PRIVATE_FIX = "chmod go-w {path}, or set DEEPMATH_CACHE to a folder only you can write"
_POPULATE = getattr(mmap, "MAP_POPULATE", 0)  # Linux: map every page at once (cheaper than faulting them)
_FD_DIR = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"  # names for an open file


class CacheError(RuntimeError):
    """The cache folder, or a file in it, cannot be trusted as it is."""


class Damaged(CacheError):
    """A checked file is missing its recorded digest or does not match it."""


def cache_dir() -> Path:
    """`$DEEPMATH_CACHE`, else `~/.cache/deepmath` (created on first use)."""
    root = os.environ.get(CACHE_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "deepmath")
    path = Path(root)
    path.mkdir(mode=0o755, parents=True, exist_ok=True)
    return path


@contextmanager
def building(name: str, folder: Path | None = None) -> Iterator[Path]:
    """Hold the build lock for `name` and yield a fresh staging folder in `folder` (the cache)."""
    folder = folder or cache_dir()
    with FileLock(str(folder / f".{name}.lock")):
        for stale in folder.glob(f"{STAGE_PREFIX}{name}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        stage = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{name}-", dir=folder))
        try:
            yield stage
        finally:
            shutil.rmtree(stage, ignore_errors=True)


def publish(src: Path, dst: Path) -> None:
    """Move a finished file from a staging folder to its final name, atomically."""
    os.replace(src, dst)


def _writable_by_others(st: os.stat_result, sticky_ok: bool) -> str | None:
    """Who other than us could change what the path holds, or None."""
    if st.st_uid not in (os.geteuid(), 0):
        return f"it belongs to another user (uid {st.st_uid})"
    if st.st_mode & 0o022 and not (sticky_ok and st.st_mode & stat.S_ISVTX):
        return f"it is writable by {'others' if st.st_mode & 0o002 else 'its group'} (mode {st.st_mode & 0o7777:o})"
    return None


def check_private(folder: Path) -> None:
    """Refuse (CacheError) a cache folder that someone else could write, directly or by renaming it
    away from a folder above it (a sticky folder such as /tmp is fine above it, not as it)."""
    folder, real = Path(os.path.abspath(folder)), Path(os.path.realpath(folder))
    for path in dict.fromkeys((folder, *folder.parents, *real.parents)):  # and where a symlink leads
        problem = _writable_by_others(os.stat(path), sticky_ok=path != folder)
        if problem:
            raise CacheError(f"refusing the cache folder {folder}: {path} can be changed by other users ({problem}), "
                             f"so they could choose the native code this process runs; "
                             + PRIVATE_FIX.format(path=path))


def digest_path(path: Path) -> Path:
    return path.with_name(path.name + DIGEST_SUFFIX)


def _fd_digest(fd: int, size: int) -> str:
    """xxh3-128 of the whole file behind `fd`, read through a populated shared mapping (no copy)."""
    if size == 0:
        return xxhash.xxh3_128().hexdigest()
    with mmap.mmap(fd, size, flags=mmap.MAP_SHARED | _POPULATE, prot=mmap.PROT_READ) as view:
        return xxhash.xxh3_128(view).hexdigest()


def _record(path: Path) -> str:
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        return json.dumps({"size": size, "xxh3_128": _fd_digest(fd, size)}) + "\n"
    finally:
        os.close(fd)


def publish_checked(src: Path, dst: Path) -> None:
    """`publish` a file and record its size and digest beside it (the old record goes first and the
    new one comes after the file, so a reader never pairs a new file with an old record)."""
    src.chmod(src.stat().st_mode & ~0o022)  # `checked` refuses what others can write (umask 002)
    staged = digest_path(src)
    staged.write_text(_record(src))
    digest_path(dst).unlink(missing_ok=True)
    publish(src, dst)
    publish(staged, digest_path(dst))


def remove_checked(path: Path) -> None:
    """Remove a checked file and its record (holding its build lock)."""
    digest_path(path).unlink(missing_ok=True)
    path.unlink(missing_ok=True)


@contextmanager
def checked(path: Path) -> Iterator[str]:
    """Open `path` and yield a name for that same open file (`/proc/self/fd/N`: replacing `path`
    meanwhile changes nothing) once it is ours, not writable by others, and matches the size and
    digest recorded when it was published. FileNotFoundError when it is missing; `Damaged` when its
    record is missing or it does not match; `CacheError` when someone else could write it."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        problem = _writable_by_others(st, sticky_ok=False)
        if problem:
            raise CacheError(f"refusing {path}: {problem}; " + PRIVATE_FIX.format(path=path))
        try:
            want = json.loads(digest_path(path).read_text())
            size, digest = int(want["size"]), str(want["xxh3_128"])
        except FileNotFoundError:
            raise Damaged(f"{path.name} has no recorded digest (written by an older version, or its "
                          "publication was cut short)") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise Damaged(f"{path.name}: its digest record is unreadable ({exc})") from None
        if st.st_size != size:
            raise Damaged(f"{path.name} is {st.st_size} bytes, {size} were published (truncated or appended to)")
        if _fd_digest(fd, size) != digest:
            raise Damaged(f"{path.name} does not match the digest recorded when it was published (damaged or replaced)")
        yield f"{_FD_DIR}/{fd}"
    finally:
        os.close(fd)
