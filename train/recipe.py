"""`deepmath-train recipe`: DeepMath-nano end to end — SFT, GRPO, the ablation evaluation and its report.

Why a recipe of CLI calls: every stage is a command a user can run alone (`deepmath-train sft`,
`deepmath-train`, `deepmath-eval run/score/compare`), each already resumable, each in its own process
(memory returns after a stage; the thread count is set per stage). The recipe only orders them, skips
what is finished (a stage is done when its output exists; an eval run file resumes by itself) and
writes the report. Kill it at any point and run the same command again: nothing finished is redone.

Stages, in order (all under `--out`):
  sft-agent/   cold-start SFT on teacher traces through the real agent loop and sandbox
  sft-plain/   the no-tool control: same problems, answer-only targets, same steps and batch
  grpo/        GRPO from sft-agent with our rollouts and rewards on nano-train
  eval/        the ablation rows on nano-val (checkpoint choice) and nano-test (the score), plus CHAMP
  report.md, report.json, acc_vs_len.png   the tables and the plot; `--docs` copies them to docs/nano.md

Rows: (a) base, plain · (b) base + agent (few-shot prompt) · (c) SFT no-tool control, plain ·
(d) SFT, agent · (e) SFT + GRPO, agent = DeepMath-nano. Nothing reads nano-test before the rows are
final: the shipped adapter is chosen on nano-val.

Device: whatever torch finds (CUDA if present); the same command runs on a GPU machine.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from train.config import _f
from train.sft import ADAPTER_META


@dataclass
class RecipeConfig:
    """The DeepMath-nano recipe; field help is the CLI help."""

    out: str = _f("runs/nano", "folder for every stage's output (rerun the same command to resume)")
    model: str | None = _f(None, "base checkpoint folder, or a packaged base: smollm2-135m-instruct "
                                 "(the offline default) or gemma-3-270m")
    prompt_version: str = _f("nano-v1", "prompt of the trained rows (short, zero-shot)")
    fewshot_prompt_version: str = _f("nano-fewshot-v1", "prompt of row (b), the base model with examples")
    sft_per_family: int = _f(40, "training problems per family for SFT")
    sft_epochs: float = _f(1.0, "SFT epochs (the plain control gets the same number of steps)")
    sft_batch: int = _f(8, "SFT sequences per step")
    sft_lr: float = _f(1e-3, "SFT learning rate (LoRA)")
    sft_save_steps: int = _f(25, "SFT checkpoint interval (what a killed SFT stage resumes from)")
    grpo_steps: int = _f(10, "GRPO optimizer steps")
    grpo_problems_per_step: int = _f(4, "problems per GRPO step (x --grpo-generations rollouts)")
    grpo_generations: int = _f(4, "rollouts per problem (the GRPO group)")
    grpo_lr: float = _f(5e-5, "GRPO learning rate")
    grpo_save_steps: int = _f(5, "GRPO checkpoint interval (each checkpoint is scored on nano-val)")
    max_tokens: int = _f(128, "model tokens per trajectory (rollouts and evaluation)")
    samples: int = _f(4, "k: samples per problem in every evaluation row")
    temperature: float = _f(0.7, "sampling temperature of the evaluation rows")
    seed: int = _f(1, "evaluation seed (the same for every row)")
    test_shard: str | None = _f("0/2", "score this shard of nano-test (i/n: every n-th problem; 0/2 = 2 of the 4 "
                                       "problems per family); none = all of it")
    val_checkpoints: bool = _f(False, "also score intermediate GRPO checkpoints on nano-val (on a CPU each costs "
                                      "about as much as an evaluation row)")
    val_shard: str | None = _f("0/4", "shard of nano-val used to choose the shipped checkpoint")
    eval_concurrency: int = _f(16, "trajectories generated together in the evaluation rows (the local engine "
                                   "batches them)")
    champ_limit: int = _f(10, "CHAMP problems per row (0 = skip the CHAMP rows)")
    train_threads: int = _f(2, "torch threads for the training stages (big batched matmuls)")
    eval_threads: int = _f(2, "torch threads for the evaluation stages (batched generation)")
    stages: str = _f("all", "comma-separated stages to run now: sft-agent, sft-plain, grpo, choose (nano-val), "
                            "test (nano-test rows whose adapters exist), champ, report (or all, in that order); "
                            "lets independent stages run side by side")
    docs: str | None = _f(None, "also write the report to this Markdown file (e.g. docs/nano.md)")
    ship: str | None = _f(None, "copy the chosen adapter into this folder (e.g. agent_client/nano_adapter)")


def _exe(name: str) -> list[str]:
    found = shutil.which(name)
    if found:
        return [found]
    module = {"deepmath-train": "train.cli", "deepmath-eval": "eval.cli"}[name]
    return [sys.executable, "-m", module]


STAGES = ("sft-agent", "sft-plain", "grpo", "choose", "test", "champ", "report")


class Recipe:
    def __init__(self, cfg: RecipeConfig):
        self.cfg = cfg
        self.out = Path(cfg.out)
        self.log_path = self.out / "recipe.log"

    # -- plumbing --------------------------------------------------------------------------------------
    def say(self, msg: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, file=sys.stderr, flush=True)
        with self.log_path.open("a") as fh:
            fh.write(line + "\n")

    def sh(self, stage: str, argv: list[str], threads: int) -> None:
        # MALLOC_ARENA_MAX: the first GRPO run here was OOM-killed at 20 GB RSS after 15 steps; per-thread
        # malloc arenas (generation runs in worker threads) fragmenting is the suspect (not yet confirmed)
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
               "TOKENIZERS_PARALLELISM": "false", "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")}
        self.say(f"{stage}: {' '.join(argv)}  (OMP_NUM_THREADS={threads})")
        t0 = time.perf_counter()
        with (self.out / f"{stage}.log").open("a") as log:
            code = subprocess.call(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.add_time(stage, time.perf_counter() - t0)
        if code != 0:
            raise RuntimeError(f"stage {stage} failed (exit {code}); see {self.out / (stage + '.log')}")

    @property
    def timings(self) -> dict[str, float]:
        """Wall seconds per stage, summed over every invocation of this recipe folder (a resumed or
        split run counts all its parts); kept in stage_seconds.json."""
        path = self.out / "stage_seconds.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    def add_time(self, stage: str, seconds: float) -> None:
        times = self.timings
        times[stage] = round(times.get(stage, 0.0) + seconds, 1)
        tmp = self.out / "stage_seconds.json.tmp"
        tmp.write_text(json.dumps(times, indent=2))
        os.replace(tmp, self.out / "stage_seconds.json")

    @property
    def base(self) -> str:
        from agent_client.default_model import resolve_model

        return resolve_model(self.cfg.model)

    # -- training --------------------------------------------------------------------------------------
    def sft(self, mode: str, max_steps: int = -1) -> Path:
        c, out = self.cfg, self.out / f"sft-{mode}"
        if (out / ADAPTER_META).is_file():
            return out
        self.sh(f"sft-{mode}", [*_exe("deepmath-train"), "sft", "--model", self.base, "--mode", mode,
                                "--prompt-version", c.prompt_version, "--per-family", str(c.sft_per_family),
                                "--output-dir", str(out), "--num-train-epochs", str(c.sft_epochs),
                                "--max-steps", str(max_steps), "--per-device-train-batch-size", str(c.sft_batch),
                                "--learning-rate", str(c.sft_lr),
                                "--save-steps", str(c.sft_save_steps)], c.train_threads)
        return out

    def sft_steps(self, sft_dir: Path) -> int:
        """Optimizer steps of an SFT run (one epoch of its kept traces), so the control gets the same budget."""
        import math

        traces = sft_dir / "traces.jsonl"
        if not traces.is_file():
            raise RuntimeError(f"{traces} is missing: run the sft-agent stage first")
        n = sum(1 for line in traces.read_text().splitlines() if line.strip())
        return math.ceil(math.ceil(n / self.cfg.sft_batch) * self.cfg.sft_epochs)

    def grpo(self, init: Path) -> Path:
        c, out = self.cfg, self.out / "grpo"
        if (out / "adapter_config.json").is_file() and (out / "rollout_summary.json").is_file():
            return out
        n = c.grpo_problems_per_step * c.grpo_generations
        argv = [*_exe("deepmath-train"), "--model", self.base, "--init-adapter", str(init), "--engine", "local",
                "--dataset", "nano-train", "--output-dir", str(out), "--max-steps", str(c.grpo_steps),
                "--num-generations", str(c.grpo_generations), "--per-device-train-batch-size", str(n),
                "--gradient-accumulation-steps", "1", "--learning-rate", str(c.grpo_lr), "--warmup-ratio", "0",
                "--lr-scheduler-type", "constant", "--max-tokens", str(c.max_tokens),
                "--max-tokens-per-step", str(c.max_tokens), "--agent-max-steps", "3",
                "--prompt-version", c.prompt_version, "--temperature-start", "1.0", "--temperature-end", "0.7",
                "--temperature-steps", str(c.grpo_steps), "--top-p", "1.0",
                "--reward-accuracy", "1.0", "--reward-code", "0.1", "--reward-length", "0.1",
                "--save-steps", str(c.grpo_save_steps), "--no-gradient-checkpointing", "--seed", "0",
                "--rollout-concurrency", str(n)]
        from train.checkpoints import last_whole_checkpoint

        if last_whole_checkpoint(out):  # one cut short by a kill is removed: it cannot be resumed from
            argv += ["--resume-from-checkpoint", "latest"]
        self.sh("grpo", argv, c.train_threads)
        return out

    # -- evaluation ------------------------------------------------------------------------------------
    def evaluate(self, row: str, dataset: str, *, adapter: Path | None, mode: str, prompt: str,
                 limit: int | None = None, shard: str | None = None) -> Path:
        c = self.cfg
        out = self.out / "eval" / f"{dataset}--{row}.jsonl"
        out.parent.mkdir(parents=True, exist_ok=True)
        argv = [*_exe("deepmath-eval"), "run", "--dataset", dataset, "--engine", "local", "--model", self.base,
                "--mode", mode, "--prompt-version", prompt, "--samples", str(c.samples),
                "--max-tokens", str(c.max_tokens), "--max-tokens-per-step", str(c.max_tokens), "--max-steps", "3",
                "--temperature", str(c.temperature), "--seed", str(c.seed), "--concurrency", str(c.eval_concurrency),
                "--out", str(out), "--quiet"]
        if adapter is not None:
            argv += ["--lora", str(adapter)]
        if limit:
            argv += ["--limit", str(limit)]
        if shard:
            argv += ["--shard", shard]
        self.sh(f"eval-{dataset}-{row}", argv, c.eval_threads)
        return out

    @staticmethod
    def mean_at_k(run: Path) -> float:
        from eval.records import read_run
        from eval.report import score_runs

        return score_runs([read_run(run)])[0].mean.value

    def choose(self, sft_dir: Path, grpo_dir: Path) -> tuple[Path, dict[str, float]]:
        """The GRPO checkpoint (or final adapter) with the best mean@k on nano-val; SFT if none beats it."""
        candidates = {"sft": sft_dir}
        if (grpo_dir / "adapter_model.safetensors").is_file():
            candidates["grpo"] = grpo_dir
        else:
            self.say(f"choose: {grpo_dir} is not trained (run the grpo stage); choosing among {sorted(candidates)}")
        if self.cfg.val_checkpoints:  # intermediate GRPO checkpoints too (each costs one nano-val run)
            for ck in sorted(grpo_dir.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))[:-1]:
                if (ck / "adapter_config.json").is_file():
                    candidates[f"grpo-{ck.name}"] = ck
        val: dict[str, float] = {}
        for name, path in candidates.items():
            run = self.evaluate(f"val-{name}", "nano-val", adapter=path, mode="agent", prompt=self.cfg.prompt_version,
                                shard=self.cfg.val_shard)
            val[name] = self.mean_at_k(run)
        best = max(val, key=lambda k: (val[k], k != "sft"))
        self.say(f"nano-val mean@k: {val} -> ship {best}")
        return candidates[best], val

    # -- everything ------------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        c = self.cfg
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "recipe_config.json").write_text(json.dumps(dataclasses.asdict(c), indent=2))
        want = set(c.stages.split(",")) if c.stages != "all" else set(STAGES)
        unknown = want - set(STAGES)
        if unknown:
            raise RuntimeError(f"unknown stage(s) {sorted(unknown)}; stages are {', '.join(STAGES)}")
        if "report" in want:  # the report reads every row; finished rows resume as no-ops
            want |= {"choose", "test", "champ"}
        sft_agent, sft_plain, grpo = self.out / "sft-agent", self.out / "sft-plain", self.out / "grpo"
        if "sft-agent" in want:
            self.sft("agent")
        if "sft-plain" in want:
            self.sft("plain", max_steps=self.sft_steps(sft_agent))
        if "grpo" in want:
            self.grpo(sft_agent)
        chosen, val = self.choose(sft_agent, grpo) if "choose" in want else (None, {})
        rows = [("a-base-plain", None, "plain", c.prompt_version),
                ("b-base-agent-fewshot", None, "agent", c.fewshot_prompt_version),
                ("c-sft-plain", sft_plain, "plain", c.prompt_version),
                ("d-sft-agent", sft_agent, "agent", c.prompt_version),
                ("e-sft-grpo-agent", grpo, "agent", c.prompt_version)]
        runs: dict[str, list[Path]] = {"nano-test": [], "champ": []}
        for dataset, shard, limit in (("nano-test", c.test_shard, None), ("champ", None, c.champ_limit)):
            stage = "test" if dataset == "nano-test" else "champ"
            if stage not in want or (dataset == "champ" and not c.champ_limit):
                continue
            for row, adapter, mode, prompt in rows:
                if adapter is not None and not (adapter / "adapter_model.safetensors").is_file():
                    self.say(f"{stage}: row {row} waits for {adapter} (not trained yet)")
                    continue
                runs[dataset].append(self.evaluate(row, dataset, adapter=adapter, mode=mode, prompt=prompt,
                                                   shard=shard, limit=limit))
        if "report" not in want:
            return {}
        assert chosen is not None
        if c.ship:
            ship(chosen, Path(c.ship), base=self.base, prompt_version=c.prompt_version,
                 recipe={"recipe": dataclasses.asdict(c), "chosen": chosen.name, "nano_val_mean": val})
        from train.nano_report import write_report

        summary = write_report(self, runs, val=val, chosen=chosen)
        self.say(f"report written to {self.out / 'report.md'}" + (f" and {c.docs}" if c.docs else ""))
        return summary


def ship(adapter: Path, dest: Path, *, base: str, prompt_version: str, recipe: dict[str, Any]) -> Path:
    """Copy the adapter files (not checkpoints or optimizer state) and its metadata into `dest`."""
    from train.sft import write_adapter_meta

    dest.mkdir(parents=True, exist_ok=True)
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        shutil.copy2(adapter / name, dest / name)
    write_adapter_meta(dest, base=Path(base).name, prompt_version=prompt_version, mode="agent", recipe=recipe)
    return dest


def main(argv: list[str] | None = None) -> int:
    from trl import TrlParser

    parser = TrlParser(RecipeConfig, prog="deepmath-train recipe", description=__doc__.split("\n\n")[0])
    (cfg,) = parser.parse_args_and_config(args=argv)
    try:
        Recipe(cfg).run()
    except RuntimeError as exc:
        print(f"deepmath-train recipe: error: {exc}\n(rerun the same command to resume)", file=sys.stderr)
        return 1
    return 0
