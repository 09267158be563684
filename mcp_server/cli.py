"""`deepmath-mcp`: serve the sandbox over MCP on stdio (default) or streamable HTTP.

Why the care with stdout: under stdio the process's stdout *is* the protocol channel, so a stray
print (a progress message while the sandbox snapshot is built, a library warning) corrupts the
session. Logging goes to stderr; the sandbox is prepared in the background only once the server
runs (`startup.py`), when the SDK's stdio transport has already pointed file descriptor 1 at
stderr and keeps its own private duplicate of the real stdout for protocol frames.

Usage errors (bad values, an unreadable token file, a public `--host` without a token) are one
line on stderr and exit status 2, before anything is started.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import sys
from pathlib import Path

import anyio

from wasm_sandbox.cache import CACHE_ENV
from wasm_sandbox.cli import add_limit_flag, add_modules_flag
from wasm_sandbox.version import add_version

from .auth import TOKEN_ENV, check_exposure, load_token
from .server import ServerConfig

log = logging.getLogger("deepmath.mcp")


def parse_args(argv: list[str] | None = None) -> tuple[ServerConfig, str | None]:
    """The settings and, for HTTP, the bearer token (None: no auth)."""
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
                   help="live sessions kept over all clients; when all are held, a client's new one "
                   "replaces its own oldest, or is refused if it holds none (default %(default)s)")
    p.add_argument("--max-sessions-per-client", type=int, default=None,
                   help="live sessions one client keeps, its least recently used evicted (default: all on "
                   "stdio, a quarter of --max-sessions over HTTP)")
    p.add_argument("--session-idle", type=float, default=d.session_idle_s, dest="session_idle_s",
                   help="seconds before an idle session is dropped (default %(default)s)")
    add_limit_flag(p, "--memory-budget-mb", "memory_budget_mb")
    add_modules_flag(p)
    p.add_argument("--max-concurrency", type=int, default=d.max_concurrency,
                   help="snippets running at once; further calls queue, fairly between clients "
                   "(default %(default)s)")
    p.add_argument("--max-concurrency-per-client", type=int, default=None,
                   help="snippets one client runs at once (default: all on stdio, half of "
                   "--max-concurrency over HTTP)")
    p.add_argument("--max-code-bytes", type=int, default=d.max_code_bytes,
                   help="largest accepted snippet in bytes (default %(default)s)")
    p.add_argument("--auth-token-file", type=Path, default=None,
                   help=f"HTTP: require 'Authorization: Bearer <token>', the token being this file's first "
                   f"line (or set ${TOKEN_ENV}); required for a non-loopback --host")
    p.add_argument("--allow-unauthenticated", action="store_true",
                   help="HTTP: serve a non-loopback --host without a token (anyone who reaches it runs code)")
    p.add_argument("--cache-dir", type=Path, default=None,
                   help="where the compiled sandbox snapshot is kept (same as $DEEPMATH_CACHE, default "
                   "~/.cache/deepmath); MCP clients pass few environment variables to a server they "
                   "start, so put it in the client's `args`")
    p.add_argument("--log-level", default=d.log_level,
                   choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], help="stderr log level")
    ns = p.parse_args(argv)
    cache_dir = ns.__dict__.pop("cache_dir")
    if cache_dir is not None:  # read by wasm_sandbox.cache.cache_dir(), in this process and its builds
        os.environ[CACHE_ENV] = str(cache_dir.expanduser().absolute())
    try:
        cfg = ServerConfig(**vars(ns))
        token = load_token(cfg.auth_token_file) if cfg.transport == "http" else None
        if cfg.transport == "http":
            check_exposure(cfg.host, token, cfg.allow_unauthenticated)
    except ValueError as e:  # pydantic ValidationError, AuthConfigError: report like an argparse error
        p.error(str(e))
        raise  # unreachable: p.error exits
    return cfg, token


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


def _have_uvloop() -> bool:
    """uvloop (a libuv event loop) when installed: HTTP serving spends much of its time in the
    event loop's own bookkeeping. Not on stdio, whose reader is a thread either way."""
    return importlib.util.find_spec("uvloop") is not None


def serve(cfg: ServerConfig, token: str | None = None) -> None:
    """Serve until the transport closes (stdio EOF) or SIGINT/SIGTERM; the sandbox is built meanwhile."""
    from .auth import StaticTokenVerifier, auth_settings
    from .server import build_app
    from .startup import SandboxStartup
    from .transports import serve_http, serve_stdio

    startup = SandboxStartup(cfg.sandbox_limits())
    auth = {} if token is None else {"token_verifier": StaticTokenVerifier(token),
                                     "auth": auth_settings(cfg.host, cfg.port)}
    app = build_app(cfg, startup, **auth)
    # MCPServer configures the root logger with its own (rich) handler; keep ours, plain stderr.
    _configure_logging(cfg.log_level)
    try:
        if cfg.transport == "stdio":
            anyio.run(serve_stdio, app)
        else:
            anyio.run(serve_http, app, cfg, backend_options={"use_uvloop": _have_uvloop()})
    finally:
        startup.close()


def main(argv: list[str] | None = None) -> None:
    from wasm_sandbox.runtime import hard_exit

    cfg, token = parse_args(argv)
    _configure_logging(cfg.log_level)
    try:
        serve(cfg, token)
    except KeyboardInterrupt:
        pass
    logging.shutdown()
    hard_exit(0)  # served and closed cleanly; see hard_exit for why not a normal interpreter exit


if __name__ == "__main__":
    main()
