"""What the agent loop needs from a code executor, independent of the transport.

Why a protocol and not the MCP client directly: the loop's logic (stop rules, budgets, masks)
is the same whichever way a snippet reaches the sandbox; `McpExecutor` is the implementation,
and the loop only ever sees `ToolResult`.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from agent_client.trajectory import ToolStatus


class ToolResult(BaseModel):
    """One snippet's outcome as the loop uses it."""

    status: ToolStatus
    text: str = Field(description="what the model reads (ExecResult.render())")
    latency_ms: float = Field(description="client-side round trip for the tool call")
    result: dict[str, Any] | None = Field(default=None, description="the structured ExecResult, if sent")


@runtime_checkable
class ToolExecutor(Protocol):
    """Runs snippets in per-trajectory sessions. Raises AgentError when the executor is gone."""

    async def run(self, code: str, session_id: str, timeout_s: float | None = None) -> ToolResult: ...

    async def reset_session(self, session_id: str) -> None: ...
