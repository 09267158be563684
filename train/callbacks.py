"""Trainer callbacks: the linear temperature schedule and a metrics.jsonl writer.

Why the schedule is a callback that also re-temperatures the trainer: the rollouts are sampled at
temperature T, and TRL scores those tokens with the policy's logits divided by a temperature, and
(with vLLM) compares that with the sampler's logprobs for its importance-sampling correction. Both
must move together, or the loss would score the samples under a different distribution than the
one that drew them. TRL 1.16 bakes the temperature into a fused LM head when the trainer is built
(`trl.trainer.utils.add_fused_lm_head`), so changing `trainer.temperature` alone would not reach
the loss: the head is re-installed with the new temperature. Intel's recipe anneals 1.2 -> 0.7:
explore early (diverse groups give GRPO a signal), exploit late.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from train.checkpoints import write_whole


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
            set_trainer_temperature(self.trainer, t)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        self._apply(state.global_step)  # also right after resuming from a checkpoint

    def on_step_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        self._apply(state.global_step)


def set_trainer_temperature(trainer: Any, temperature: float) -> None:
    """Make a GRPOTrainer score completions at `temperature` (its attribute and its fused LM heads)."""
    if math.isclose(getattr(trainer, "temperature", float("nan")), temperature):
        return
    from trl.trainer.utils import add_fused_lm_head

    trainer.temperature = temperature
    model = trainer.accelerator.unwrap_model(trainer.model)
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    cast = getattr(trainer.args, "cast_lm_head_to_fp32", False)
    if "forward" in vars(base):  # drop the previous fused head (an instance attribute) before re-adding it
        del base.forward
    add_fused_lm_head(base, temperature=temperature, cast_lm_head_to_fp32=cast, outputs=("log_probs", "entropy"))
    ref = getattr(trainer, "ref_model", None)
    if ref is not None:
        if "forward" in vars(ref):
            del ref.forward
        add_fused_lm_head(ref, temperature=temperature, cast_lm_head_to_fp32=cast)


class JsonlMetricsCallback(TrainerCallback):
    """Append every log record (step, loss, rewards by component, rollout metrics) to a JSONL file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        """On a resume from step N, drop the records of steps after N: the killed run logged them, but its
        weights after N were lost, and those steps are about to be trained (and logged) again."""
        if state.global_step == 0 or not state.is_world_process_zero or not self.path.is_file():
            return
        keep = [line for line in self.path.read_text().splitlines(keepends=True)
                if line.endswith("\n") and json.loads(line)["step"] <= state.global_step]
        write_whole(self.path, "".join(keep))

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
