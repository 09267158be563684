"""TRL `rollout_func` that produces GRPO samples by running the real agent loop.

Why through `agent_client`: the trajectory the trainer back-propagates through must be the one
the deployed agent would produce: same prompt (system prompt, few-shot examples, chat template),
same `<tool_call>` protocol, same sandbox over MCP. The agent keeps each run as one token
sequence, so `prompt_ids`, `completion_ids` and `env_mask` (0 on tool-output tokens, which TRL
multiplies into the loss mask) are handed to TRL verbatim, never re-tokenized; the prompt that
generated the completion is exactly the prompt the trainer scores.

Event loop: the agent is async and TRL calls `rollout_func` synchronously from the training loop.
An anyio blocking portal runs one event loop in a background thread for the whole run, and the
MCP connection (one `deepmath-mcp` subprocess or HTTP session) lives in it across steps.

Failures: a rollout whose backend or MCP call fails (`AgentError`) is dropped, never replaced by
text. TRL needs one sample per slot, so a dropped slot carries the prompt, one EOS token with
env_mask 0 (it contributes no loss) and `trajectory=None` (every reward returns None for it, so
TRL excludes it from the group baseline and gives it advantage 0). Dropped rollouts are counted
in the step metrics; when more than `max_dropped_fraction` of a batch fails, training stops.

Dynamic sampling (optional, `sampler`): GRPO groups without reward spread are replaced by groups of
problems drawn from an edge-of-competence pool before the batch goes back to TRL; the returned
`prompt_ids`, `answer` and `form` are those of the problems actually rolled out (train/sampling.py).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from agent_client import Agent, AgentConfig, AgentError, Backend, ToolExecutor, Trajectory
from train.sampling import DynamicSampler, SamplingReport

log = logging.getLogger(__name__)

BackendFactory = Callable[[Any], Backend]
"""Given the GRPOTrainer, the model backend to roll out with (called once, on the first batch)."""
ExecutorFactory = Callable[[], AbstractAsyncContextManager[ToolExecutor]]


class RolloutFailure(RuntimeError):
    """Too many rollouts of a batch failed: the model endpoint or the sandbox is broken."""


@dataclass
class BatchReport:
    """What one rollout call produced (kept for inspection; the metrics go to the trainer's log)."""

    step: int
    temperature: float
    problems: list[str]
    trajectories: list[Trajectory | None]
    errors: list[str]
    seconds: float
    forms: list[str | None] | None = None  # the problems' answer forms, where known (dynamic sampling's pool)

    @property
    def dropped(self) -> int:
        return sum(t is None for t in self.trajectories)


@dataclass
class RolloutTotals:
    rollouts: int = 0
    dropped: int = 0
    batches: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def problem_text(prompt: Any) -> str:
    """The dataset's `prompt` is the bare problem (a string); accept a chat list and take its last user turn."""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list) and prompt and isinstance(prompt[-1], dict):
        users = [m for m in prompt if m.get("role") == "user"]
        content = (users or prompt)[-1].get("content")
        if isinstance(content, str):
            return content
    raise TypeError(f"cannot read a problem from prompt of type {type(prompt).__name__}: {prompt!r:.200}")


