"""DeepMath: the WebAssembly Python sandbox as an MCP server (`deepmath-mcp`).

`build_server(config, sandbox)` returns an SDK `MCPServer` with the tools `run_python`,
`reset_session` and `list_allowed_modules`; `mcp_server.cli` runs it on stdio or streamable HTTP.
"""

from .runner import SandboxRunner
from .server import RunPythonResult, ServerConfig, SessionResetResult, build_server

__all__ = ["ServerConfig", "SandboxRunner", "RunPythonResult", "SessionResetResult", "build_server"]
