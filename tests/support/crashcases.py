"""The four commands of the crash-consistency test (evaluation, SFT, GRPO, recipe) on tiny CPU settings,
and the checks of what a killed-and-rerun command left, with the project's own readers.

Each `*_case` returns a `killharness.Command` plus a `check(run) -> Row`: the row counts samples
expected / found / duplicated / corrupt / lost (kept before a rerun but not in the final file) and
checkpoints loaded, and lists every problem found (empty = consistent). The evaluation's model is a
scripted OpenAI-compatible server (tests/eval/conftest.py's policy, answers through the real sandbox):
the tiny random model would be too slow to give many kill points. SFT, GRPO and the recipe run the
tiny random-weight Qwen3 for real (GRPO's rollouts too: it never writes a tool call, which does not
matter to what is checked here).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from support.killharness import Command, KillRun

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Row:
    command: str
    kills: int = 0
    reruns: int = 0
    expected: int = 0
    found: int = 0
    duplicated: int = 0
    corrupt: int = 0
    lost: int = 0
    checkpoints_loaded: int = 0
    resumed: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, run: KillRun) -> Row:
        self.kills += run.kills
        self.reruns += run.reruns
        if not run.completed:
            self.problems.append(f"{run.command}: never completed")
        return self


# -- run files -------------------------------------------------------------------------------------------
def sample_lines(path: Path) -> dict[tuple[str, int], str]:
    """(problem id, sample index) -> the whole line, for every sample line that parses."""
    out: dict[tuple[str, int], str] = {}
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if obj.get("type") == "sample":
            out.setdefault((obj["id"], obj["index"]), line)
    return out


def check_run_file(path: Path, expected_ids: set[str], samples: int, row: Row,
                   kept: list[dict[tuple[str, int], str]] = ()) -> None:
    """Every line whole, the header intact, each (problem, sample) exactly once, all problems graded,
    and every sample kept on disk before a rerun still there, byte for byte (a resume, not a restart)."""
    from eval.records import read_run

    data = path.read_bytes()
    lines = data.decode("utf-8").split("\n")
    row.corrupt += int(not data.endswith(b"\n"))
    counts: Counter[tuple[str, int]] = Counter()
    for line in lines[:-1]:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            row.corrupt += 1
            continue
        if obj.get("type") == "sample":
            counts[obj["id"], obj["index"]] += 1
    run = read_run(path)
    row.expected += len(expected_ids) * samples
    row.found += sum(len(p.samples) for p in run.problems if p.id in expected_ids)
    row.duplicated += sum(n - 1 for n in counts.values()) + run.duplicates
    row.corrupt += run.torn_lines
    if run.header.samples != samples or json.loads(lines[0])["type"] != "header":
        row.problems.append(f"{path.name}: header is not the run's")
    if {p.id for p in run.problems} != expected_ids or run.partial:
        row.problems.append(f"{path.name}: problems {sorted({p.id for p in run.problems} ^ expected_ids)[:5]} "
                            f"differ, {run.partial_samples} samples ungraded")
    final = sample_lines(path)
    for snapshot in kept:
        row.lost += sum(final.get(key) != line for key, line in snapshot.items())


def expected_ids(dataset: str, size: int, shard: str | None) -> set[str]:
    from eval.datasets import load
    from eval.runner import parse_shard, select_shard

    return {p.id for _, p in select_shard(load(dataset, limit=size), parse_shard(shard))}


# -- checkpoints -----------------------------------------------------------------------------------------
def whole_checkpoints(out: Path) -> list[int]:
    from train.checkpoints import unfinished

    cut = set(unfinished(out))
    return sorted(int(p.name.split("-")[1]) for p in out.glob("checkpoint-*") if p.is_dir() and p not in cut)


def load_adapter(base: Path, folder: Path) -> None:
    """Load `folder` as a LoRA adapter on `base` with peft and run one forward pass."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), folder)
    with torch.no_grad():
        logits = model(torch.tensor([[1, 2, 3]])).logits
    if not torch.isfinite(logits).all():
        raise ValueError(f"{folder}: the adapter gives non-finite logits")


