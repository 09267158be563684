"""The typed record of one agent run: one token sequence plus the human-readable view of it.

Why one sequence: generation, evaluation and training must see the same tokens. `prompt_ids`
followed by `completion_ids` is exactly what the model was conditioned on at the last step;
`mask` says which completion tokens the model produced (1) and which the tool inserted (0), so a
trainer can multiply it into the loss mask (TRL's `env_mask`). `segments` is the same run cut into
prose, code and tool results for display and analysis; it is derived from the tokens, never the
other way round.

The counts (`model_tokens`, `tool_tokens`, `tool_calls`, `tool_errors`) and `ran_code` are computed
from `mask` and `segments` on access, so they cannot drift from them; they are still written out
when a trajectory is serialised (pydantic computed fields) and ignored when one is read back.
`completion_text` is stored: decoding needs the tokenizer, which the record does not carry.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, computed_field, model_validator

SegmentKind = Literal["text", "code", "tool"]
FinishReason = Literal["answer", "eos", "max_steps", "budget", "error"]
from wasm_sandbox.result import Status as ToolStatus  # noqa: E402  (the one declaration of the set)


class Segment(BaseModel):
    """One piece of the completion: model prose, a model-written snippet, or a tool result."""

    kind: SegmentKind
    text: str
    status: ToolStatus | None = Field(default=None, description="tool segments: the snippet's status")
    latency_ms: float | None = Field(default=None, description="tool segments: MCP round trip in ms")


class Trajectory(BaseModel):
    """One problem, one run of the loop."""

    problem: str
    prompt_ids: list[int]
    completion_ids: list[int] = Field(default_factory=list)
    mask: list[int] = Field(default_factory=list, description="1 = model token, 0 = tool output; per completion id")
    logprobs: list[float] | None = Field(
        default=None, description="per completion id; 0.0 on tool tokens; None if the backend gave none")
    segments: list[Segment] = Field(default_factory=list)
    answer: str | None = Field(default=None, description="final \\boxed{} (with boxes stated together) after </think>, else anywhere")
    finish_reason: FinishReason = "error"
    timings: dict[str, float] = Field(default_factory=lambda: {"wall_s": 0.0, "model_s": 0.0, "tool_s": 0.0})
    prompt_version: str = ""
    completion_text: str = Field(default="", description="the completion ids decoded (special tokens kept)")

    @model_validator(mode="after")
    def _aligned(self) -> Trajectory:
        n = len(self.completion_ids)
        if len(self.mask) != n:
            raise ValueError(f"mask has {len(self.mask)} entries for {n} completion ids")
        if self.logprobs is not None and len(self.logprobs) != n:
            raise ValueError(f"logprobs has {len(self.logprobs)} entries for {n} completion ids")
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def model_tokens(self) -> int:
        """Completion tokens the model generated (mask 1)."""
        return sum(self.mask)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def tool_tokens(self) -> int:
        """Completion tokens the tool output inserted (mask 0)."""
        return len(self.mask) - sum(self.mask)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def tool_calls(self) -> int:
        """Tool results in the run (one per executed or refused call)."""
        return sum(s.kind == "tool" for s in self.segments)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def tool_errors(self) -> int:
        """Tool calls whose status != ok."""
        return sum(s.kind == "tool" and s.status != "ok" for s in self.segments)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ran_code(self) -> bool:
        """At least one snippet ran in the sandbox with status ok (what the code-use reward pays for)."""
        return any(s.kind == "tool" and s.status == "ok" for s in self.segments)

    @property
    def ids(self) -> list[int]:
        """The whole sequence: prompt then completion."""
        return self.prompt_ids + self.completion_ids

    def model_token_ids(self) -> list[int]:
        """Only the tokens the model generated (mask 1), in order."""
        return [t for t, m in zip(self.completion_ids, self.mask) if m]
