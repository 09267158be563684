"""DeepMath: the WebAssembly Python sandbox as an MCP server (`deepmath-mcp`).

`build_server(config, sandbox)` returns an SDK `MCPServer` with the tools `run_python`,
`reset_session` and `list_allowed_modules`; `build_app` adds what the transports need (the runner,
the per-client session table); `mcp_server.cli` runs it on stdio or streamable HTTP.

The names are imported on first use: the agent client reads `mcp_server.auth` (how a token is
found) in environments without wasmtime, such as the vLLM one.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOME = {"SandboxRunner": "runner", "App": "server", "RunPythonResult": "server", "ServerConfig": "server",
         "SessionResetResult": "server", "build_app": "server", "build_server": "server"}
__all__ = ["App", "ServerConfig", "SandboxRunner", "RunPythonResult", "SessionResetResult", "build_app", "build_server"]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