def check_training(out: Path, base: Path, steps: int, row: Row) -> None:
    """The final adapter and the last checkpoint load; the last checkpoint's state is at `steps`;
    no checkpoint cut short is left behind."""
    from train.checkpoints import unfinished

    last = out / f"checkpoint-{steps}"
    for folder in (out, last):
        try:
            load_adapter(base, folder)
            row.checkpoints_loaded += 1
        except Exception as exc:  # reported in the row: the point of the check
            row.problems.append(f"{folder}: does not load: {type(exc).__name__}: {exc}")
    state = json.loads((last / "trainer_state.json").read_text()) if (last / "trainer_state.json").is_file() else {}
    if state.get("global_step") != steps or state.get("max_steps") != steps:
        row.problems.append(f"{last}: trainer state at step {state.get('global_step')} of {state.get('max_steps')}, "
                            f"expected {steps}")
    if unfinished(out):
        row.problems.append(f"{out}: checkpoints cut short are left: {unfinished(out)}")


def check_sft_resume(out: Path, whole_before_last: list[int], row: Row) -> None:
    """The completing attempt started from the newest whole checkpoint there was (not from scratch)."""
    summary = json.loads((out / "sft_summary.json").read_text())
    want = str(out / f"checkpoint-{whole_before_last[-1]}") if whole_before_last else None
    if summary["resumed_from"] != want:
        row.problems.append(f"sft: the last attempt resumed from {summary['resumed_from']}, not {want}")
    row.resumed += want is not None


def grpo_state(out: Path) -> tuple[str, int]:
    """(metrics.jsonl's text, newest whole checkpoint): what `check_grpo_resume` compares a rerun with."""
    path = out / "metrics.jsonl"
    return path.read_text() if path.is_file() else "", max(whole_checkpoints(out), default=0)


def check_grpo_resume(out: Path, before: list[tuple[str, int]], steps: int, row: Row) -> None:
    """before: per rerun, (metrics.jsonl, newest whole checkpoint) as it started. A rerun that logged a
    step must have logged the one after its checkpoint first (it resumed there: its records follow the
    ones up to the checkpoint, the killed run's later ones are dropped); in the end each step once."""
    final = (out / "metrics.jsonl").read_text()
    for text, ckpt in before:
        kept = [line for line in text.splitlines(keepends=True) if json.loads(line)["step"] <= ckpt]
        prefix = "".join(kept)
        new = [json.loads(line)["step"] for line in final[len(prefix):].splitlines()]
        if not final.startswith(prefix) or (ckpt and new and new[0] != min(ckpt + 1, steps)):
            row.problems.append(f"grpo: a rerun from checkpoint {ckpt} did not continue the log after it")
        elif ckpt:
            row.resumed += 1
    logged = [json.loads(line) for line in final.splitlines()]
    if [r["step"] for r in logged if "loss" in r] != list(range(1, steps + 1)):
        row.problems.append(f"grpo: metrics.jsonl steps {[r['step'] for r in logged]}, not each of 1..{steps} once")


# -- the commands ----------------------------------------------------------------------------------------
def eval_case(out: Path, base_url: str, tokenizer: Path, *, limit: int, samples: int, jitter_s: float) -> Command:
    argv = [sys.executable, "-m", "eval.cli", "run", "--dataset", "champ", "--limit", str(limit), "--samples",
            str(samples), "--concurrency", "2", "--engine", "openai", "--base-url", base_url, "--tokenizer",
            str(tokenizer), "--out", str(out), "-q"]
    return Command("eval", lambda: argv, lambda: len(sample_lines(out)), limit * samples, jitter_s, startup_s=3.0)


