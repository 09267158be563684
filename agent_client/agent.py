"""The agent loop: generate until `</tool_call>`, run the snippet over MCP, append the output, repeat.

Why the loop works on token ids: the trajectory is one growing sequence (prompt, then model tokens
with mask 1 and tool-output tokens with mask 0). Each step sends exactly that sequence back to the
backend, so the context the model saw at step k is a prefix of the final sequence, and decoded
model text is never re-tokenized. Tool output is the only text this module tokenizes, as untrusted
text (`agent_client.tokens`: a snippet printing `<|im_end|>` adds text, not a control token), cut
to `max_tool_output_tokens` per call.

Stop rules: the model's EOS; a `\\boxed{}` written outside the thinking block;
`max_steps` model turns (a turn ends at a tool call); the token budget (`max_tokens` of the model's own tokens in total,
`max_tokens_per_step` per call, and the optional context window `max_context`).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Literal

import anyio
from pydantic import BaseModel, Field

from agent_client.answer import boxed_outside_thinking, extract_answer, thinking_open
from agent_client.interfaces import AgentError, Backend, Generation, ToolExecutor, ToolResult
from agent_client.prompt import DEFAULT_VERSION, PromptTokens, load_prompt
from agent_client.tokens import encode_text, text_only_tokenizer
from agent_client.trajectory import Segment, Trajectory

log = logging.getLogger(__name__)

TOOL_OPEN, TOOL_CLOSE = "<tool_call>", "</tool_call>"
OUTPUT_TEMPLATE = "\n```output\n{text}\n```\n"
CUT_MARK = "\n... [{n} characters cut] ...\n"  # as the sandbox marks its own per-stream cut
DEFAULT_TOOL_OUTPUT_TOKENS = 512  # the reasoning is in docs/agent.md ("Tool output cap")
MIN_TOOL_OUTPUT_TOKENS = 64  # room for the output block and the cut mark, with some of the output

EventHook = Callable[[str, Trajectory, Any], None]


def _no_event(kind: str, traj: Trajectory, payload: Any) -> None:
    return None


class AgentConfig(BaseModel):
    """Knobs of one run. `max_tokens` counts only the model's own tokens (tool output is free)."""

    max_tokens: int = Field(5000, ge=1)
    max_tokens_per_step: int = Field(1024, ge=1)
    max_steps: int = Field(8, ge=1, description="model turns per trajectory (a turn ends at a tool call); "
                                                 "the turn that would exceed it ends the run unexecuted")
    temperature: float = Field(0.7, ge=0.0)
    top_p: float = Field(0.95, gt=0.0, le=1.0)
    mode: Literal["agent", "plain"] = "agent"
    prompt_version: str = DEFAULT_VERSION
    tool_timeout_s: float | None = Field(None, description="per-snippet timeout sent to run_python")
    max_context: int | None = Field(None, description="model context window; caps prompt + completion")
    seed: int | None = Field(None, description="base seed; request k of trajectory i uses seed + 1000*i + k")
    max_tool_output_tokens: int | None = Field(
        DEFAULT_TOOL_OUTPUT_TOKENS, ge=MIN_TOOL_OUTPUT_TOKENS,
        description="tokens one tool output may add to the context (its output block included); the middle "
                    "of a longer output is cut and the cut marked; None = no cap (docs/agent.md)")


def _strip_fences(code: str) -> str:
    """Models sometimes wrap the snippet in a Markdown fence inside the tags; run the code only."""
    lines = code.strip("\n").splitlines()
    if lines and lines[0].lstrip().startswith("```") and lines[-1].strip() == "```":
        lines = lines[1:-1]
    return "\n".join(lines)


