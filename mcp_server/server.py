"""The MCP surface of the sandbox: three tools on the SDK's high-level `MCPServer`.

Why these shapes:
- `run_python` returns the sandbox's own `ExecResult` (plus what only the server knows: the
  deadline it actually applied, the time it waited for a slot, a note when it clamped the request)
  as structured content, so clients get a typed, schema-described result. The text block is the
  same rendering the agent shows its model, for clients that ignore structured output. A snippet
  that failed is a *tool* error (`isError`), not a protocol error: the model should read it and
  fix its code.
- Bad requests (oversized code, wrong types, an unknown tool) come back as `isError` results with a
  message a model can act on; the SDK validates arguments against the published input schema.
- The descriptions tell a model what it can use (the allow-listed modules, the limits, that a
  session keeps its variables), because that is all it knows about the tool.
- Sessions and slots belong to clients (`clients.py`, `runner.py`): a `session_id` names a session
  of the calling client only, and one client's calls cannot take every slot.
"""

# No `from __future__ import annotations`: the tool signatures are built inside build_server and
# use its local settings, and the SDK evaluates annotations against module globals.
import base64
import contextlib
import importlib.metadata
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ImageContent, TextContent, ToolAnnotations
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from pydantic import BaseModel, Field, model_validator

from wasm_sandbox import ExecResult, Limits, Sandbox
from wasm_sandbox.policy import PROFILES

from .clients import ClientGone, SessionsFull, SessionTable, client_of, until_disconnect
from .runner import RunnerClosed, SandboxRunner
from .startup import SandboxStartup, SandboxUnavailable

if TYPE_CHECKING:
    from mcp.server.auth.provider import TokenVerifier

log = logging.getLogger("deepmath.mcp")

SESSION_ID_PATTERN = r"^[A-Za-z0-9._:@\-]{1,128}$"


# -- settings ------------------------------------------------------------------------------------
# One validated object for the limits: they appear in the sandbox's `Limits`, in the tool descriptions
# a model reads and in the published input schema, and must agree. The CLI, the tests and the
# benchmark all build servers from it.

Transport = Literal["stdio", "http"]


