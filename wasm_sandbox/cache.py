"""The cache folder, and the one way to build something into it: locked, staged, published whole.

Why: several processes (a test run, a server the agent spawned, a second terminal) may want the
same artifact at once, and any of them may be killed mid-build. `building(name)` serialises
builders with a file lock (`filelock`), hands out a private staging folder inside the cache
(same file system, so publishing is an atomic `os.replace`), removes it afterwards whatever happens,
and first removes what a killed build of the same name left behind (holding the lock, every staging
folder of that name is stale). A reader never sees a half-written file: it either finds the
published one or takes the lock and builds it.

    with building("snapshot") as stage:
        if not target.exists():
            (stage / "out").write_bytes(make())
            publish(stage / "out", target)
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock

STAGE_PREFIX = ".partial-"


def cache_dir() -> Path:
    """`$DEEPMATH_CACHE`, else `~/.cache/deepmath` (created on first use)."""
    root = os.environ.get("DEEPMATH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "deepmath")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
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