def sft_case(out: Path, model: Path, *, steps: int, jitter_s: float) -> Command:
    argv = [sys.executable, "-m", "train.cli", "sft", "--model", str(model), "--output-dir", str(out),
            "--per-family", "1", "--max-steps", str(steps), "--save-steps", "1", "--per-device-train-batch-size", "2",
            "--lora-r", "4", "--logging-steps", "1"]
    return Command("sft", lambda: argv, lambda: max(whole_checkpoints(out), default=0), steps, jitter_s,
                   startup_s=5.0)


def grpo_case(out: Path, model: Path, problems: Path, *, steps: int, jitter_s: float) -> Command:
    argv = [sys.executable, "-m", "train.cli", "--model", str(model), "--engine", "local", "--dataset", str(problems),
            "--output-dir", str(out), "--max-steps", str(steps), "--num-generations", "2",
            "--per-device-train-batch-size", "4", "--max-tokens", "12", "--max-tokens-per-step", "8",
            "--agent-max-steps", "2", "--lora-r", "4", "--lora-alpha", "8", "--no-gradient-checkpointing",
            "--save-steps", "1", "--logging-steps", "1", "--rollout-concurrency", "4", "--warmup-ratio", "0",
            "--lr-scheduler-type", "constant"]
    # a GRPO rerun names the checkpoint to resume from (as the recipe does): only once a whole one exists
    return Command("grpo", lambda: argv + (["--resume-from-checkpoint", "latest"] if whole_checkpoints(out) else []),
                   lambda: max(whole_checkpoints(out), default=0), steps, jitter_s, startup_s=5.0)


RECIPE_FLAGS = ["--sft-per-family", "1", "--sft-batch", "4", "--sft-save-steps", "2", "--train-threads", "1",
                "--eval-threads", "1", "--grpo-steps", "2", "--grpo-problems-per-step", "2", "--grpo-generations", "2",
                "--grpo-save-steps", "1", "--max-tokens", "16", "--samples", "1", "--champ-limit", "0",
                "--test-shard", "0/4", "--val-shard", "0/8", "--eval-concurrency", "8"]
RECIPE_STAGES = 10  # sft-agent, sft-plain, grpo, 2 nano-val rows, 5 nano-test rows; then the report


def recipe_progress(out: Path) -> int:
    """Stages started so far (over every attempt), +1 once the report is written."""
    log = out / "recipe.log"
    if not log.is_file():
        return 0
    text = log.read_text()
    started = {line.split("] ", 1)[1].split(":", 1)[0] for line in text.splitlines()
               if line.endswith(")") and "(OMP_NUM_THREADS=" in line}  # Recipe.sh's line as a stage starts
    return len(started) + ("report written" in text)


def recipe_case(out: Path, model: Path, *, jitter_s: float) -> Command:
    argv = [sys.executable, "-m", "train.cli", "recipe", "--out", str(out), "--model", str(model), *RECIPE_FLAGS]
    return Command("recipe", lambda: argv, lambda: recipe_progress(out), RECIPE_STAGES + 1, jitter_s, timeout_s=900,
                   startup_s=5.0)


def check_recipe(out: Path, model: Path, row: Row) -> None:
    """The report is complete, every evaluation row's file holds each sample once, the adapters load."""
    from eval.records import read_run

    report = json.loads((out / "report.json").read_text()) if (out / "report.json").is_file() else None
    if not report or not (out / "report.md").is_file():
        row.problems.append("recipe: report.json / report.md missing")
    for path in sorted((out / "eval").glob("*.jsonl")):
        header = read_run(path).header
        check_run_file(path, expected_ids(header.dataset, header.dataset_size, header.shard), header.samples, row)
    for stage in ("sft-agent", "sft-plain", "grpo"):
        try:
            load_adapter(model, out / stage)
            row.checkpoints_loaded += 1
        except Exception as exc:  # reported in the row
            row.problems.append(f"{stage}: adapter does not load: {type(exc).__name__}: {exc}")
