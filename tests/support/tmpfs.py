"""A small tmpfs for full-disk tests, and a way to fill it.

Mounting needs root (true on the project's machines); elsewhere the tests that use it skip and say why.
"""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest


def mount(where: Path, size: str) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"cannot mount a {size} tmpfs at {where}: {(p.stderr or p.stdout).strip()}")
    return where


def unmount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], check=True)


def fill(where: Path, leave: int = 0) -> Path:
    """Write a filler file until the file system is full, then give back `leave` bytes. Returns it."""
    filler = where / "filler"
    with filler.open("wb", buffering=0) as fh:
        block = b"\0" * 4096
        try:
            while True:
                fh.write(block)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    if leave:
        os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler
