"""Cold-start traces: a teacher policy driven through the real agent loop and the real sandbox.

Why a policy and not a text template: an SFT example must be, token for token, a trajectory our
agent could produce. So the teacher is a `Backend` that the unchanged `Agent` loop calls: in agent
mode it first writes the family's solution snippet (the loop stops at `</tool_call>`, runs the code
in `deepmath-mcp` over MCP and appends the real output block), then — reading that *actual* output
from the token sequence it is handed — a short final sentence with `\\boxed{}` and EOS. In plain
mode (the no-tool control) it answers at once with the gold. The prompt, the output block and the
mask (1 on the teacher's tokens, 0 on tool output) are therefore made by the same code that makes
them at inference and in GRPO.

The teacher's own text is tokenized (it is the policy's output, as sampled ids are for a model);
nothing the loop produced is re-tokenized. Of that text only the protocol's tags may be control
tokens: the snippet and the answer read from the output are encoded as untrusted text. A teacher
trace whose snippet fails, or whose boxed answer does not grade as the gold, is dropped and
counted, never repaired.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from agent_client import Agent, AgentConfig, AgentError, Generation, ToolExecutor, Trajectory
from agent_client.agent import DEFAULT_TOOL_OUTPUT_TOKENS, TOOL_CLOSE, TOOL_OPEN
from agent_client.tokens import Part, encode_parts

_OUTPUT = re.compile(r"```output\n(.*?)\n```", re.S)


def final_sentence(answer: str) -> list[Part]:
    """The teacher's last turn; `answer` is copied from the sandbox output, so it is untrusted text."""
    return [("The answer is \\boxed{", True), (answer, False), ("}.", True)]


@dataclass(frozen=True)
class Lesson:
    """What the teacher knows about one problem: the snippet that solves it, and, for an error-recovery
    trace, `mistakes` written first (each must fail in the sandbox; the loop appends its real error)."""

    code: str
    gold: str
    mistakes: tuple[str, ...] = ()


class TeacherBackend:
    """Scripted policy (a real `Backend`): snippet first, then the answer read from the sandbox output."""

    def __init__(self, tokenizer: Any, mode: Literal["agent", "plain"]):
        self.tok, self.mode = tokenizer, mode
        eos = tokenizer.eos_token_id
        if eos is None:
            raise ValueError("the tokenizer has no EOS token; the teacher cannot end its turns")
        self.eos = eos
        self._lessons: dict[tuple[int, ...], Lesson] = {}
        self._lengths: set[int] = set()

    def teach(self, prompt_ids: Sequence[int], lesson: Lesson) -> None:
        self._lessons[tuple(prompt_ids)] = lesson
        self._lengths.add(len(prompt_ids))

    def _lesson(self, ids: Sequence[int]) -> tuple[Lesson, int]:
        for n in sorted(self._lengths, reverse=True):
            lesson = self._lessons.get(tuple(ids[:n]))
            if lesson is not None:
                return lesson, n
        raise AgentError("teacher: a prompt it was not taught")

    def _reply(self, lesson: Lesson, completion: str) -> tuple[list[Part], bool]:
        """(text as trusted/untrusted parts, ends the trajectory). Only the protocol's own tags are the
        teacher's control tokens; the snippet (from a problem family) and the answer are encoded as text."""
        if self.mode == "plain":
            return final_sentence(lesson.gold), True
        outputs = _OUTPUT.findall(completion)
        snippets = (*lesson.mistakes, lesson.code)
        if len(outputs) < len(snippets):
            return [(f"{TOOL_OPEN}\n", True), (snippets[len(outputs)], False), (f"\n{TOOL_CLOSE}", True)], False
        lines = [ln.strip() for ln in (outputs[-1] if outputs else "").splitlines() if ln.strip()]
        if not lines:
            raise AgentError(f"teacher: no output to read the answer from: {completion[-200:]!r}")
        return final_sentence(lines[-1]), True

    async def generate(self, prompt_ids: list[int], *, max_tokens: int, temperature: float, top_p: float,
                       stop: list[str], seed: int | None = None) -> Generation:
        lesson, n = self._lesson(prompt_ids)
        completion = self.tok.decode(list(prompt_ids[n:]), skip_special_tokens=False)
        parts, last = self._reply(lesson, completion)
        text = "".join(p for p, _ in parts)
        ids = encode_parts(self.tok, parts) + ([self.eos] if last else [])
        if len(ids) > max_tokens:
            ids = ids[:max_tokens]
            return Generation(token_ids=ids, text=self.tok.decode(ids), finish_reason="length")
        if last:
            return Generation(token_ids=ids, text=text, finish_reason="eos")
        return Generation(token_ids=ids, text=text, finish_reason="stop", stop_reason=TOOL_CLOSE)


@dataclass
class TraceSet:
    """The kept trajectories and an account of what was dropped (and why)."""

    kept: list[tuple[Any, Trajectory]] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (item id, reason)


async def collect(items: Sequence[Any], tokenizer: Any, *, mode: Literal["agent", "plain"], prompt_version: str,
                  executor: ToolExecutor | None, concurrency: int = 16,
                  max_tool_output_tokens: int | None = DEFAULT_TOOL_OUTPUT_TOKENS) -> TraceSet:
    """Run every item (an object with id, problem, answer, code) through the agent loop with the teacher."""
    from eval.grading import grade

    teacher = TeacherBackend(tokenizer, mode)
    retries = max((len(getattr(it, "mistakes", ())) for it in items), default=0) if mode == "agent" else 0
    cfg = AgentConfig(max_tokens=512 * (1 + retries), max_tokens_per_step=512, max_steps=2 + retries,
                      temperature=0.0, mode=mode, prompt_version=prompt_version,
                      max_tool_output_tokens=max_tool_output_tokens)
    agent = Agent(teacher, executor if mode == "agent" else None, tokenizer, cfg)
    for it in items:
        teacher.teach(agent.prompt_ids(it.problem),
                      Lesson(code=it.code, gold=it.answer, mistakes=tuple(getattr(it, "mistakes", ()))))
    results = await agent.run_many([it.problem for it in items], concurrency=concurrency, return_exceptions=True)
    out = TraceSet()
    for it, res in zip(items, results):
        want = ["error"] * len(getattr(it, "mistakes", ())) + ["ok"]  # each mistake fails, then the snippet runs
        form = getattr(it, "form", None)  # an answer form (eval.answer_forms) grades prediction vs gold
        if isinstance(res, BaseException):
            out.dropped.append((it.id, f"{type(res).__name__}: {res}"))
        elif mode == "agent" and [s.status for s in res.segments if s.kind == "tool"] != want:
            out.dropped.append((it.id, f"snippet status {[s.status for s in res.segments if s.kind == 'tool']}"))
        elif res.answer is None or not (grade(res.answer, it.answer, form) if form else grade(it.answer, res.answer)):
            out.dropped.append((it.id, f"answer {res.answer!r} does not grade as gold {it.answer!r}"))
        else:
            out.kept.append((it, res))
    return out


def sft_row(traj: Trajectory) -> dict[str, list[int]]:
    """A pre-tokenized SFT example: the whole sequence, and TRL's `completion_mask` = 0 on the prompt and
    on tool output, 1 on the policy's own tokens — the same mask GRPO's `env_mask` applies."""
    return {"input_ids": traj.prompt_ids + traj.completion_ids,
            "completion_mask": [0] * len(traj.prompt_ids) + list(traj.mask)}
