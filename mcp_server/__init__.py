"""DeepMath: the WebAssembly Python sandbox as an MCP server (`deepmath-mcp`).

`build_server(config, sandbox)` returns an SDK `MCPServer` with the tools `run_python`,
`reset_session` and `list_allowed_modules`; `build_app` adds what the transports need (the runner,
the per-client session table); `mcp_server.cli` runs it on stdio or streamable HTTP.
"""

from .runner import SandboxRunner
from .server import App, RunPythonResult, ServerConfig, SessionResetResult, build_app, build_server

__all__ = ["App", "ServerConfig", "SandboxRunner", "RunPythonResult", "SessionResetResult", "build_app", "build_server"]