class AgentRollout:
    """Callable as TRL's `rollout_func(prompts, trainer)`. Use as a context manager around `train()`."""

    def __init__(self, *, tokenizer: Any, agent_config: AgentConfig, backend_factory: BackendFactory,
                 executor_factory: ExecutorFactory, concurrency: int = 64, max_dropped_fraction: float = 0.5,
                 seed: int | None = None, keep_reports: int = 4, sampler: DynamicSampler | None = None):
        self.tokenizer = tokenizer
        self.sampler = sampler  # dynamic sampling (train/sampling.py); None = roll out exactly the given prompts
        self.agent_config = agent_config
        self.backend_factory = backend_factory
        self.executor_factory = executor_factory
        self.concurrency = concurrency
        self.max_dropped_fraction = max_dropped_fraction
        self.seed = seed
        self.temperature = agent_config.temperature  # the TemperatureCallback moves this
        self.totals = RolloutTotals()
        self.reports: list[BatchReport] = []
        self.keep_reports = keep_reports
        self._backend: Backend | None = None
        self._portal: Any = None
        self._portal_cm: Any = None
        self._executor: ToolExecutor | None = None
        self._executor_cm: Any = None
        eos = tokenizer.eos_token_id
        self.placeholder_id = eos if eos is not None else tokenizer.pad_token_id

    @property
    def backend(self) -> Backend | None:
        """The backend in use (created on the first batch)."""
        return self._backend

    # -- lifetime ------------------------------------------------------------------------------------
    def start(self) -> AgentRollout:
        if self._portal is not None:
            return self
        from anyio.from_thread import start_blocking_portal

        self._portal_cm = start_blocking_portal()
        self._portal = self._portal_cm.__enter__()
        try:
            self._executor_cm = self._portal.wrap_async_context_manager(self.executor_factory())
            self._executor = self._executor_cm.__enter__()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        try:
            if self._executor_cm is not None:
                cm, self._executor_cm, self._executor = self._executor_cm, None, None
                cm.__exit__(None, None, None)
            if self._backend is not None and hasattr(self._backend, "aclose") and self._portal is not None:
                self._portal.call(self._backend.aclose)
        finally:
            if self._portal_cm is not None:
                cm, self._portal_cm, self._portal = self._portal_cm, None, None
                cm.__exit__(None, None, None)

    def __enter__(self) -> AgentRollout:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the rollout function --------------------------------------------------------------------------
    def __call__(self, prompts: Sequence[Any], trainer: Any) -> dict[str, Any]:
        if self._portal is None:
            raise RuntimeError("AgentRollout used before start() (wrap trainer.train() in `with rollout:`)")
        if self._backend is None:
            self._backend = self.backend_factory(trainer)
        clear = getattr(self._backend, "clear_cache", None)
        if callable(clear):  # weights changed since the last batch: a cached prefix KV would be stale
            clear()
        step = int(getattr(getattr(trainer, "state", None), "global_step", 0) or 0)
        problems = [problem_text(p) for p in prompts]
        cfg = self.agent_config.model_copy(update={"temperature": float(self.temperature)})
        agent = Agent(self._backend, self._executor, self.tokenizer, cfg)
        errors: list[str] = []
        run = functools.partial(self._run, agent, step, errors)

        t0 = time.perf_counter()
        if self.sampler is None:
            trajs = run(problems, 0)
        else:
            sampling = SamplingReport()
            problems = self.sampler.prepare(problems, step, sampling)
            problems, trajs = self.sampler.refill(problems, run(problems, 0), run, step, sampling)
            for name, value in sampling.metrics(self.sampler.pool).items():
                _log_metric(trainer, name, value)
        seconds = time.perf_counter() - t0

        report = BatchReport(step=step, temperature=cfg.temperature, problems=problems, trajectories=trajs,
                             errors=errors, seconds=seconds,
                             forms=None if self.sampler is None else [self.sampler.pool.item(p).form for p in problems])
        self._record(report)
        self._log_metrics(trainer, report)
        if report.dropped and (report.dropped == len(trajs) or report.dropped > self.max_dropped_fraction * len(trajs)):
            raise RolloutFailure(f"{report.dropped}/{len(trajs)} rollouts failed at step {step} "
                                 f"(max_dropped_fraction={self.max_dropped_fraction}); first error: {errors[0]}")
        out = self._to_trl(agent, report)
        if self.sampler is not None:  # the golds of the problems actually returned (replacements included)
            out.update(self.sampler.fields(problems))
        return out

    def _run(self, agent: Agent, step: int, errors: list[str], problems: list[str],
             rnd: int) -> list[Trajectory | None]:
        """One trajectory per problem (round `rnd` > 0: dynamic sampling's replacements, other seeds);
        failed runs are None and their errors are appended to `errors`."""
        seeds = None if self.seed is None else [self.seed + 1_000_003 * step + 15_485_863 * rnd + 7919 * i
                                                for i in range(len(problems))]
        results = self._portal.call(functools.partial(
            agent.run_many, problems, concurrency=self.concurrency, return_exceptions=True, seeds=seeds))
        trajs: list[Trajectory | None] = []
        for res in results:
            if isinstance(res, AgentError):
                errors.append(f"{type(res).__name__}: {res}")
                log.warning("rollout dropped (step %d): %s", step, res)
                trajs.append(None)
            elif isinstance(res, BaseException):
                raise res  # a bug in the loop, not an infrastructure failure: do not hide it
            elif not res.completion_ids:
                errors.append("empty completion")
                trajs.append(None)
            else:
                trajs.append(res)
        return trajs

    def _to_trl(self, agent: Agent, report: BatchReport) -> dict[str, Any]:
        """TRL's sample lists. Logprobs: per token where the backend gave them; NaN where it did not (TRL
        then skips the importance-sampling correction for those tokens); None if no rollout has any."""
        nan = float("nan")
        prompt_ids, completion_ids, env_mask, logprobs = [], [], [], []
        for problem, t in zip(report.problems, report.trajectories):
            if t is None:  # dropped: no loss (mask 0), no reward (None), prompt kept for shape only
                prompt_ids.append(agent.prompt_ids(problem))
                completion_ids.append([self.placeholder_id])
                env_mask.append([0])
                logprobs.append([nan])
            else:
                prompt_ids.append(list(t.prompt_ids))
                completion_ids.append(list(t.completion_ids))
                env_mask.append(list(t.mask))
                logprobs.append(list(t.logprobs) if t.logprobs is not None else [nan] * len(t.completion_ids))
        any_logprobs = any(t is not None and t.logprobs is not None for t in report.trajectories)
        return {"prompt_ids": prompt_ids, "completion_ids": completion_ids,
                "logprobs": logprobs if any_logprobs else None, "env_mask": env_mask,
                "trajectory": list(report.trajectories)}

    # -- bookkeeping -----------------------------------------------------------------------------------
    def _record(self, report: BatchReport) -> None:
        tot = self.totals
        tot.rollouts += len(report.trajectories)
        tot.dropped += report.dropped
        tot.batches += 1
        tot.seconds += report.seconds
        tot.errors.extend(report.errors[: max(0, 20 - len(tot.errors))])
        self.reports.append(report)
        del self.reports[: -self.keep_reports]

    def _log_metrics(self, trainer: Any, report: BatchReport) -> None:
        for name, value in batch_metrics(report, self.totals).items():
            _log_metric(trainer, name, value)


