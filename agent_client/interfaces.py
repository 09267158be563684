"""The interfaces the agent loop talks through: a model backend, a code executor, and the one error type.

Why token ids in and out: the loop keeps the trajectory as a single token sequence and sends it
back verbatim at every step, so what the model was conditioned on, what eval scores and what the
trainer back-propagates through are the same tokens. Re-tokenizing decoded text would silently
change that sequence (BPE merges across segment boundaries), so a backend must return the ids
it sampled.

Why an executor protocol: the loop's logic (stop rules, budgets, masks) is the same whichever way
a snippet reaches the sandbox; `McpExecutor` is the implementation, the loop only sees `ToolResult`.

Why a dedicated error: a dead model endpoint or a dead MCP server must never turn into a plausible
looking trajectory (a canned answer, an empty completion). Callers — eval, train, the CLI — catch
`AgentError` to count or report the failure; snippet errors and timeouts are *not* AgentErrors,
they go back to the model as output text.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field, model_validator

from agent_client.trajectory import ToolStatus

BackendFinish = Literal["stop", "length", "eos"]


class AgentError(RuntimeError):
    """The model endpoint or the tool server failed; the trajectory cannot continue."""


class Generation(BaseModel):
    """One continuation of a token-id prompt.

    finish_reason: "stop" = a stop string matched (`stop_reason` says which; the tokens include
    it), "eos" = the model emitted an end-of-sequence token, "length" = `max_tokens` ran out.
    """

    token_ids: list[int]
    logprobs: list[float] | None = Field(default=None, description="log p of each sampled token")
    text: str = ""
    finish_reason: BackendFinish
    stop_reason: str | None = None

    @model_validator(mode="after")
    def _aligned(self) -> Generation:
        if self.logprobs is not None and len(self.logprobs) != len(self.token_ids):
            raise ValueError(f"{len(self.logprobs)} logprobs for {len(self.token_ids)} tokens")
        return self


@runtime_checkable
class Backend(Protocol):
    """Anything that continues a token-id prompt. Implementations: OpenAIBackend, LocalBackend.

    Must be safe to call from many concurrent tasks; raises AgentError when the model endpoint
    is unreachable or misbehaves (never returns a made-up Generation)."""

    async def generate(self, prompt_ids: list[int], *, max_tokens: int, temperature: float,
                       top_p: float, stop: list[str], seed: int | None = None) -> Generation: ...


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
