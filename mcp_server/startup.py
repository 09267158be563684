"""Prepare the sandbox in the background, so the server answers `initialize` at once.

Why: on a fresh machine the sandbox's first start builds and compiles its snapshot (about three
minutes on 2 cores). Clients give a server about 60 s to answer `initialize`, then kill it, and
the next try would start the build over. So the server starts serving immediately; the sandbox
is built in a worker thread (started from the server's lifespan, i.e. once the stdio transport
owns stdout), and `tools/list` and `list_allowed_modules` never need it. A call that does need it
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
    "the sandbox is being prepared (the first start on a machine builds its snapshot, about 3 "
    "minutes; `deepmath-sandbox prepare` does it ahead of time); this call runs once it is ready"
)
_PROGRESS_EVERY_S = 5.0
# The wait message is a log notification on purpose: initialize-era clients (what the server
# speaks over HTTP) show them; the SDK warns that the 2026 era drops logging.
warnings.filterwarnings("ignore", message="The logging capability is deprecated", category=MCPDeprecationWarning)
_QUIET_WAIT_S = 1.0


class SandboxUnavailable(RuntimeError):
    """Preparing the sandbox failed; the message says why."""


class SandboxStartup:
    """One `Sandbox`, built on first `start()` in a daemon thread; `await get()` waits for it."""

    def __init__(self, limits: Limits | None = None, sandbox: Sandbox | None = None):
        self._limits = limits
        self.sandbox = sandbox
        self.error: BaseException | None = None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._started_at = time.monotonic()
        if sandbox is not None:
            self._done.set()

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
        from wasm_sandbox import Sandbox

        log.info("preparing the sandbox (the first run on a machine builds its snapshot; "
                 "`deepmath-sandbox prepare` does that ahead of time)")
        try:
            self.sandbox = Sandbox(self._limits)
            log.info("sandbox ready after %.1f s", time.monotonic() - self._started_at)
        except BaseException as e:  # reported to every caller; the server keeps answering
            self.error = e
            log.error("preparing the sandbox failed: %s: %s", type(e).__name__, e)
        finally:
            self._done.set()

    @property
    def is_ready(self) -> bool:
        return self._done.is_set() and self.sandbox is not None

    async def get(self, ctx: Any = None) -> Sandbox:
        """The sandbox, once built. `ctx` (an MCP tool context) receives what the wait is for."""
        if not self._done.is_set():
            self.start()
            # A warm start (snapshot cached) takes well under a second: no need to say anything.
            await anyio.to_thread.run_sync(self._done.wait, _QUIET_WAIT_S, abandon_on_cancel=True)
        if not self._done.is_set():
            if ctx is not None:
                await ctx.info(WAITING_MESSAGE)
            while not self._done.is_set():
                waited = time.monotonic() - self._started_at
                if ctx is not None:
                    await ctx.report_progress(waited, None, f"preparing the sandbox: {waited:.0f} s so far")
                await anyio.to_thread.run_sync(self._done.wait, _PROGRESS_EVERY_S, abandon_on_cancel=True)
        if self.sandbox is None:
            raise SandboxUnavailable(f"the sandbox could not be prepared: {type(self.error).__name__}: {self.error}")
        return self.sandbox

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.close()
