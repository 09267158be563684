"""DeepMath's agent client: the tool-using loop over a model backend and the MCP sandbox server.

Public API (see docs/agent.md): `Agent`, `AgentConfig`, `Trajectory`, `Segment`, `McpExecutor`,
`OpenAIBackend`, `LocalBackend`, `Backend`, `Generation`, `extract_answer`, `load_prompt`,
`AgentError`. Importing the package does not import torch; `LocalBackend` does when it loads.
"""

from agent_client.agent import Agent, AgentConfig
from agent_client.answer import extract_answer
from agent_client.interfaces import AgentError, Backend, Generation, ToolExecutor, ToolResult
from agent_client.local_backend import LocalBackend
from agent_client.mcp_executor import McpExecutor
from agent_client.openai_backend import OpenAIBackend
from agent_client.prompt import Prompt, load_prompt
from agent_client.trajectory import Segment, Trajectory

__all__ = ["Agent", "AgentConfig", "AgentError", "Backend", "Generation", "LocalBackend", "McpExecutor",
           "OpenAIBackend", "Prompt", "Segment", "ToolExecutor", "ToolResult", "Trajectory", "extract_answer",
           "load_prompt"]
