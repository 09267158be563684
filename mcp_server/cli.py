"""`deepmath-mcp`: serve the sandbox over MCP on stdio (default) or streamable HTTP.

Why the care with stdout: under stdio the process's stdout *is* the protocol channel, so a stray
print (a progress message while the sandbox snapshot is built, a library warning) corrupts the
session. Logging goes to stderr, and while the sandbox is being prepared file descriptor 1 is
pointed at stderr, so even output written below Python reaches the terminal, not the client. Once
serving, the SDK's stdio transport keeps its own private duplicate of the real stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Iterator

import anyio

from wasm_sandbox.cli import add_limit_flag
from wasm_sandbox.version import add_version

from .server import ServerConfig

log = logging.getLogger("deepmath.mcp")


def parse_args(argv: list[str] | None = None) -> ServerConfig:
    d = ServerConfig()
    p = argparse.ArgumentParser(
        prog="deepmath-mcp",
        description="Python-in-WebAssembly sandbox as an MCP server (tools: run_python, reset_session, "
        "list_allowed_modules).",
    )
    add_version(p)
    p.add_argument("--transport", choices=["stdio", "http"], default=d.transport,
                   help="stdio (default) or streamable HTTP")
    p.add_argument("--host", default=d.host, help="HTTP bind address (default %(default)s)")
    p.add_argument("--port", type=int, default=d.port, help="HTTP port (default %(default)s)")
    p.add_argument("--path", default=d.path, help="HTTP endpoint path (default %(default)s)")
    p.add_argument("--timeout", type=float, default=d.timeout_s, dest="timeout_s",
                   help="default and maximum seconds per snippet (default %(default)s)")
    p.add_argument("--memory-mb", type=int, default=d.memory_mb, help="memory cap per instance (MB)")
    p.add_argument("--max-output", type=int, default=d.max_output_chars, dest="max_output_chars",
                   help="characters kept per output stream (default %(default)s)")
    p.add_argument("--max-sessions", type=int, default=d.max_sessions,
                   help="live sessions kept, least recently used evicted (default %(default)s)")
    p.add_argument("--session-idle", type=float, default=d.session_idle_s, dest="session_idle_s",
                   help="seconds before an idle session is dropped (default %(default)s)")
    add_limit_flag(p, "--memory-budget-mb", "memory_budget_mb")
    p.add_argument("--max-concurrency", type=int, default=d.max_concurrency,
                   help="snippets running at once; further calls queue (default %(default)s)")
    p.add_argument("--max-code-bytes", type=int, default=d.max_code_bytes,
                   help="largest accepted snippet in bytes (default %(default)s)")
    p.add_argument("--log-level", default=d.log_level,
                   choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], help="stderr log level")
    ns = p.parse_args(argv)
    try:
        return ServerConfig(**vars(ns))
    except ValueError as e:  # pydantic ValidationError: report like an argparse error
        p.error(str(e))
        raise  # unreachable: p.error exits


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send everything written to fd 1 (Python-level or not) to stderr for the duration."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _configure_logging(level: str) -> None:
    """Plain log lines on stderr. Below DEBUG the SDK and uvicorn only report warnings: their INFO
    lines (one per request) would drown ours and cost time on every call."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet = logging.DEBUG if level == "DEBUG" else max(logging.WARNING, logging.getLevelName(level))
    for name in ("mcp", "uvicorn", "httpx", "sse_starlette"):
        logging.getLogger(name).setLevel(quiet)


def serve(cfg: ServerConfig) -> None:
    """Build the sandbox and serve until the transport closes (stdio EOF, SIGINT/SIGTERM for HTTP)."""
    from wasm_sandbox import Sandbox

    from .server import build_server

    log.info("preparing the sandbox (the first run on a machine builds its snapshot; "
             "`deepmath-sandbox prepare` does that ahead of time)")
    with stdout_to_stderr():
        sandbox = Sandbox(cfg.sandbox_limits())
    try:
        server = build_server(cfg, sandbox)
        # MCPServer configures the root logger with its own (rich) handler; keep ours, plain stderr.
        _configure_logging(cfg.log_level)
        if cfg.transport == "stdio":
            log.info("serving on stdio")
            anyio.run(server.run_stdio_async)
        else:
            anyio.run(_serve_http, server, cfg)
    finally:
        sandbox.close()


async def _serve_http(server, cfg: ServerConfig) -> None:
    import uvicorn

    app = server.streamable_http_app(
        streamable_http_path=cfg.path,
        host=cfg.host,
        # JSON escaping can grow code up to 6x; leave room so our own size check gives the message.
        max_request_body_size=max(4 * 1024 * 1024, 8 * cfg.max_code_bytes),
    )
    config = uvicorn.Config(
        app,
        host=cfg.host,
        port=cfg.port,
        log_config=None,  # uvicorn's default sends access logs to stdout; ours go to stderr
        access_log=False,
        log_level=cfg.log_level.lower(),
        lifespan="on",
    )
    log.info("serving streamable HTTP at http://%s:%d%s", cfg.host, cfg.port, cfg.path)
    await uvicorn.Server(config).serve()


def main(argv: list[str] | None = None) -> None:
    cfg = parse_args(argv)
    _configure_logging(cfg.log_level)
    try:
        serve(cfg)
    except KeyboardInterrupt:
        pass
    # Served and closed cleanly. Skip interpreter finalisation: with wasmtime 49 the WASI runtime's
    # worker threads can abort the process (a Rust panic, SIGABRT) while Python tears down, which
    # would turn a clean shutdown into a crash exit for the client that spawned us.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
