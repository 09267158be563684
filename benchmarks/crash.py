"""Crash consistency, the long run (issue 23 item 3): SIGKILL the evaluation, SFT, GRPO and the recipe at
seeded random moments, rerun each until it completes, and print what the reruns left.

    OMP_NUM_THREADS=1 python benchmarks/crash.py [--seed 23] [--eval-kills 10] [--sft-kills 4]
                                                 [--grpo-kills 3] [--recipe-kills 3] [--only sft,grpo]
                                                 [--keep DIR]

Everything is tests/support/killharness.py (when to kill, rerunning) and tests/support/crashcases.py (the
commands on tiny CPU settings, the checks with the project's readers); tests/*/test_crash_consistency.py
run the same with a handful of kills. The evaluation's model is a scripted OpenAI-compatible server
(answers through the real sandbox); SFT, GRPO and the recipe run the tiny random-weight Qwen3.
Columns: kills, reruns, samples expected / found / duplicated / corrupt (torn or unparsable lines) /
lost (on disk before a rerun, not in the final file byte for byte), checkpoints and adapters loaded
with peft, reruns that resumed from a checkpoint (SFT: the completing one; GRPO: every one that
logged a step), and problems (any failed check). Exit 1 if any row has a problem.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
# benchmarks/agent_client.py would shadow the agent_client package: drop this script's folder
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))

from support.crashcases import (Row, check_grpo_resume, check_recipe, check_run_file, check_sft_resume,  # noqa: E402
                                check_training, eval_case, grpo_case, grpo_state, recipe_case, sample_lines,
                                sft_case, whole_checkpoints)
from support.killharness import run_with_kills  # noqa: E402

PROBLEMS = ((6, 7), (2, 3), (10, 4), (9, 3))


def show(run) -> None:
    """Where each kill landed: the progress level reached, the drawn target and delay, seconds into the attempt."""
    for i, a in enumerate(run.attempts):
        what = f"killed at {a.seconds:.1f} s (progress {a.progress_before} -> target {a.target} + {a.delay_s:.1f} s)" \
            if a.killed else f"exit {a.returncode} after {a.seconds:.1f} s"
        print(f"  {run.command} attempt {i}: {what}", file=sys.stderr, flush=True)


def eval_row(work: Path, model: Path, kills: int, rng: random.Random) -> Row:
    from transformers import AutoTokenizer

    from eval.datasets import load
    from support.champ_policy import champ_policy
    from support.scripted_server import ScriptedCompletions, ScriptedOpenAIServer

    problems = load("champ", limit=6)
    handler = ScriptedCompletions(AutoTokenizer.from_pretrained(model),
                                  champ_policy({p.problem: p.answer for p in problems}), record=False)
    out, kept = work / "eval.jsonl", []
    with ScriptedOpenAIServer(handler, delay_s=0.15) as srv:
        run = run_with_kills(eval_case(out, srv.base_url, model, limit=6, samples=4, jitter_s=0.4), kills, rng,
                             work / "logs", on_rerun=lambda i: kept.append(sample_lines(out)))
    show(run)
    row = Row("eval").add(run)
    check_run_file(out, {p.id for p in problems}, 4, row, kept)
    row.resumed = sum(bool(k) for k in kept)
    return row


def sft_row(work: Path, model: Path, kills: int, rng: random.Random, steps: int = 8) -> Row:
    out, before = work / "sft", []
    run = run_with_kills(sft_case(out, model, steps=steps, jitter_s=0.5), kills, rng, work / "logs",
                         on_rerun=lambda i: before.append(whole_checkpoints(out)))
    show(run)
    row = Row("sft").add(run)
    check_training(out, model, steps, row)
    check_sft_resume(out, before[-1] if before else [], row)
    return row


def grpo_row(work: Path, model: Path, kills: int, rng: random.Random, steps: int = 3) -> Row:
    problems = work / "problems.jsonl"
    problems.write_text("".join(f'{{"problem": "What is {a} + {b}?", "answer": "{a + b}"}}\n' for a, b in PROBLEMS))
    out, before = work / "grpo", []
    run = run_with_kills(grpo_case(out, model, problems, steps=steps, jitter_s=1.0), kills, rng, work / "logs",
                         on_rerun=lambda i: before.append(grpo_state(out)))
    show(run)
    row = Row("grpo").add(run)
    check_training(out, model, steps, row)
    check_grpo_resume(out, before, steps, row)
    return row


def recipe_row(work: Path, model: Path, kills: int, rng: random.Random) -> Row:
    out = work / "nano"
    run = run_with_kills(recipe_case(out, model, jitter_s=8.0), kills, rng, work / "logs")
    show(run)
    row = Row("recipe").add(run)
    check_recipe(out, model, row)
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=23)
    for name, n in (("eval", 10), ("sft", 4), ("grpo", 3), ("recipe", 3)):
        ap.add_argument(f"--{name}-kills", type=int, default=n)
    ap.add_argument("--only", default=None, help="comma-separated commands to run (eval, sft, grpo, recipe)")
    ap.add_argument("--keep", type=Path, default=None, help="work here and keep the files (default: a temp folder)")
    args = ap.parse_args(argv)
    from support.tiny_model import build_tiny_model

    with tempfile.TemporaryDirectory(prefix="deepmath-crash-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        model = build_tiny_model(work / "tiny")
        rows = []
        for i, (make, kills) in enumerate(((eval_row, args.eval_kills), (sft_row, args.sft_kills),
                                           (grpo_row, args.grpo_kills), (recipe_row, args.recipe_kills))):
            if args.only and make.__name__.removesuffix("_row") not in args.only.split(","):
                continue
            t0 = time.monotonic()
            (work / make.__name__).mkdir(exist_ok=True)
            rows.append(make(work / make.__name__, model, kills, random.Random(args.seed * 10 + i)))
            if rows[-1].kills < kills:  # a run that ended before its later kill moments
                rows[-1].problems.append(f"only {rows[-1].kills} of {kills} kills landed")
            print(f"{rows[-1].command}: {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
    cols = ("command", "kills", "reruns", "expected", "found", "duplicated", "corrupt", "lost",
            "checkpoints_loaded", "resumed")
    print("| " + " | ".join(cols) + " | problems |")
    print("|" + "---|" * (len(cols) + 1))
    for r in rows:
        print("| " + " | ".join(str(getattr(r, c)) for c in cols) + f" | {'; '.join(r.problems) or 'none'} |")
    total = {c: sum(getattr(r, c) for r in rows) for c in cols[1:]}
    print("| all | " + " | ".join(str(v) for v in total.values()) + f" | {sum(len(r.problems) for r in rows)} |")
    return int(any(r.problems for r in rows))


if __name__ == "__main__":
    raise SystemExit(main())