def batch_metrics(report: BatchReport, totals: RolloutTotals) -> dict[str, float]:
    """Per-step numbers: rollouts dropped, code use, tool errors, token counts, answer agreement
    (majority share), temperature, speed.

    Accuracy and the reward components are logged by TRL from the reward functions
    (`rewards/accuracy/mean`, `rewards/code_use/mean`, ...)."""
    kept = [t for t in report.trajectories if t is not None]
    n = max(len(kept), 1)
    calls = sum(t.tool_calls for t in kept)
    return {
        "rollouts/dropped": float(report.dropped),
        "rollouts/dropped_frac": report.dropped / max(len(report.trajectories), 1),
        "rollouts/dropped_total": float(totals.dropped),
        "rollouts/per_second": len(report.trajectories) / report.seconds if report.seconds > 0 else 0.0,
        "rollouts/seconds": report.seconds,
        "agent/code_use_rate": sum(t.ran_code for t in kept) / n,
        "agent/tool_calls": calls / n,
        "agent/tool_error_rate": sum(t.tool_errors for t in kept) / calls if calls else 0.0,
        "agent/model_tokens": sum(t.model_tokens for t in kept) / n,
        "agent/masked_tokens": sum(len(t.mask) - sum(t.mask) for t in kept) / n,
        "agent/answer_rate": sum(t.answer is not None for t in kept) / n,
        "agent/majority_share": majority_share(report),
        "temperature": report.temperature,
    }


def majority_share(report: BatchReport) -> float:
    """Self-consistency: per problem of the batch (its GRPO group), the share of its samples in the
    winning cluster of the majority vote (`agent_client.vote`, the vote `deepmath-eval`'s maj@k and
    `deepmath-agent --samples` use; dropped and unparsable samples do not vote), averaged. Answers of
    a problem with a known answer form are compared as the grader compares them (eval.grading)."""
    from agent_client.vote import MATH_VERIFY, vote
    from eval.answer_forms import form_equivalence

    groups: dict[str, tuple[str | None, list[str | None]]] = {}
    forms = report.forms or [None] * len(report.problems)
    for problem, form, t in zip(report.problems, forms, report.trajectories):
        groups.setdefault(problem, (form, []))[1].append(t.answer if t is not None else None)
    shares = [vote(answers, MATH_VERIFY if form is None else form_equivalence(form)).votes / len(answers)
              for form, answers in groups.values()]
    return sum(shares) / len(shares) if shares else 0.0


def _log_metric(trainer: Any, name: str, value: float) -> None:
    """Through the function GRPOTrainer (TRL >= 1.16, the pinned floor) hands its reward functions as
    `log_metric`: it averages the values over processes and the logging window."""
    trainer._log_metric(name, value)