def tool_output(tokenizer: Any, text: str, cap: int | None) -> tuple[str, list[int]]:
    """(the output text the model is shown, the ids appended): `OUTPUT_TEMPLATE` around `text`, encoded
    as untrusted text (no control token can arise from it). When that is more than `cap` tokens, the
    middle of `text` is cut at token boundaries, keeping as much of its head and tail as fits, and
    the cut is marked with `CUT_MARK`."""
    ids = encode_text(tokenizer, OUTPUT_TEMPLATE.format(text=text))
    if cap is None or len(ids) <= cap:
        return text, ids
    spans = text_only_tokenizer(tokenizer).encode(text, add_special_tokens=False).offsets
    keep = max(0, len(spans) - (len(ids) - cap))
    while True:
        head = text[:spans[(keep + 1) // 2 - 1][1]] if keep > 1 else ""
        tail = text[spans[len(spans) - keep // 2][0]:] if keep // 2 else ""
        shown = head + CUT_MARK.format(n=len(text) - len(head) - len(tail)) + tail
        ids = encode_text(tokenizer, OUTPUT_TEMPLATE.format(text=shown))
        if len(ids) <= cap:
            return shown, ids
        if keep == 0:
            raise ValueError(f"a tool output cap of {cap} tokens cannot hold the output block and the cut mark")
        keep = max(0, keep - (len(ids) - cap))


class _Run:
    """Mutable state of one trajectory while it is being built."""

    def __init__(self, problem: str, prompt_ids: list[int], prompt_version: str, think_open: bool):
        self.traj = Trajectory(problem=problem, prompt_ids=prompt_ids, logprobs=[], prompt_version=prompt_version)
        self.think_open_at_start = think_open
        self.turn_ids: list[int] = []  # model tokens since the last tool output
        self.turn_text = ""  # ...decoded as a whole (a character may span two requests' tokens)
        self.done_text = ""  # model text of the finished turns

    @property
    def model_text(self) -> str:
        """All model text so far (for the boxed-outside-thinking rule and the answer)."""
        return self.done_text + self.turn_text

    def end_turn(self) -> None:
        self.done_text += self.turn_text
        self.turn_ids, self.turn_text = [], ""

    def add_model(self, gen: Generation, decode: Callable[[list[int]], str]) -> None:
        t = self.traj
        self.turn_ids.extend(gen.token_ids)
        self.turn_text = decode(self.turn_ids)
        t.completion_ids.extend(gen.token_ids)
        t.mask.extend([1] * len(gen.token_ids))
        if t.logprobs is not None:
            if gen.logprobs is None:
                t.logprobs = None
            else:
                t.logprobs.extend(gen.logprobs)

    def add_tool(self, ids: list[int], result: ToolResult) -> None:
        t = self.traj
        t.completion_ids.extend(ids)
        t.mask.extend([0] * len(ids))
        if t.logprobs is not None:
            t.logprobs.extend([0.0] * len(ids))
        t.segments.append(Segment(kind="tool", text=result.text, status=result.status, latency_ms=result.latency_ms))

    def add_text_segment(self, text: str) -> None:
        if text.strip():
            t = self.traj
            if t.segments and t.segments[-1].kind == "text":
                t.segments[-1].text += text
            else:
                t.segments.append(Segment(kind="text", text=text))


class Agent:
    """Runs problems through a backend and an executor. Safe to use from many concurrent tasks."""

    def __init__(self, backend: Backend, executor: ToolExecutor | None, tokenizer: Any,
                 config: AgentConfig | None = None):
        self.backend = backend
        self.executor = executor
        self.tokenizer = tokenizer
        self.config = config or AgentConfig()
        self.prompt = load_prompt(self.config.prompt_version)
        self._ptok: PromptTokens | None = None
        self._ptok_key: tuple[str, str] | None = None
        if self.config.mode == "agent" and executor is None:
            raise ValueError("mode 'agent' needs an executor (use mode='plain' to run without tools)")

    # -- prompt -------------------------------------------------------------------------------------
    def _prompt_tokens(self) -> PromptTokens:
        key = (self.config.mode, self.config.prompt_version)
        if self._ptok is None or self._ptok_key != key:
            self.prompt = load_prompt(self.config.prompt_version)
            self._ptok, self._ptok_key = PromptTokens(self.tokenizer, self.prompt, self.config.mode), key
        return self._ptok

    def prompt_text(self, problem: str) -> str:
        """The chat-templated prompt, ending with the generation prompt (Qwen3-Thinking opens <think>)."""
        return self._prompt_tokens().text(problem)

    def prompt_ids(self, problem: str) -> list[int]:
        return self._prompt_tokens().ids(problem)[1]

    def _decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=False)

    # -- one trajectory -------------------------------------------------------------------------------
    async def run(self, problem: str, *, seed: int | None = None, on_event: EventHook | None = None) -> Trajectory:
        """Run one problem to the end. Raises AgentError if the backend or executor fails.

        `on_event(kind, trajectory, payload)` (optional) sees the run as it happens: "delta" after each
        generate call with the text of the current turn so far (provisional), "segments" when
        `segments` grew (that text is now final), "done" at the end."""
        cfg = self.config
        emit = on_event or _no_event
        t0 = time.perf_counter()
        text, ids = self._prompt_tokens().ids(problem)
        run = _Run(problem, ids, self.prompt.version, thinking_open(text))
        traj = run.traj
        session_id = uuid.uuid4().hex
        stop = [TOOL_CLOSE] if cfg.mode == "agent" else []
        model_s = tool_s = 0.0
        turn, calls = 1, 0  # a turn ends at a tool call or at the end; a turn may take several calls
        try:
            while True:
                remaining = cfg.max_tokens - traj.model_tokens
                if cfg.max_context is not None:
                    remaining = min(remaining, cfg.max_context - len(traj.prompt_ids) - len(traj.completion_ids))
                if remaining <= 0:
                    traj.finish_reason = "budget"
                    break
                ts = time.perf_counter()
                gen = await self.backend.generate(
                    traj.ids, max_tokens=min(cfg.max_tokens_per_step, remaining),
                    temperature=cfg.temperature, top_p=cfg.top_p, stop=stop,
                    seed=None if seed is None else seed + calls)
                model_s += time.perf_counter() - ts
                calls += 1
                if not gen.token_ids:
                    raise AgentError(f"the backend returned no tokens (finish_reason {gen.finish_reason!r})")
                run.add_model(gen, self._decode)
                emit("delta", traj, run.turn_text)

                if gen.finish_reason == "stop" and cfg.mode == "agent" and TOOL_CLOSE in run.turn_text:
                    before = run.done_text
                    prose, code = self._split_call(run.turn_text)
                    run.add_text_segment(prose)
                    if code is not None:
                        traj.segments.append(Segment(kind="code", text=code))
                    run.end_turn()
                    emit("segments", traj, None)
                    if boxed_outside_thinking(before + prose, run.think_open_at_start) is not None:
                        traj.finish_reason = "answer"  # answered, then started another call: the answer stands
                        break
                    if turn >= cfg.max_steps:
                        traj.finish_reason = "max_steps"
                        break
                    ts = time.perf_counter()
                    result = await self._execute(code, session_id)
                    tool_s += time.perf_counter() - ts
                    shown, out_ids = tool_output(self.tokenizer, result.text, cfg.max_tool_output_tokens)
                    run.add_tool(out_ids, result.model_copy(update={"text": shown}))
                    emit("segments", traj, None)
                    turn += 1
                    continue

                if gen.finish_reason == "length":
                    if traj.model_tokens >= cfg.max_tokens or (
                            cfg.max_context is not None
                            and len(traj.prompt_ids) + len(traj.completion_ids) >= cfg.max_context):
                        traj.finish_reason = "budget"
                        break
                    continue  # the per-step cap cut the text; keep generating from the same sequence
                # EOS, or a stop string that did not close a call (plain mode has none)
                answered = boxed_outside_thinking(run.model_text, run.think_open_at_start) is not None
                traj.finish_reason = "answer" if answered else "eos"
                break
            run.add_text_segment(run.turn_text)
        finally:
            traj.timings = {"wall_s": time.perf_counter() - t0, "model_s": model_s, "tool_s": tool_s}
            if traj.tool_calls and self.executor is not None:
                await self._reset(session_id)
        traj.completion_text = self._decode(traj.completion_ids)
        traj.answer = extract_answer(run.model_text)
        emit("segments", traj, None)
        emit("done", traj, None)
        return traj

    @staticmethod
    def _split_call(turn_text: str) -> tuple[str, str | None]:
        """(prose before the call, code inside it); code is None when no `<tool_call>` was opened."""
        end = turn_text.rfind(TOOL_CLOSE)
        start = turn_text.rfind(TOOL_OPEN, 0, end)
        if start < 0:
            return turn_text[:end], None
        return turn_text[:start], _strip_fences(turn_text[start + len(TOOL_OPEN):end])

    async def _execute(self, code: str | None, session_id: str) -> ToolResult:
        if code is None:  # the model closed a call it never opened: tell it, run nothing
            return ToolResult(status="error", latency_ms=0.0,
                              text=f"Error: {TOOL_CLOSE} without a preceding {TOOL_OPEN}; nothing was run.")
        if not code.strip():
            return ToolResult(status="error", latency_ms=0.0, text="Error: the tool call contained no code.")
        assert self.executor is not None
        return await self.executor.run(code, session_id, timeout_s=self.config.tool_timeout_s)

    async def _reset(self, session_id: str) -> None:
        try:
            with anyio.fail_after(10):
                await self.executor.reset_session(session_id)  # type: ignore[union-attr]
        except Exception as exc:  # noqa: BLE001 - the trajectory is complete; a leaked session expires server-side
            log.warning("could not reset MCP session %s: %s", session_id, exc)

    # -- many trajectories ----------------------------------------------------------------------------
    async def run_many(self, problems: Sequence[str], *, concurrency: int = 64, return_exceptions: bool = False,
                       seeds: Sequence[int | None] | None = None,
                       on_event: Callable[[int, str, Trajectory, Any], None] | None = None,
                       ) -> list[Trajectory | BaseException]:
        """Run many problems concurrently (at most `concurrency` at once), results in input order.

        `on_event(index, kind, trajectory, payload)` relays each run's events (see `run`).
        With `return_exceptions=True` a failed trajectory's exception takes its slot; otherwise the
        first failure cancels the rest and propagates."""
        if seeds is None:
            base = self.config.seed
            seeds = [None if base is None else base + 1000 * i for i in range(len(problems))]
        results: list[Trajectory | BaseException | None] = [None] * len(problems)
        limiter = anyio.CapacityLimiter(max(1, concurrency))

        async def one(i: int) -> None:
            async with limiter:
                try:
                    hook = None if on_event is None else (lambda k, t, p, i=i: on_event(i, k, t, p))
                    results[i] = await self.run(problems[i], seed=seeds[i], on_event=hook)
                except Exception as exc:
                    if not return_exceptions:
                        raise
                    results[i] = exc

        async with anyio.create_task_group() as tg:
            for i in range(len(problems)):
                tg.start_soon(one, i)
        return results  # type: ignore[return-value]


__all__ = ["Agent", "AgentConfig", "AgentError", "OUTPUT_TEMPLATE", "tool_output"]
