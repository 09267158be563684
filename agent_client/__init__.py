"""DeepMath's agent client: the tool-using loop over a model backend and the MCP sandbox server.

Public API (see docs/agent.md): `Agent`, `AgentConfig`, `Trajectory`, `Segment`, `McpExecutor`,
`OpenAIBackend`, `LocalBackend`, `Backend`, `Generation`, `extract_answer`, `load_prompt`,
`AgentError`. Names are imported on first use (module `__getattr__`), so `import agent_client`
stays cheap and pulls in neither the MCP SDK, aiohttp nor torch until the piece that needs them
is touched.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_HOME = {
    "Agent": "agent", "AgentConfig": "agent",
    "extract_answer": "answer",
    "AgentError": "interfaces", "Backend": "interfaces", "Generation": "interfaces",
    "ToolExecutor": "interfaces", "ToolResult": "interfaces",
    "LocalBackend": "local_backend",
    "McpExecutor": "mcp_executor",
    "OpenAIBackend": "openai_backend",
    "Prompt": "prompt", "load_prompt": "prompt",
    "Segment": "trajectory", "Trajectory": "trajectory",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return list(__all__)


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from agent_client.agent import Agent, AgentConfig
    from agent_client.answer import extract_answer
    from agent_client.interfaces import AgentError, Backend, Generation, ToolExecutor, ToolResult
    from agent_client.local_backend import LocalBackend
    from agent_client.mcp_executor import McpExecutor
    from agent_client.openai_backend import OpenAIBackend
    from agent_client.prompt import Prompt, load_prompt
    from agent_client.trajectory import Segment, Trajectory
