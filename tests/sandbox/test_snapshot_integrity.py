"""A compiled snapshot that differs from what was published never runs (issue 23, item 2).

The attacks damage the file the way a disk error, an interrupted copy or a careless writer would,
then load it through `snapshot.load_compiled`, the function `compiled_snapshot` uses. A spy on
`wasmtime.Module.deserialize_file` records the content of every file wasmtime was handed: the damaged
content must never be among them (wasmtime checks only a header, then runs the native code).
Most cases use a small compiled module (fast); one uses a copy of the real compiled snapshot.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime
import xxhash

from support.small_module import ANSWER_WAT, Maker, answer, make_engine
from wasm_sandbox import cache, runtime, snapshot


def _digest(data: bytes) -> str:
    return xxhash.xxh3_128_hexdigest(data)


@pytest.fixture
def handed(monkeypatch) -> list[str]:
    """The content (its digest) of every file `Module.deserialize_file` is handed, in order."""
    seen: list[str] = []
    real = wasmtime.Module.deserialize_file

    def spy(engine, path):
        seen.append(_digest(Path(path).read_bytes()))
        return real(engine, path)

    monkeypatch.setattr(wasmtime.Module, "deserialize_file", staticmethod(spy))
    return seen


def _flip(path: Path, fractions=(0.3, 0.5, 0.7), length: int = 4096) -> None:
    data = bytearray(path.read_bytes())
    for f in fractions:
        at = int(len(data) * f)
        end = min(at + length, len(data))
        data[at:end] = bytes(b ^ 0xFF for b in data[at:end])
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _append(path: Path) -> None:
    with path.open("ab") as fh:
        fh.write(b"\0" * 4096)


def _no_record(path: Path) -> None:  # a file from before digests, or a publish cut short
    cache.digest_path(path).unlink()


@pytest.fixture
def small(tmp_path):
    """A cache folder holding a published, checked small compiled module."""
    root = tmp_path / "cache"
    root.mkdir(mode=0o755)
    engine, make = make_engine(), Maker(root)
    path = root / "small.cwasm"
    assert answer(engine, snapshot.load_compiled(engine, path, make)) == 42
    assert make.calls == 1 and cache.digest_path(path).is_file()
    return engine, root, path, make


def test_an_intact_snapshot_is_loaded_not_rebuilt(small, handed):
    engine, _, path, make = small
    assert answer(engine, snapshot.load_compiled(engine, path, make)) == 42
    assert make.calls == 1 and handed == [_digest(path.read_bytes())]


def _replace_with_another_module(path: Path) -> None:
    """Another valid compiled module for the same engine: wasmtime would load and run it."""
    other = wasmtime.Module(make_engine(), ANSWER_WAT.format(n=7)).serialize()
    wasmtime.Module.deserialize(make_engine(), other)  # valid-looking indeed
    path.write_bytes(other)


@pytest.mark.parametrize("damage", [_flip, _truncate, _append, _replace_with_another_module, _no_record])
def test_a_damaged_snapshot_never_reaches_wasmtime_and_is_rebuilt(small, handed, damage, capsys):
    engine, _, path, make = small
    good = path.read_bytes()
    damage(path)
    bad = path.read_bytes()
    module = snapshot.load_compiled(engine, path, make)
    assert answer(engine, module) == 42  # the rebuilt module, not the replacement's 7
    assert make.calls == 2
    assert handed == [_digest(good)] and (bad != good or damage is _no_record)  # only the rebuilt file was handed over
    assert "rebuilding it" in capsys.readouterr().err
    assert path.read_bytes() == good  # compilation is deterministic: the same bytes again


def test_a_damaged_wasm_is_never_compiled(small, handed):
    engine, root, path, make = small
    cache.remove_checked(path)
    _flip(root / "small.wasm", fractions=(0.5,), length=8)
    with pytest.raises(cache.Damaged, match="does not match"):  # a make_wasm that hands the damaged file back
        snapshot.load_compiled(engine, path, lambda stage: root / "small.wasm")
    assert not path.exists() and handed == []


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o1777])
def test_a_cache_folder_others_can_write_is_refused_before_loading(small, handed, mode):
    engine, root, path, make = small
    root.chmod(mode)
    with pytest.raises(cache.CacheError, match="chmod go-w"):
        snapshot.load_compiled(engine, path, make)
    assert handed == [] and make.calls == 1


def test_a_folder_above_the_cache_that_others_can_write_is_refused(small, handed):
    engine, root, path, make = small
    root.parent.chmod(0o777)  # no sticky bit: anyone may rename the cache folder away and put theirs
    try:
        with pytest.raises(cache.CacheError, match=str(root.parent)):
            snapshot.load_compiled(engine, path, make)
    finally:
        root.parent.chmod(0o700)
    assert handed == []


def test_a_snapshot_file_others_can_write_is_refused(small, handed):
    engine, _, path, make = small
    path.chmod(0o666)
    with pytest.raises(cache.CacheError, match="writable by others"):
        snapshot.load_compiled(engine, path, make)
    assert handed == []


def test_the_cli_refuses_a_world_writable_cache_in_one_line(tmp_path):
    root = tmp_path / "shared"
    root.mkdir()
    root.chmod(0o777)
    env = {**os.environ, "DEEPMATH_CACHE": str(root), "PYTHONPATH": str(Path(__file__).parents[2])}
    p = subprocess.run([sys.executable, "-m", "wasm_sandbox.cli", "run", "1 + 1"], capture_output=True, text=True,
                       env=env, timeout=120)
    assert p.returncode == 2, p.stderr
    assert p.stderr.count("\n") == 1 and p.stderr.startswith("deepmath-sandbox: error: refusing the cache folder")
    assert "chmod go-w" in p.stderr and not list(root.glob("snapshot-*"))


@pytest.fixture(scope="session")
def real_copy(tmp_path_factory):
    """One copy per session of the real compiled snapshot and its digest record (built if needed)."""
    runtime.Runtime.get()
    _, cwasm = snapshot.snapshot_paths(snapshot._preinit_source("math"),
                                       runtime.ENGINE_DESC)
    folder = tmp_path_factory.mktemp("real-snapshot")
    for src in (cwasm, cache.digest_path(cwasm)):
        shutil.copyfile(src, folder / src.name)
    return folder / cwasm.name


class Rebuild(Exception):
    pass


def _no_rebuild(stage: Path) -> Path:
    raise Rebuild  # compiling the real snapshot takes minutes; reaching here is what we assert


def test_the_real_snapshot_damaged_or_truncated_is_caught_before_wasmtime(real_copy, handed):
    engine = make_engine()
    record = cache.digest_path(real_copy).read_text()
    keep = real_copy.with_name("same-inode")  # the rebuild step removes the damaged file's name first
    os.link(real_copy, keep)
    assert snapshot.load_compiled(engine, real_copy, _no_rebuild).exports  # the intact copy loads
    assert len(handed) == 1
    handed.clear()
    _flip(real_copy)  # 4 KB at three places in the middle: SIGILL, a segfault or wrong answers if it ran
    with pytest.raises(Rebuild):
        snapshot.load_compiled(engine, real_copy, _no_rebuild)
    assert handed == [] and not real_copy.exists()
    os.link(keep, real_copy)
    cache.digest_path(real_copy).write_text(record)
    _flip(real_copy)  # the same flips again restore it: it passes again
    assert snapshot.load_compiled(engine, real_copy, _no_rebuild).exports and len(handed) == 1
    handed.clear()
    _truncate(real_copy)
    with pytest.raises(Rebuild):
        snapshot.load_compiled(engine, real_copy, _no_rebuild)
    assert handed == []


def test_an_image_failing_its_checksums_still_stops_the_load(monkeypatch):
    """The image's sha256 check runs alongside the snapshot's: its failure still ends the load."""
    from wasm_sandbox import image

    real = image._sha256
    monkeypatch.setattr(image, "_sha256", lambda p: "0" * 64 if p.parent == image.artifacts_dir() else real(p))
    image.verified_digests.cache_clear()
    try:
        with pytest.raises(image.ImageError, match="checksum mismatch"):
            snapshot.compiled_snapshot(make_engine(), runtime.ENGINE_DESC)
    finally:
        image.verified_digests.cache_clear()


def test_a_cache_reached_through_a_symlink_is_checked_where_it_leads(small, handed, tmp_path):
    engine, root, path, make = small
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    moved = open_dir / "cache"
    root.rename(moved)
    root.symlink_to(moved)  # the configured path looks private; the folder holding the real one is not
    open_dir.chmod(0o777)
    try:
        with pytest.raises(cache.CacheError, match=str(open_dir)):
            snapshot.load_compiled(engine, path, make)
    finally:
        open_dir.chmod(0o700)
    assert handed == []
