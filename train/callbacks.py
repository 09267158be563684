"""Trainer callbacks: the linear temperature schedule and a metrics.jsonl writer.

Why the schedule is a callback that also sets the trainer's temperature: the rollouts are sampled
at temperature T, and TRL computes the policy's log-probabilities of those tokens from logits
divided by `trainer.temperature`. Both must move together, or the loss would score the samples
under a different distribution than the one that drew them. Intel's recipe anneals 1.2 -> 0.7:
explore early (diverse groups give GRPO a signal), exploit late.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transformers import TrainerCallback


@dataclass(frozen=True)
class TemperatureSchedule:
    """Linear from `start` at step 0 to `end` at step `steps`, constant afterwards."""

    start: float = 1.2
    end: float = 0.7
    steps: int = 1000

    def __call__(self, step: int) -> float:
        if self.steps <= 0 or step >= self.steps:
            return self.end
        frac = max(step, 0) / self.steps
        return self.start + (self.end - self.start) * frac


class TemperatureCallback(TrainerCallback):
    """Before each optimizer step, set the rollout temperature (and the trainer's) from the schedule.

    `target` is anything with a writable `temperature` attribute (the AgentRollout); call
    `bind(trainer)` once the trainer exists so its logit scaling follows too."""

    def __init__(self, schedule: TemperatureSchedule, target: Any):
        self.schedule = schedule
        self.target = target
        self.trainer: Any = None

    def bind(self, trainer: Any) -> TemperatureCallback:
        self.trainer = trainer
        return self

    def _apply(self, step: int) -> None:
        t = self.schedule(step)
        self.target.temperature = t
        if self.trainer is not None:
            self.trainer.temperature = t

    def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        self._apply(state.global_step)  # also right after resuming from a checkpoint

    def on_step_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        self._apply(state.global_step)


class JsonlMetricsCallback(TrainerCallback):
    """Append every log record (step, loss, rewards by component, rollout metrics) to a JSONL file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any) -> None:
        if not logs or not state.is_world_process_zero:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        record = {"step": state.global_step, **{k: _jsonable(v) for k, v in logs.items()}}
        with self.path.open("a") as f:
            f.write(json.dumps(record) + "\n")


def _jsonable(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    return str(v)