class ServerConfig(Limits):
    """Everything `deepmath-mcp` can be told on its command line: the sandbox's `Limits` (declared
    there, with their validation) plus the server's own settings."""

    transport: Transport = "stdio"
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    path: str = Field(default="/mcp", description="HTTP endpoint path for streamable HTTP")

    max_sessions_per_client: int | None = Field(
        default=None, ge=1, description="live sessions one client keeps; its least recently used is evicted "
        "(default: all of max_sessions on stdio, a quarter over HTTP)")
    max_concurrency: int = Field(default=8, ge=1, description="snippets running at once; the rest queue")
    max_concurrency_per_client: int | None = Field(
        default=None, ge=1, description="snippets one client runs at once "
        "(default: all of max_concurrency on stdio, half over HTTP)")
    max_code_bytes: int = Field(default=256 * 1024, ge=1, description="largest accepted `code` argument")
    auth_token_file: Path | None = Field(default=None, description="HTTP: file whose first line is the bearer token")
    allow_unauthenticated: bool = Field(default=False, description="HTTP: serve a non-loopback host without a token")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    @model_validator(mode="after")
    def _concurrency_fits(self) -> "ServerConfig":
        self.check_fits(running=self.max_concurrency)
        return self

    # Per-client shares only matter when there can be more than one client (not on stdio).
    @property
    def sessions_per_client(self) -> int:
        share = self.max_sessions if self.transport == "stdio" else max(1, self.max_sessions // 4)
        return min(self.max_sessions_per_client or share, self.max_sessions)

    @property
    def concurrency_per_client(self) -> int:
        share = self.max_concurrency if self.transport == "stdio" else max(1, self.max_concurrency // 2)
        return min(self.max_concurrency_per_client or share, self.max_concurrency)

    def sandbox_limits(self) -> Limits:
        """The sandbox limits these settings imply.

        The server's `SessionTable` ends sessions (per client, at `session_idle_s`); the sandbox
        gets room for exactly `max_sessions` and twice the idle time, so its own LRU eviction
        and idle expiry never act first."""
        # The server refuses oversized code itself (in bytes, with its own message); characters
        # never outnumber bytes, so the sandbox's own check never fires first.
        fields = self.model_dump(include=set(Limits.model_fields)) | {"max_code_chars": self.max_code_bytes,
                                                                      "session_idle_s": 2 * self.session_idle_s}
        return Limits(**fields)


class RunPythonResult(ExecResult):
    """An `ExecResult` plus what the server decided about the call."""

    timeout_s: float = Field(description="the wall-time deadline this snippet ran under (after clamping)")
    queue_ms: float = Field(default=0.0, description="time spent waiting for a free sandbox slot")
    notice: str | None = Field(default=None, description="what the server changed in the request, if anything")


class SessionResetResult(BaseModel):
    """Outcome of `reset_session`."""

    session_id: str
    existed: bool = Field(description="whether the id had live state that was dropped")


def _version() -> str:
    try:
        return importlib.metadata.version("deepmath")
    except importlib.metadata.PackageNotFoundError:
        return "0"


def _run_python_description(cfg: ServerConfig, modules: tuple[str, ...]) -> str:
    return (
        "Run a Python 3 snippet in an isolated WebAssembly sandbox (CPython for WASI under wasmtime) "
        "and return its stdout, the repr of its last expression, or the error with a traceback.\n"
        f"Importable modules: {', '.join(modules)}. No files, network or subprocesses.\n"
        f"Limits: {cfg.timeout_s:g} s wall time per call (timeout_s may lower it; higher values are "
        f"clamped), {cfg.memory_mb} MB memory, {cfg.max_output_chars} characters per output stream "
        f"(the middle is cut), code up to {cfg.max_code_bytes} bytes.\n"
        + (f"Plots: matplotlib (Agg) figures left open at the end of a snippet come back as PNG images "
           f"(at most {cfg.max_figures} per call, {cfg.max_figure_px} pixels a side, {cfg.max_figure_bytes} bytes "
           "each), in order after the text; the text says [figure N: WxH PNG].\n" if cfg.modules == "plot" else "")
        + "Pass the same session_id on later calls to keep variables, functions and imports between "
        "snippets; without one every call starts fresh. A timeout, memory trap or crash ends the "
        "session's state (the next result has session_reset=true). Print what you want to see; the "
        "last expression's value is shown too."
    )


def _initialize_era_discover():
    """SDK middleware: answer `server/discover` with the initialize-era protocol versions only.

    Why: over HTTP sandbox sessions are kept per MCP session (see `clients.py`); a 2026-era client
    in "auto" mode reads this as a legacy advertisement and opens a session with `initialize`.
    Not on stdio: there the one client is the identity, and a connection that answered discover
    is locked to the 2026 era (initialize would be refused)."""

    async def middleware(ctx, call_next):
        result = await call_next(ctx)
        if ctx.method == "server/discover" and isinstance(result, dict):
            result = {**result, "supportedVersions": list(HANDSHAKE_PROTOCOL_VERSIONS)}
        return result

    return middleware


@contextlib.asynccontextmanager
async def _start_sandbox(startup: SandboxStartup, _server):
    startup.start()  # in a thread; the transport (and under stdio, stdout) is ours by now
    yield {}


def _reset_on(sandbox: Sandbox | None, sid: str) -> bool:
    return sandbox is not None and sandbox.reset(sid)


@dataclass
class App:
    """The MCP server and the parts the transports need: the runner (shutdown cancels its calls)
    and the session table (a client's sessions go when its MCP session ends)."""

    server: MCPServer
    runner: SandboxRunner
    sessions: SessionTable
    startup: SandboxStartup


def build_server(cfg: ServerConfig, sandbox: Sandbox | SandboxStartup, runner: SandboxRunner | None = None) -> MCPServer:
    """The MCP server alone, with the three tools wired to `sandbox` (see `build_app`)."""
    return build_app(cfg, sandbox, runner).server


def build_app(cfg: ServerConfig, sandbox: Sandbox | SandboxStartup, runner: SandboxRunner | None = None,
              token_verifier: "TokenVerifier | None" = None, auth: Any = None) -> App:
    """Wire the three tools to `sandbox` (built, or being built by a `SandboxStartup`).

    The caller owns (and closes) the sandbox. `token_verifier` and `auth` (SDK `AuthSettings`)
    turn on bearer-token checks for HTTP."""
    startup = sandbox if isinstance(sandbox, SandboxStartup) else SandboxStartup.ready(sandbox)
    runner = runner or SandboxRunner(cfg.max_concurrency, cfg.concurrency_per_client)
    table = SessionTable(lambda sid: _reset_on(startup.current, sid), max_sessions=cfg.max_sessions,
                         per_client=cfg.sessions_per_client, idle_s=cfg.session_idle_s)
    modules = PROFILES[cfg.modules]
    server = MCPServer(
        name="deepmath-sandbox",
        title="DeepMath Python sandbox",
        instructions=(
            "Use run_python to compute: exact arithmetic, sympy algebra, numeric checks. "
            "Reuse a session_id to keep state across snippets."
        ),
        version=_version(),
        log_level=cfg.log_level,
        lifespan=lambda s: _start_sandbox(startup, s),
        middleware=[_initialize_era_discover()] if cfg.transport == "http" else [],
        token_verifier=token_verifier,
        auth=auth,
    )

    def client(ctx: Context) -> str | None:
        rc = ctx.request_context
        return client_of(cfg.transport, rc.protocol_version, ctx.headers)

    async def sandbox_for(ctx: Context) -> Sandbox:
        try:
            return await startup.get(ctx)
        except SandboxUnavailable as e:
            raise ToolError(str(e)) from None

    async def run_python(
        code: Annotated[str, Field(description="Python source to execute")],
        ctx: Context,
        session_id: Annotated[
            str | None,
            Field(
                description="keep state across calls under this id (a new id starts a new session)",
                pattern=SESSION_ID_PATTERN,
            ),
        ] = None,
        timeout_s: Annotated[
            float | None,
            Field(gt=0, description=f"wall-time limit in seconds (at most {cfg.timeout_s:g}; default that)"),
        ] = None,
    ) -> Annotated[CallToolResult, RunPythonResult]:
        size = len(code.encode("utf-8", errors="surrogatepass"))
        if size > cfg.max_code_bytes:
            raise ToolError(
                f"code is {size} bytes; the limit is {cfg.max_code_bytes} bytes. Send a shorter snippet."
            )
        notice = None
        effective = cfg.timeout_s if timeout_s is None else timeout_s
        if effective > cfg.timeout_s:
            notice = f"timeout_s={timeout_s:g} exceeds the server maximum; clamped to {cfg.timeout_s:g} s."
            effective = cfg.timeout_s
        who = client(ctx)
        sb = await sandbox_for(ctx)
        sid, lost = None, False
        if session_id is not None:
            if who is None:
                raise ToolError(
                    "session_id needs a client identity: connect with an MCP session (initialize) or a "
                    "bearer token; without session_id every call runs in a fresh interpreter"
                )
            try:
                sid, lost = table.use(who, session_id)
            except SessionsFull as e:
                raise ToolError(str(e)) from None

        def work(cancel):
            return sb.run(code, session_id=sid, timeout_s=effective, cancel=cancel)

        try:
            result, queue_ms = await until_disconnect(
                ctx.request_context.request, lambda: runner.run(work, client=who or ""))
        except (RunnerClosed, ClientGone) as e:
            raise ToolError(str(e)) from None
        finally:
            if sid is not None:
                table.touch(who, session_id)
        fields = result.model_dump()
        fields["session_reset"] = fields["session_reset"] or lost
        out = RunPythonResult(**fields, timeout_s=effective, queue_ms=round(queue_ms, 3), notice=notice)
        log.debug("run_python client=%s session=%s status=%s %.1f ms (queued %.1f ms)", who, session_id,
                  out.status, out.duration_ms, queue_ms)
        # The text block is exactly ExecResult.render() (the agent feeds it to its model verbatim);
        # what the server changed is reported in the structured fields (`notice`, `timeout_s`).
        images = [ImageContent(type="image", data=base64.b64encode(f.data).decode("ascii"), mime_type="image/png")
                  for f in result.figures]
        return CallToolResult(
            content=[TextContent(type="text", text=out.render()), *images],
            structured_content=out.model_dump(mode="json"),
            is_error=out.status != "ok",
        )

    async def reset_session(
        session_id: Annotated[str, Field(description="the session to clear", pattern=SESSION_ID_PATTERN)],
        ctx: Context,
    ) -> SessionResetResult:
        """Forget a session's variables and free its sandbox instance.

        The next run_python call with this id starts from a fresh interpreter. Resetting an id
        that has no live session is not an error.
        """
        who = client(ctx)
        await sandbox_for(ctx)
        existed = who is not None and table.reset(who, session_id)
        return SessionResetResult(session_id=session_id, existed=bool(existed))

    def list_allowed_modules() -> Annotated[CallToolResult, list[str]]:
        """The modules a run_python snippet may import; any other import raises ImportError."""
        return CallToolResult(
            content=[TextContent(type="text", text=", ".join(modules))],
            structured_content={"result": list(modules)},
        )

    server.add_tool(
        run_python,
        title="Run Python in a WebAssembly sandbox",
        description=_run_python_description(cfg, modules),
        annotations=ToolAnnotations(
            title="Run Python in a WebAssembly sandbox",
            read_only_hint=True,
            destructive_hint=False,
            idempotent_hint=False,
            open_world_hint=False,
        ),
    )
    server.add_tool(
        reset_session,
        title="Reset a sandbox session",
        annotations=ToolAnnotations(
            title="Reset a sandbox session",
            read_only_hint=False,
            destructive_hint=True,
            idempotent_hint=True,
            open_world_hint=False,
        ),
    )
    server.add_tool(
        list_allowed_modules,
        title="List importable modules",
        annotations=ToolAnnotations(
            title="List importable modules",
            read_only_hint=True,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=False,
        ),
    )
    return App(server=server, runner=runner, sessions=table, startup=startup)
