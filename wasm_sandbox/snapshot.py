"""Build, once per machine, the pre-initialised interpreter snapshot and its compiled form.

Why: importing sympy + mpmath + numpy inside wasm costs ~1.6 s, and scipy's common
submodules another ~2 s; numpy.random alone (imported lazily by numpy) costs 13 ms. `wasmtime wizer` runs an export
once and writes a module whose memory already holds the result, so every fresh instance starts
with them imported (~15 ms instead). Compiling that module takes minutes on 2 cores, so the
compiled code is serialised into the cache and later loaded with `Module.deserialize_file`
(~10 ms). Both files are keyed by everything that changes them: the image's checksums, the guest
driver, the pre-import source, the allow-list, the wasmtime version and the engine config.

wasmtime checks only a compiled file's header (its version and engine settings), not its content,
and runs whatever native code the rest holds. So both files are published with a digest record and
loaded through `cache.checked`: a damaged, truncated or replaced file never reaches wasmtime; it is
built again (see `cache` for what this does and does not protect against).

What the snapshot freezes: the PRNG state and the str hash seed. The driver reseeds `random` (and
numpy's global generator) on each new instance's first call; the hash seed cannot be changed after
start-up, so set/dict iteration order of str keys is the same in every instance.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import wasmtime

from . import cache, diskfull, image
from .policy import PROFILES
from .wasm_patch import EXPORT, add_init_export

DRIVER_FILE = "<deepmath-driver>"
WARM_UP = """\
import sympy, mpmath, numpy, numpy.random, numpy.polynomial, numpy.fft
import scipy.special, scipy.optimize, scipy.integrate, scipy.linalg, scipy.stats
numpy.random.seed(0)
import ast, linecache, traceback, json, fractions, decimal, statistics, itertools, functools
import collections, heapq, bisect, re, string, datetime, cmath, operator, numbers
_x = sympy.Symbol('x')
sympy.integrate(_x**2 * sympy.sin(_x), _x); sympy.solve(_x**2 - 2, _x); sympy.factor(_x**4 - 1)
sympy.simplify(sympy.sin(_x)**2 + sympy.cos(_x)**2); sympy.Rational(1, 3) + sympy.sqrt(2)
numpy.linalg.eigvalsh(numpy.eye(2)); mpmath.mp.dps = 15; mpmath.quad(mpmath.sin, [0, 1])
del _x
"""
PLOT_WARM_UP = """\
import io, os, tempfile
_mkdtemp = tempfile.mkdtemp
tempfile.mkdtemp = lambda *a, **k: '/nonexistent/matplotlib'  # no writable folder: no config/cache dir
try:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as _plt
finally:
    tempfile.mkdtemp = _mkdtemp
