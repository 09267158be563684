"""The code executor: the official `mcp` client talking to `deepmath-mcp` over stdio or streamable HTTP.

Why one connection for everything: an MCP session multiplexes concurrent requests by JSON-RPC id,
so a single connection serves every concurrent trajectory; the sandbox sessions (variables that
persist between one trajectory's snippets) are chosen per call by the `session_id` argument of
`run_python`, not by the MCP connection.

Failure policy: a snippet's own failure (exception, timeout, memory) is a normal result that goes
back to the model. Anything else — the server process died, the HTTP endpoint is gone, the
response is not what the tool contract says — raises `AgentError`.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import anyio
from mcp import Client, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from agent_client.interfaces import AgentError, ToolResult
from mcp_server.auth import TOKEN_ENV, load_token
from wasm_sandbox.result import STATUSES
CLOSE_TIMEOUT_S = 5.0  # closing the connection, also when the caller was cancelled
# What a spawned server must see of our environment beyond the SDK's default few (PATH, HOME, ...):
# where the snapshot cache is, thread counts, temp folder, hub/wasmtime settings. Not API keys.
CHILD_ENV_NAMES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "RAYON_NUM_THREADS",
                   "TOKENIZERS_PARALLELISM", "TMPDIR", "XDG_CACHE_HOME", "VIRTUAL_ENV", "PYTHONPATH")
CHILD_ENV_PREFIXES = ("DEEPMATH_", "WASMTIME_", "HF_")
CHILD_ENV_SECRETS = ("DEEPMATH_API_KEY", "HF_TOKEN", TOKEN_ENV)


def child_env() -> dict[str, str]:
    """The settings of this process that a spawned `deepmath-mcp` must share (see CHILD_ENV_*)."""
    return {k: v for k, v in os.environ.items()
            if (k in CHILD_ENV_NAMES or k.startswith(CHILD_ENV_PREFIXES)) and k not in CHILD_ENV_SECRETS}


class McpExecutor:
    """Use as `async with McpExecutor.stdio([...]) as ex` or `async with McpExecutor.http(url) as ex`."""

    def __init__(self, server: StdioServerParameters | str, *, call_timeout_s: float = 300.0,
                 describe: str | None = None, errlog: TextIO | None = None, token: str | None = None,
                 figures_dir: str | os.PathLike | None = None, figure_log: TextIO | None = None):
        self._server = server
        # Where the PNG images a run_python result carries are saved (None: not saved), and where
        # each saved path is announced (default: stderr). The model reads only the text.
        self.figures_dir = Path(figures_dir) if figures_dir is not None else None
        self.figure_log = figure_log
        self._figure_count = 0
        self._token = token  # HTTP only: sent as `Authorization: Bearer <token>`
        self.call_timeout_s = call_timeout_s
        self.describe = describe or (server if isinstance(server, str) else shlex.join([server.command, *server.args]))
        self.errlog = errlog  # where a stdio server's stderr goes (default: ours)
        self._client: Client | None = None

    # -- construction -------------------------------------------------------------------------------
    @classmethod
    def stdio(cls, command: Sequence[str] | str = ("deepmath-mcp",), *, env: dict[str, str] | None = None,
              cwd: str | None = None, **kw: Any) -> McpExecutor:
        """Spawn the server as a subprocess and speak MCP over its stdin/stdout.

        `errlog=` (a text file) receives the server's stderr instead of this process's stderr. The
        server's environment is the SDK's safe default plus `child_env()` plus `env`."""
        argv = shlex.split(command) if isinstance(command, str) else list(command)
        if not argv:
            raise ValueError("empty MCP server command")
        return cls(StdioServerParameters(command=argv[0], args=argv[1:], env=child_env() | (env or {}), cwd=cwd),
                   **kw)

    @classmethod
    def http(cls, url: str = "http://127.0.0.1:8765/mcp", *, token_file: str | os.PathLike | None = None,
             **kw: Any) -> McpExecutor:
        """Connect to a running server's streamable HTTP endpoint.

        The bearer token, if the server wants one, is read the way the server reads its own
        (`mcp_server.auth.load_token`): the first line of `token_file`, else `$DEEPMATH_MCP_TOKEN`."""
        return cls(url, token=load_token(Path(token_file) if token_file else None, flag="token_file"), **kw)

    async def __aenter__(self) -> McpExecutor:
        self._closing = anyio.Event()
        self._dead = anyio.Event()
        self._error: BaseException | None = None
        self._scopes: set[anyio.CancelScope] = set()
        tg = anyio.create_task_group()
        await tg.__aenter__()
        try:
            await tg.start(self._own_connection)
        except BaseException as exc:
            self._closing.set()
            try:
                await tg.__aexit__(type(exc), exc, exc.__traceback__)
            except BaseException:  # noqa: BLE001 - the group re-raises the start failure; reported below
                pass
            if isinstance(exc, Exception):
                leaf = _leaf(exc)
                raise AgentError(f"could not connect to the MCP server ({self.describe}): "
                                 f"{type(leaf).__name__}: {leaf}") from exc
            raise
        self._tg = tg  # set only once connected: __aexit__ after a failed start has nothing to close
        return self

    async def _own_connection(self, *, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        """Hold the MCP connection in a task of its own.

        Why: the SDK runs its transport in a task group; when the server dies, that group fails and
        cancels the task that entered it. Entered here, the failure ends only this task: it is
        recorded, in-flight calls are cancelled and turned into AgentError, and the trajectories'
        tasks are never cancelled from under them."""
        started = False
        # Shielded once connected: a cancelled caller (Ctrl-C) still closes the connection properly (the
        # stdio server is stopped, the HTTP session deleted); __aexit__ bounds that with a deadline.
        with anyio.CancelScope() as self._shield:
            try:
                target: Any = self._server
                http = None
                if isinstance(target, StdioServerParameters):  # a Transport: Client enters it
                    # (the SDK's default errlog is the sys.stderr of when mcp was imported, maybe closed since)
                    target = stdio_client(target, errlog=self.errlog or sys.stderr)
                elif self._token is not None:  # the SDK's own HTTP client settings, plus the header
                    http = create_mcp_http_client(headers={"Authorization": f"Bearer {self._token}"})
                    target = streamable_http_client(target, http_client=http)
                async with http or contextlib.nullcontext(), \
                        Client(target, mode="legacy", read_timeout_seconds=self.call_timeout_s) as client:
                    self._client = client
                    started = True
                    self._shield.shield = True
                    task_status.started()
                    await self._closing.wait()
            except Exception as exc:
                if not started:
                    raise
                self._error = exc
            finally:
                self._client = None
                self._dead.set()
                for scope in list(self._scopes):
                    scope.cancel()

    async def __aexit__(self, *exc: object) -> None:
        tg, self._tg = getattr(self, "_tg", None), None
        if tg is not None:
            self._closing.set()
            self._shield.deadline = anyio.current_time() + CLOSE_TIMEOUT_S
            await tg.__aexit__(None, None, None)

    # -- calls --------------------------------------------------------------------------------------
    def _lost(self) -> AgentError:
        err = self._error
        detail = f": {type(err).__name__}: {_first_leaf(err)}" if err is not None else ""
        return AgentError(f"the MCP connection to {self.describe} was lost{detail}")

    async def _call(self, tool: str, args: dict[str, Any]) -> Any:
        client = self._client
        if self._dead.is_set() or client is None:
            raise self._lost() if self._dead.is_set() else AgentError("McpExecutor used outside `async with`")
        with anyio.CancelScope() as scope:
            self._scopes.add(scope)
            try:
                with anyio.fail_after(self.call_timeout_s):
                    return await client.call_tool(tool, args)
            except TimeoutError as exc:
                raise AgentError(f"MCP server ({self.describe}) did not answer {tool} within "
                                 f"{self.call_timeout_s}s") from exc
            except Exception as exc:
                raise AgentError(f"MCP call {tool} failed ({self.describe}): {type(exc).__name__}: {exc}") from exc
            finally:
                self._scopes.discard(scope)
        raise self._lost()  # the connection task cancelled this call: the server is gone

    async def run(self, code: str, session_id: str, timeout_s: float | None = None) -> ToolResult:
        """Run a snippet in the given sandbox session. Snippet failures come back as results."""
        args: dict[str, Any] = {"code": code, "session_id": session_id}
        if timeout_s is not None:
            args["timeout_s"] = timeout_s
        t0 = time.perf_counter()
        res = await self._call("run_python", args)
        latency_ms = (time.perf_counter() - t0) * 1000
        structured = res.structured_content
        # the server's text content is ExecResult.render(), exactly what the model must read
        text = "".join(getattr(c, "text", "") for c in (res.content or []))
        if structured is None or structured.get("status") not in STATUSES:
            # isError without an ExecResult = the server itself failed (bad arguments, internal error)
            raise AgentError(f"run_python returned no ExecResult ({self.describe}): {text[:300]!r}")
        if self.figures_dir is not None:
            self._save_figures(res.content or [], structured, session_id)
        return ToolResult(status=structured["status"], text=text,
                          latency_ms=latency_ms, result=structured)

    def _save_figures(self, content: list[Any], structured: dict[str, Any], session_id: str) -> None:
        """Save the result's PNG image blocks to `figures_dir`, record each path in the structured
        result's `figures` (same order) and announce it on `figure_log`."""
        images = [c for c in content if getattr(c, "type", None) == "image" and c.mime_type == "image/png"]
        if not images:
            return
        self.figures_dir.mkdir(parents=True, exist_ok=True)
        meta = structured.get("figures") or []
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in session_id)[:64]
        for k, block in enumerate(images):
            self._figure_count += 1
            path = self.figures_dir / f"{safe}-{self._figure_count}.png"
            path.write_bytes(base64.b64decode(block.data, validate=True))
            if k < len(meta) and isinstance(meta[k], dict):
                meta[k]["path"] = str(path)
            print(f"figure saved: {path}", file=self.figure_log or sys.stderr, flush=True)

    async def reset_session(self, session_id: str) -> None:
        res = await self._call("reset_session", {"session_id": session_id})
        if res.is_error:
            text = "".join(getattr(c, "text", "") for c in (res.content or []))
            raise AgentError(f"reset_session failed ({self.describe}): {text[:300]}")

    async def list_allowed_modules(self) -> list[str]:
        res = await self._call("list_allowed_modules", {})
        s = res.structured_content
        if isinstance(s, dict) and "result" in s:
            s = s["result"]
        if isinstance(s, list):
            return [str(m) for m in s]
        text = "".join(getattr(c, "text", "") for c in (res.content or []))
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise AgentError(f"list_allowed_modules returned {text[:200]!r}") from exc
        return [str(m) for m in value]



def _leaf(exc: BaseException) -> BaseException:
    """The first concrete error inside (possibly nested) exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _first_leaf(exc: BaseException | None) -> str:
    """The first concrete error's message, for messages."""
    return f"{_leaf(exc)}" if exc is not None else ""
