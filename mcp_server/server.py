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
"""

# No `from __future__ import annotations`: the tool signatures are built inside build_server and
# use its local settings, and the SDK evaluates annotations against module globals.
import importlib.metadata
import logging
from typing import TYPE_CHECKING, Annotated, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field, model_validator

from wasm_sandbox import ExecResult, Limits

from .runner import SandboxRunner

if TYPE_CHECKING:
    from wasm_sandbox import Sandbox

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

    max_concurrency: int = Field(default=8, ge=1, description="snippets running at once; the rest queue")
    max_code_bytes: int = Field(default=256 * 1024, ge=1, description="largest accepted `code` argument")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    @model_validator(mode="after")
    def _concurrency_fits(self) -> "ServerConfig":
        self.check_fits(running=self.max_concurrency)
        return self

    def sandbox_limits(self) -> Limits:
        """The sandbox limits these settings imply."""
        # The server refuses oversized code itself (in bytes, with its own message); characters
        # never outnumber bytes, so the sandbox's own check never fires first.
        fields = self.model_dump(include=set(Limits.model_fields)) | {"max_code_chars": self.max_code_bytes}
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
        "Pass the same session_id on later calls to keep variables, functions and imports between "
        "snippets; without one every call starts fresh. A timeout, memory trap or crash ends the "
        "session's state (the next result has session_reset=true). Print what you want to see; the "
        "last expression's value is shown too."
    )


def build_server(cfg: ServerConfig, sandbox: "Sandbox", runner: SandboxRunner | None = None) -> MCPServer:
    """Wire the three tools to `sandbox`; the caller owns (and closes) the sandbox."""
    runner = runner or SandboxRunner(cfg.max_concurrency)
    modules = tuple(sandbox.allowed_modules)
    server = MCPServer(
        name="deepmath-sandbox",
        title="DeepMath Python sandbox",
        instructions=(
            "Use run_python to compute: exact arithmetic, sympy algebra, numeric checks. "
            "Reuse a session_id to keep state across snippets."
        ),
        version=_version(),
        log_level=cfg.log_level,
    )

    async def run_python(
        code: Annotated[str, Field(description="Python source to execute")],
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

        def work(cancel):
            return sandbox.run(code, session_id=session_id, timeout_s=effective, cancel=cancel)

        result, queue_ms = await runner.run(work)
        out = RunPythonResult(**result.model_dump(), timeout_s=effective, queue_ms=round(queue_ms, 3), notice=notice)
        log.debug("run_python session=%s status=%s %.1f ms (queued %.1f ms)", session_id, out.status,
                  out.duration_ms, queue_ms)
        # The text block is exactly ExecResult.render() (the agent feeds it to its model verbatim);
        # what the server changed is reported in the structured fields (`notice`, `timeout_s`).
        return CallToolResult(
            content=[TextContent(type="text", text=out.render())],
            structured_content=out.model_dump(mode="json"),
            is_error=out.status != "ok",
        )

    async def reset_session(
        session_id: Annotated[str, Field(description="the session to clear", pattern=SESSION_ID_PATTERN)],
    ) -> SessionResetResult:
        """Forget a session's variables and free its sandbox instance.

        The next run_python call with this id starts from a fresh interpreter. Resetting an id
        that has no live session is not an error.
        """
        existed = await runner.run_short(lambda: sandbox.reset(session_id))
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
    return server
