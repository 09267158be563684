"""The DeepMath-nano report: the ablation table per dataset, the paired differences the issue asks for,
the accuracy-vs-length plot, and the configs and timings that produced them.

Scores come from `eval.report.score_runs` (the same numbers `deepmath-eval score` prints); the
paired differences from `eval.report.paired_delta` (bootstrap over problems, same test items).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

ROW_NAMES = {
    "a-base-plain": "(a) base, plain",
    "b-base-agent-fewshot": "(b) base + agent, few-shot",
    "c-sft-plain": "(c) SFT no-tool control, plain",
    "d-sft-agent": "(d) SFT, agent",
    "e-sft-grpo-agent": "(e) SFT + GRPO, agent",
}
PAIRS = [("c-sft-plain", "d-sft-agent", "tool vs no-tool at the same budget (d − c)"),
         ("d-sft-agent", "e-sft-grpo-agent", "GRPO over SFT (e − d)"),
         ("a-base-plain", "e-sft-grpo-agent", "the whole recipe (e − a)")]


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _row_key(path: Path) -> str:
    return path.stem.split("--", 1)[1]


def table(runs: list[Any], scores: list[Any]) -> list[str]:
    k = scores[0].samples_per_problem if scores else 0
    lines = [f"| row | problems | mean@{k} % [95% CI] | maj@{k} % | pass@{k} % | model tokens | tool calls / sample "
             "| tool error % | wall s / problem |", "|---|---|---|---|---|---|---|---|---|"]
    for run, s in zip(runs, scores):
        top = max(s.pass_at)
        lines.append(f"| {ROW_NAMES.get(_row_key(Path(run.path)), run.label)} | {s.problems} | "
                     f"{_pct(s.mean.value)} [{_pct(s.mean.lo)}, {_pct(s.mean.hi)}] | {_pct(s.maj.value)} | "
                     f"{_pct(s.pass_at[top].value)} | {s.mean_model_tokens:.0f} | {s.tool_calls_per_sample:.2f} | "
                     f"{_pct(s.tool_error_rate)} | {s.wall_s_per_problem:.1f} |")
    return lines


def common_problems(runs: list[Any]) -> list[Any]:
    """The runs restricted to the problems every one of them finished, so every row is scored on the same
    items (rows may come from different shards, or be cut short; the paired differences need this too)."""
    ids = set.intersection(*({p.id for p in r.problems} for r in runs))
    return [r.model_copy(update={"problems": [p for p in r.problems if p.id in ids]}) for r in runs]


def write_report(recipe: Any, runs: dict[str, list[Path]], *, val: dict[str, float], chosen: Path) -> dict[str, Any]:
    from eval.plot import accuracy_vs_length
    from eval.records import read_run
    from eval.report import paired_delta, score_runs

    out: Path = recipe.out
    md = ["## Results", "",
          "Produced by `deepmath-train recipe` (train/recipe.py); every figure below is read from the run files "
          f"in `{out.name}/eval/`. Test split = `nano-test`: phrasings and number ranges never seen in training.", ""]
    summary: dict[str, Any] = {"val_mean": val, "chosen": chosen.name, "datasets": {}}
    all_runs, all_scores = [], []
    for dataset, paths in runs.items():
        if not paths:
            continue
        loaded = common_problems([read_run(p) for p in paths])
        scores = score_runs(loaded)
        all_runs += loaded
        all_scores += scores
        md += [f"### {dataset}", "", f"{scores[0].problems} problems, each finished by every row (rows are compared "
               "on the same items).", "", *table(loaded, scores), ""]
        by_key = {_row_key(p): r for p, r in zip(paths, loaded)}
        deltas = {}
        for base, other, what in PAIRS:
            if base in by_key and other in by_key:
                d, lo, hi, n = paired_delta(by_key[base], by_key[other], "mean")
                deltas[what] = {"delta": d, "lo": lo, "hi": hi, "problems": n}
                md.append(f"- {what}: {100 * d:+.1f} points mean@k, 95% CI [{100 * lo:+.1f}, {100 * hi:+.1f}] "
                          f"({n} paired problems)")
        md.append("")
        summary["datasets"][dataset] = {
            "rows": {_row_key(p): s.model_dump() for p, s in zip(paths, scores)}, "paired": deltas}
    plot = accuracy_vs_length(all_runs, all_scores, out / "acc_vs_len.png", metric="mean")
    md += ["### Accuracy vs length", "", f"![accuracy vs length]({plot.name})", "",
           "### Checkpoint choice (nano-val, never nano-test)", "",
           *[f"- {name}: mean@k {_pct(v)} %" for name, v in val.items()], f"- shipped: `{chosen.name}`", "",
           "### Configuration and timings", "", "```json",
           json.dumps({"recipe": dataclasses.asdict(recipe.cfg), "stage_seconds": recipe.timings}, indent=2), "```", ""]
    text = "\n".join(md)
    (out / "report.md").write_text(text)
    (out / "report.json").write_text(json.dumps(summary, indent=2, default=str))
    if recipe.cfg.docs:
        splice_docs(Path(recipe.cfg.docs), text.replace(f"]({plot.name})", "](nano_acc_vs_len.png)"))
        (Path(recipe.cfg.docs).parent / "nano_acc_vs_len.png").write_bytes(plot.read_bytes())
    return summary


BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def splice_docs(path: Path, results: str) -> None:
    """Replace the results part of a hand-written page (between the markers); the rest stays as written."""
    text = path.read_text() if path.is_file() else f"{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        raise RuntimeError(f"{path}: no {BEGIN} ... {END} markers to write the results between")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    path.write_text(f"{head}{BEGIN}\n{results}\n{END}{tail}")
