"""Publishing the compiled snapshot on a full disk (issue 23, item 4): `DiskFull` with one clear
line (exit code 2 from `deepmath-sandbox`), nothing half-written left behind, what was published
before intact, and the build completes once there is space. The disk is a small tmpfs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.small_module import Maker, answer, make_engine
from support.tmpfs import fill
from wasm_sandbox import cache, snapshot
from wasm_sandbox.diskfull import DiskFull


class FillAfterWasm(Maker):
    """Publishes the small .wasm, then fills the disk: the compiled file is what no longer fits."""

    def __call__(self, stage: Path) -> Path:
        wasm = super().__call__(stage)
        self.filler = fill(self.root.parent)
        return wasm


def test_a_full_disk_while_publishing_the_snapshot_is_one_error_and_the_build_resumes(small_tmpfs):
    disk = small_tmpfs("1m")
    root = disk / "cache"
    root.mkdir(mode=0o755)
    engine, make, path = make_engine(), FillAfterWasm(root), root / "small.cwasm"
    with pytest.raises(DiskFull) as caught:
        snapshot.load_compiled(engine, path, make)
    assert str(caught.value).startswith(f"cannot write the compiled sandbox snapshot to {root}: no space left")
    assert "\n" not in str(caught.value) and "deepmath-sandbox prepare" in str(caught.value)
    assert not path.exists() and not cache.digest_path(path).exists()
    assert not [p for p in root.iterdir() if p.name.startswith(cache.STAGE_PREFIX)]  # the stage is gone
    with cache.checked(root / "small.wasm"):  # what was published before is intact
        pass
    make.filler.unlink()
    assert answer(engine, snapshot.load_compiled(engine, path, Maker(root))) == 42


def test_deepmath_sandbox_prepare_on_a_full_disk_exits_2_with_one_line(small_tmpfs):
    disk = small_tmpfs("1m")
    fill(disk)
    env = {**os.environ, "DEEPMATH_CACHE": str(disk), "PYTHONPATH": str(Path(__file__).parents[2])}
    p = subprocess.run([sys.executable, "-m", "wasm_sandbox.cli", "prepare"], capture_output=True, text=True,
                       env=env, timeout=300)
    assert p.returncode == 2, p.stderr
    assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
    assert p.stderr.startswith(f"deepmath-sandbox: error: cannot write the sandbox cache to {disk}: no space left")
    left = sorted(str(p.relative_to(disk)) for p in disk.rglob("*") if p.is_file())
    assert left == ["filler"] or all(not name.endswith(".tmp") for name in left), left  # no half-copied file