_plt.plot([0, 1], [0, 1]); _plt.title('x'); _plt.savefig(io.BytesIO(), format='png'); _plt.close('all')
import gc, matplotlib.font_manager as _fm
_fm._get_font.cache_clear(); gc.collect()  # close the font files: a descriptor must not outlive the build
import pandas, networkx, PIL.Image, PIL.PngImagePlugin, mpl_toolkits
del _plt, _mkdtemp, _fm
"""
PROFILE_WARM_UP = {"math": WARM_UP, "plot": WARM_UP + PLOT_WARM_UP}
FILE_PREFIX = {"math": "snapshot", "plot": "plot-snapshot"}  # distinct globs: pruning one never hits another
REBUILD_HINT = "free some space and rerun the command (`deepmath-sandbox prepare` builds it alone)"
_HOST_STUB = '(module (func (export "call") (param i32 i32 i32 i32) (result i32) i32.const -1))\n'


def guest_dirs(profile: str) -> list[tuple[str, str]]:
    """The read-only host folders a `profile`'s guest sees, (host path, guest path), in preopen order
    (the snapshot records their descriptor numbers, so build and run must agree)."""
    dirs = [(str(image.stdlib_dir()), image.GUEST_LIB_DIR)]
    if profile == "plot":
        dirs.append((str(image.mpl_data_dir()), image.GUEST_MPL_DATA_DIR))
    return dirs


FIGURES_FILE = "<deepmath-figures>"
_FIGURES_SOURCE = (
    "_f = _t.ModuleType('_deepmath_figures'); _f.__file__ = %r\n"
    "exec(compile(%r, %r, 'exec'), _f.__dict__)\n"
    "_s.modules['_deepmath_figures'] = _f; _f.install(_m)\n"
    "del _f\n"
)


def _preinit_source(profile: str) -> str:
    return PROFILE_WARM_UP[profile] + _driver_source(profile)


def _driver_source(profile: str) -> str:
    """Load the guest driver as module `_deepmath` with the profile's allow-list (and, to plot, the
    figure hook), and bind `_dm_run`."""
    here = Path(__file__).parent
    driver = (here / "guest_driver.py").read_text()
    allowed = PROFILES[profile]
    figures = ""
    if profile == "plot":
        figures = _FIGURES_SOURCE % (FIGURES_FILE, (here / "guest_figures.py").read_text(), FIGURES_FILE)
    return (
        "import types as _t, sys as _s\n"
        "_m = _t.ModuleType('_deepmath'); _m.__file__ = %r\n"
        "exec(compile(%r, %r, 'exec'), _m.__dict__)\n"
        "_s.modules['_deepmath'] = _m; _m.configure(%r)\n"
        "_dm_run = _m.run\n" % (DRIVER_FILE, driver, DRIVER_FILE, tuple(sorted(allowed)))
    ) + figures + "del _t, _s, _m\n"


def _say(msg: str) -> None:
    print(f"[deepmath-sandbox] {msg}", file=sys.stderr, flush=True)


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _build_snapshot_wasm(source: str, dst: Path, stage: Path, profile: str) -> None:
    _say("building the pre-initialised interpreter snapshot (one time, ~1 min)...")
    t0 = time.monotonic()
    reactor = (image.artifacts_dir() / image.REACTOR).read_bytes()
    patched, stub, out = stage / "in.wasm", stage / "host.wat", stage / "out.wasm"
    patched.write_bytes(add_init_export(reactor, source))
    stub.write_text(_HOST_STUB)
    cmd = [str(image.wasmtime_cli()), "wizer", "-W", "exceptions=y", "-S", "cli=y",
           "--preload", f"host={stub}", str(patched), "-o", str(out), "-f", EXPORT,
           *[arg for host, guest in guest_dirs(profile) for arg in ("--dir", f"{host}::{guest}")],
           "--env", "TMPDIR=/tmp", "--env", "PYTHONTZPATH=", "--env", "HOME=/nonexistent"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 or not out.exists():
        raise image.ImageError(f"wizer failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    cache.publish_checked(out, dst)
    _say(f"snapshot written: {dst.name} ({dst.stat().st_size / 1e6:.0f} MB, {time.monotonic() - t0:.0f} s)")


def _prune(root: Path, keep: set[str], prefix: str = "snapshot") -> None:
    """Remove snapshots of other keys (each is ~150 MB; a running process keeps its mapping) and
    their digest records, and the unnamed temporary folders that builds before `cache.building`
    left when killed."""
    for path in root.glob(f"{prefix}-*"):
        name = path.name.removesuffix(cache.DIGEST_SUFFIX)
        if name not in keep and Path(name).suffix in (".wasm", ".cwasm"):
            path.unlink(missing_ok=True)
    for path in root.glob("tmp*"):
        if path.is_dir() and (path / "host.wat").exists():
            shutil.rmtree(path, ignore_errors=True)


def _damaged(path: Path) -> str | None:
    """Why the checked file at `path` cannot be used (None: it is fine, or missing)."""
    try:
        with cache.checked(path):
            return None
    except FileNotFoundError:
        return None
    except cache.Damaged as exc:
        return str(exc)


def _load(engine: wasmtime.Engine, path: Path) -> tuple[wasmtime.Module | None, str | None]:
    """The compiled module at `path` if it passes `cache.checked` (which runs before wasmtime reads a
    byte of it), else None and why (None for a missing file)."""
    try:
        with cache.checked(path) as same_file:
            return wasmtime.Module.deserialize_file(engine, same_file), None
    except FileNotFoundError:
        return None, None
    except cache.Damaged as exc:
        return None, str(exc)


def load_compiled(engine: wasmtime.Engine, cwasm_path: Path, make_wasm: Callable[[Path], Path]) -> wasmtime.Module:
    """The compiled module at `cwasm_path`, checked against the digest recorded when it was published;
    when it is missing or fails the check, compiled again (under the build lock, in its folder) from
    the wasm file `make_wasm(stage)` returns and published checked. A folder others can write:
    `CacheError`; a full disk: `DiskFull`."""
    root = cwasm_path.parent
    cache.check_private(root)
    module, _ = _load(engine, cwasm_path)
    if module is not None:
        return module
    with diskfull.writing("the compiled sandbox snapshot", root, then=REBUILD_HINT), \
            cache.building("snapshot", root) as stage:  # a killed build resumes at its last finished step
        module, damage = _load(engine, cwasm_path)  # another process may have built it meanwhile
        if module is None:
            if damage:
                _say(f"{damage}; rebuilding it")
                cache.remove_checked(cwasm_path)
            wasm_path = make_wasm(stage)
            _say("compiling the snapshot to native code (one time, ~2 min on 2 cores)...")
            t0 = time.monotonic()
            with cache.checked(wasm_path) as same_file:
                compiled = wasmtime.Module.from_file(engine, same_file).serialize()
            (stage / "out.cwasm").write_bytes(compiled)
            cache.publish_checked(stage / "out.cwasm", cwasm_path)
            _say(f"compiled in {time.monotonic() - t0:.0f} s: {cwasm_path}")
            module, damage = _load(engine, cwasm_path)
    if module is None:
        raise cache.CacheError(f"{cwasm_path} fails its check right after it was built ({damage}); "
                               "is something else writing the cache folder?")
    return module


def snapshot_paths(source: str, engine_desc: str, digests: dict[str, str] | None = None,
                   profile: str = "math") -> tuple[Path, Path]:
    """Where the snapshot (.wasm) and its compiled form (.cwasm) for this pre-import `source` live
    (`digests`: the image's, default verified now)."""
    digests = digests or image.verified_digests()
    wasm_key = _key(digests[image.REACTOR], digests[image.STDLIB_ZIP], source, image.wasmtime_cli().name)
    root = cache.cache_dir()
    prefix = FILE_PREFIX[profile]
    return (root / f"{prefix}-{wasm_key}.wasm",
            root / f"{prefix}-{wasm_key}-{_key(importlib.metadata.version('wasmtime'), engine_desc)}.cwasm")


def compiled_snapshot_path(engine_desc: str, profile: str = "math") -> Path:
    """Where `compiled_snapshot` keeps its compiled file (keyed by the digests SHA256SUMS lists)."""
    return snapshot_paths(_preinit_source(profile), engine_desc, image.expected_digests(), profile)[1]


def compiled_interim(engine: wasmtime.Engine, engine_desc: str) -> tuple[wasmtime.Module, Callable[[], None] | None]:
    """The plain interpreter with the driver's start-up as its `wasm_patch.EXPORT` (run by each
    instance, see `runtime.Runtime`) compiled for `engine`, loaded from the cache (checked like the
    snapshot) or compiled now; then also a function that saves it into the cache, to call once the
    module serves (serialising takes a while, and a caller is waiting for the module). The default
    profile's only: the plotting profile's figures and data files need its snapshot."""
    root = cache.cache_dir()
    cache.check_private(root)
    source = _driver_source("math")
    digests = image.verified_digests()  # the reactor is compiled below: checked first
    key = _key(digests[image.REACTOR], source, importlib.metadata.version("wasmtime"), engine_desc)
    cwasm_path = root / f"interim-{key}.cwasm"
    module, damage = _load(engine, cwasm_path)
    if module is not None:
        return module, None
    _say(f"{damage}; compiling it again" if damage else "compiling the interim interpreter (one time)...")
    t0 = time.monotonic()
    module = wasmtime.Module(engine, add_init_export((image.artifacts_dir() / image.REACTOR).read_bytes(), source))
    _say(f"interim interpreter compiled in {time.monotonic() - t0:.0f} s")

    def save() -> None:
        with diskfull.writing("the compiled interim interpreter", root, then=REBUILD_HINT), \
                cache.building("interim", root) as stage:
            if cwasm_path.exists() and not _damaged(cwasm_path):
                return  # another process saved it meanwhile
            for old in root.glob("interim-*.cwasm"):  # this key's damaged one, other keys' (hundreds of MB each)
                cache.remove_checked(old)
            (stage / "out.cwasm").write_bytes(module.serialize())
            cache.publish_checked(stage / "out.cwasm", cwasm_path)

    return module, save


def compiled_snapshot(engine: wasmtime.Engine, engine_desc: str, profile: str = "math") -> wasmtime.Module:
    """The snapshot module for `engine`, built and compiled on first use, then loaded from cache
    (both files checked against their recorded digests; a damaged one is built again).

    The image's own check (sha256 of its files against SHA256SUMS) runs in a thread meanwhile: the
    paths are keyed by the digests SHA256SUMS lists, which are the verified ones whenever that check
    passes, and nothing is built from the image, nor the module returned, before it has."""
    cache.check_private(cache.cache_dir())  # before anything is written into it
    source = _preinit_source(profile)
    with ThreadPoolExecutor(1, thread_name_prefix="deepmath-image-check") as pool:
        image_checked = pool.submit(image.verified_digests)
        wasm_path, cwasm_path = snapshot_paths(source, engine_desc, image.expected_digests(), profile)
        root = wasm_path.parent

        def make_wasm(stage: Path) -> Path:
            image_checked.result()
            damage = _damaged(wasm_path)
            if damage:
                _say(f"{damage}; rebuilding it")
                cache.remove_checked(wasm_path)
            if not wasm_path.exists():
                _build_snapshot_wasm(source, wasm_path, stage, profile)
            _prune(root, keep={wasm_path.name, cwasm_path.name}, prefix=FILE_PREFIX[profile])
            return wasm_path

        module = load_compiled(engine, cwasm_path, make_wasm)
        image_checked.result()
    for interim in root.glob("interim-*.cwasm"):  # it bridged until this snapshot was ready (hundreds of MB)
        cache.remove_checked(interim)
    return module
