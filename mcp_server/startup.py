"""Prepare the sandbox in the background, so the server answers `initialize` at once.

Why: on a fresh machine the sandbox's first start builds and compiles its snapshot (about three
minutes on 2 cores). Clients give a server about 60 s to answer `initialize`, then kill it, and
the next try would start the build over. So the server starts serving immediately; the sandbox
is built in a worker thread (started from the server's lifespan, i.e. once the stdio transport
owns stdout), and `tools/list` and `list_allowed_modules` never need it. Without a cached snapshot
that thread first makes an interim sandbox (`Sandbox(interim=True)`, compiled in seconds rather
than minutes), which serves calls until the snapshot is ready. A call that comes before either
waits, tells the client what it waits for (a log notification, and progress notifications when
the client sent a progress token) and then runs; a build that failed makes every such call a tool
error that quotes the failure.

Not covered here: cleaning up after a build that was killed half-way (that is the snapshot
builder's own lock-and-rename discipline in `wasm_sandbox.snapshot`).
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from typing import TYPE_CHECKING, Any

import anyio
from mcp.shared.exceptions import MCPDeprecationWarning

if TYPE_CHECKING:
    from wasm_sandbox import Limits, Sandbox

log = logging.getLogger("deepmath.mcp")

WAITING_MESSAGE = (
    "the sandbox is being prepared (the first start on a machine compiles an interim interpreter, "
    "then builds the snapshot; `deepmath-sandbox prepare` does it ahead of time); this call runs "
    "once one of them is ready"
)
INTERIM_MESSAGE = (
    "the sandbox snapshot is still being built: this call runs on an interim interpreter (same limits; "
    "importing sympy/numpy/scipy takes seconds there); its sessions reset when the snapshot takes over"
)
_PROGRESS_EVERY_S = 5.0
# The wait message is a log notification on purpose: initialize-era clients (what the server
# speaks over HTTP) show them; the SDK warns that the 2026 era drops logging.
warnings.filterwarnings("ignore", message="The logging capability is deprecated", category=MCPDeprecationWarning)
_QUIET_WAIT_S = 1.0


def _snapshot_cached() -> bool:
    from wasm_sandbox.runtime import Runtime

    try:
        return Runtime.snapshot_cached()
    except Exception:  # the image is missing or unreadable: the snapshot build reports it
        return True


class SandboxUnavailable(RuntimeError):
    """Preparing the sandbox failed; the message says why."""


class SandboxStartup:
    """The `Sandbox`, built on first `start()` in a daemon thread; `await get()` waits for it.

    When the compiled snapshot is not cached yet (and `bridge`), that thread first builds an interim
    sandbox (`Sandbox(interim=True)`: the plain interpreter compiled by Winch, same limits), which
    serves the calls until the snapshot is ready; then the interim one hands over
    (`Sandbox.hand_over`): its sessions are reported as reset on their next call, which runs on the
    snapshot. If the snapshot's build fails, the interim sandbox keeps serving (the failure is logged)."""

    def __init__(self, limits: Limits | None = None, sandbox: Sandbox | None = None, bridge: bool = True):
        self._limits = limits
        self.sandbox = sandbox
        self.interim: Sandbox | None = None
        self.error: BaseException | None = None
        self._bridge = bridge
        self._done = threading.Event()
        self._usable = threading.Event()  # the snapshot sandbox, or the interim one, is ready (or failed)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._started_at = time.monotonic()
        if sandbox is not None:
            self._done.set()
            self._usable.set()

    @classmethod
    def ready(cls, sandbox: Sandbox) -> SandboxStartup:
        """Wrap a sandbox the caller already built (tests, embedding)."""
        return cls(sandbox=sandbox)

    def start(self) -> None:
        if self._done.is_set() or self._thread is not None:
            return
        self._started_at = time.monotonic()
        self._thread = threading.Thread(target=self._build, name="deepmath-sandbox-startup", daemon=True)
        self._thread.start()

    def _build(self) -> None:
        """The interim sandbox first when the snapshot is not cached (its compile gets the cores to
        itself), then the snapshot's."""
        profile = self._limits.modules if self._limits else "math"
        if self._bridge and profile == "math" and not _snapshot_cached():  # the only profile with an interim
            self._build_interim()
        from wasm_sandbox import Sandbox

        log.info("preparing the sandbox (the first run on a machine builds its snapshot; "
                 "`deepmath-sandbox prepare` does that ahead of time)")
        try:
            sandbox = Sandbox(self._limits)
            with self._lock:
                self.sandbox, interim = sandbox, self.interim
            if interim is not None:
                interim.hand_over(sandbox)
            log.info("sandbox ready after %.1f s", time.monotonic() - self._started_at)
        except BaseException as e:  # reported to every caller; the server keeps answering
            self.error = e
            log.error("preparing the sandbox failed: %s: %s", type(e).__name__, e)
        finally:
            self._done.set()
            self._usable.set()

    def _build_interim(self) -> None:
        from wasm_sandbox import Sandbox

        log.info("preparing an interim interpreter (without the snapshot: slower imports) for the calls "
                 "that come before the snapshot is ready")
        try:
            interim = Sandbox(self._limits, interim=True)
        except Exception as e:  # the snapshot's build goes on; calls wait for it
            log.warning("the interim interpreter failed (calls wait for the snapshot): %s: %s", type(e).__name__, e)
            return
        with self._lock:
            self.interim = interim
        log.info("interim interpreter serving after %.1f s (%.1f s of this process's CPU)",
                 time.monotonic() - self._started_at, time.process_time())
        self._usable.set()
        if interim.runtime.save is not None:
            try:
                interim.runtime.save()
            except Exception as e:  # only a later fresh start would have used it
                log.warning("could not cache the interim interpreter: %s: %s", type(e).__name__, e)

    @property
    def current(self) -> Sandbox | None:
        """The sandbox calls go to now: the snapshot's once ready, else the interim one (or None)."""
        with self._lock:
            return self.sandbox or self.interim

    @property
    def is_ready(self) -> bool:
        return self._done.is_set() and self.sandbox is not None

    async def get(self, ctx: Any = None) -> Sandbox:
        """The sandbox to run on, once one is built. `ctx` (an MCP tool context) receives what the
        wait is for, and a note when the call runs on the interim interpreter."""
        if not self._usable.is_set():
            self.start()
            # A warm start (snapshot cached) takes well under a second: no need to say anything.
            await anyio.to_thread.run_sync(self._usable.wait, _QUIET_WAIT_S, abandon_on_cancel=True)
        if not self._usable.is_set():
            if ctx is not None:
                await ctx.info(WAITING_MESSAGE)
            while not self._usable.is_set():
                waited = time.monotonic() - self._started_at
                if ctx is not None:
                    await ctx.report_progress(waited, None, f"preparing the sandbox: {waited:.0f} s so far")
                await anyio.to_thread.run_sync(self._usable.wait, _PROGRESS_EVERY_S, abandon_on_cancel=True)
        sandbox = self.current
        if sandbox is None:
            raise SandboxUnavailable(f"the sandbox could not be prepared: {type(self.error).__name__}: {self.error}")
        if sandbox is not self.sandbox and ctx is not None:
            await ctx.info(INTERIM_MESSAGE)
        return sandbox

    def close(self) -> None:
        with self._lock:
            sandboxes = [s for s in (self.sandbox, self.interim) if s is not None]
        for sandbox in sandboxes:
            sandbox.close()
