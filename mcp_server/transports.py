"""Serving an `App` on stdio or streamable HTTP: auth, disconnects, session ends, and signals.

Why each piece:
- Disconnects. On the initialize-era HTTP wire the SDK keeps running a request whose client
  closed the connection (only the 2026-era wire cancels on close), so a client that gave up would
  keep its slot until the snippet's deadline. `ClientWatch` gives every HTTP request a
  `Disconnect` that is set when the server reads `http.disconnect` (the SSE response listens for
  it), and `until_disconnect` cancels the tool call when it fires - the runner then stops the snippet.
- Session ends. A DELETE that the SDK accepted ends an MCP session; its sandbox sessions are
  dropped at once instead of waiting for the idle timeout.
- Signals. SIGTERM and SIGINT stop the server gracefully and promptly: running snippets are
  interrupted and queued ones refused (`SandboxRunner.close`), the transport closes, and the
  process exits 0. uvicorn's own signal capture would re-raise the signal after shutdown (exit
  status -15) and wait for every open stream, so it is replaced by ours.
"""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Callable
from typing import Any

import anyio

import uvicorn

from .clients import DISCONNECTED, SESSION_HEADER, Disconnect
from .server import App, ServerConfig

log = logging.getLogger("deepmath.mcp")

GRACEFUL_SHUTDOWN_S = 0.5  # then uvicorn cancels what is still open (idle SSE streams)


class ClientWatch:
    """ASGI middleware: a per-request disconnect event, and session ends for the session table."""

    def __init__(self, app: Any, on_session_end: Callable[[str], Any]):
        self.app = app
        self.on_session_end = on_session_end

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        gone = Disconnect()
        scope[DISCONNECTED] = gone
        status: int | None = None

        async def watched_receive():
            message = await receive()
            if message["type"] == "http.disconnect":
                gone.set()
            return message

        async def watched_send(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, watched_receive, watched_send)
        if scope["method"] == "DELETE" and status is not None and 200 <= status < 300:
            session = dict(scope["headers"]).get(SESSION_HEADER.encode())
            if session:
                self.on_session_end(f"mcp:{session.decode('latin-1')}")


async def _on_signals(stop: Callable[[int], None]) -> None:
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for sig in signals:
            log.info("%s: stopping (running snippets are interrupted)", signal.Signals(sig).name)
            stop(sig)


async def serve_stdio(app: App) -> None:
    """Serve until stdin closes; on a signal stop the snippets and leave the process.

    Why the signal path exits from here: the SDK reads stdin in a worker thread blocked in
    read(), which no cancellation can interrupt, so the transport cannot be unwound while the
    client keeps stdin open."""
    from wasm_sandbox.runtime import hard_exit

    async with anyio.create_task_group() as tg:

        async def stop_and_exit() -> None:
            app.runner.close()
            with anyio.move_on_after(GRACEFUL_SHUTDOWN_S):
                await app.runner.drain()
            app.startup.close()
            logging.shutdown()
            hard_exit(0)

        tg.start_soon(_on_signals, lambda _sig: tg.start_soon(stop_and_exit))
        log.info("serving on stdio")
        await app.server.run_stdio_async()
        tg.cancel_scope.cancel()


class _Uvicorn(uvicorn.Server):
    """uvicorn's server without its signal capture (see the module docstring)."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


def http_app(app: App, cfg: ServerConfig) -> Any:
    """The ASGI app: the SDK's streamable HTTP app (bearer auth if the App has it) in `ClientWatch`."""
    starlette = app.server.streamable_http_app(
        streamable_http_path=cfg.path,
        host=cfg.host,
        # JSON escaping can grow code up to 6x; leave room so our own size check gives the message.
        max_request_body_size=max(4 * 1024 * 1024, 8 * cfg.max_code_bytes),
        # An MCP session its client left without a DELETE is closed when its sandbox sessions expire,
        # not after the SDK's 30 minutes: its memory comes back as soon as it holds nothing usable.
        session_idle_timeout=cfg.session_idle_s,
    )
    return ClientWatch(starlette, app.sessions.release)


async def serve_http(app: App, cfg: ServerConfig) -> None:
    config = uvicorn.Config(
        http_app(app, cfg),
        host=cfg.host,
        port=cfg.port,
        # http="auto": httptools when installed (a dependency), a C parser; h11 otherwise.
        log_config=None,  # uvicorn's default sends access logs to stdout; ours go to stderr
        access_log=False,
        log_level=cfg.log_level.lower(),
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    server = _Uvicorn(config)
    async with anyio.create_task_group() as tg:

        def stop(sig: int) -> None:
            app.runner.close()
            server.handle_exit(sig, None)  # sse-starlette hooks this too, to end open streams

        tg.start_soon(_on_signals, stop)
        log.info("serving streamable HTTP at http://%s:%d%s%s", cfg.host, cfg.port, cfg.path,
                 " (bearer token required)" if app.server.settings.auth else "")
        await server.serve()
        tg.cancel_scope.cancel()
