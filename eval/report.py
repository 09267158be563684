"""Tables for `score` and `compare`: one set of rows, rendered as rich, Markdown, CSV or JSON.

Why one row builder for every format: the numbers in a pasted Markdown table, a CSV for a
spreadsheet and the terminal view must be the same numbers. Differences in `compare` are paired
(the same problem ids in both runs) and carry their own bootstrap interval, because two runs on
the same benchmark are correlated and unpaired intervals overstate the uncertainty of a gap.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from eval.metrics import RunScore, bootstrap_ci, problem_majority_correct, score_problems
from eval.records import Run, setting_differences


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _ci(lo: float, hi: float) -> str:
    return f"[{100 * lo:.1f}, {100 * hi:.1f}]"


def score_row(run: Run, score: RunScore) -> dict[str, Any]:
    """One flat row per run (strings for tables; `json_row` keeps the numbers)."""
    h = run.header
    k = score.samples_per_problem
    top = max(score.pass_at)
    return {
        "run": run.label,
        "dataset": h.dataset + (f" [{h.shard}]" if h.shard else ""),
        "model": h.model,
        "mode": h.mode,
        "problems": f"{score.problems}/{h.dataset_size}" if not h.shard else str(score.problems),
        "k": str(k),
        "maj@k %": _pct(score.maj.value),
        "maj 95% CI": _ci(score.maj.lo, score.maj.hi),
        "mean@k %": _pct(score.mean.value),
        "mean 95% CI": _ci(score.mean.lo, score.mean.hi),
        "pass@k %": _pct(score.pass_at[top].value),
        "model tok": f"{score.mean_model_tokens:.0f}",
        "trace tok": f"{score.mean_trace_tokens:.0f}",
        "tools/problem": f"{score.tool_calls_per_problem:.2f}",
        "tool err %": _pct(score.tool_error_rate),
        "unparsable %": _pct(score.unparsable_rate),
        "finish": " ".join(f"{k}:{v}" for k, v in score.finish_reasons.items()),
        "wall s/problem": f"{score.wall_s_per_problem:.1f}",
    }


def json_row(run: Run, score: RunScore) -> dict[str, Any]:
    return {"run": run.path, "header": run.header.model_dump(), "score": score.model_dump(),
            "torn_lines": run.torn_lines, "duplicates": run.duplicates}


def paired_delta(base: Run, other: Run, metric: str = "mean", *, seed: int = 0) -> tuple[float, float, float, int]:
    """(delta, lo, hi, n_common) of a per-problem accuracy, `other - base`, over the common ids."""
    def per_problem(run: Run) -> dict[str, float]:
        out = {}
        for p in run.problems:
            if metric == "maj":
                out[p.id] = float(problem_majority_correct(p))
            else:
                out[p.id] = sum(s.correct for s in p.samples) / len(p.samples)
        return out

    a, b = per_problem(base), per_problem(other)
    common = sorted(a.keys() & b.keys())
    if not common:
        return (float("nan"), float("nan"), float("nan"), 0)
    diffs = [b[i] - a[i] for i in common]
    lo, hi = bootstrap_ci(diffs, seed=seed)
    return (sum(diffs) / len(diffs), lo, hi, len(common))


def compare_numbers(runs: Sequence[Run], scores: Sequence[RunScore], *, seed: int = 0) -> list[dict[str, Any]]:
    """Runs side by side as numbers (fractions in [0, 1]); within each dataset the first run given
    is the baseline, and every other run carries its paired differences to it (`delta`)."""
    out = []
    base_by_dataset: dict[str, tuple[Run, RunScore]] = {}
    for run, score in zip(runs, scores):
        h = run.header
        row: dict[str, Any] = {
            "run": run.path, "label": run.label, "dataset": h.dataset, "shard": h.shard, "model": h.model,
            "mode": h.mode, "problems": score.problems, "dataset_size": h.dataset_size,
            "k": score.samples_per_problem, "maj": score.maj.value, "mean": score.mean.value,
            "pass": score.pass_at[max(score.pass_at)].value, "mean_model_tokens": score.mean_model_tokens,
            "mean_trace_tokens": score.mean_trace_tokens, "tool_calls_per_problem": score.tool_calls_per_problem,
            "tool_error_rate": score.tool_error_rate, "baseline": None, "delta": None}
        base = base_by_dataset.setdefault(h.dataset, (run, score))
        if base[0] is not run:
            dm, mlo, mhi, _ = paired_delta(base[0], run, "maj", seed=seed)
            d, lo, hi, n = paired_delta(base[0], run, "mean", seed=seed)
            btok = base[1].mean_model_tokens
            row["baseline"] = base[0].path
            row["delta"] = {"common_problems": n, "maj": _est(dm, mlo, mhi), "mean": _est(d, lo, hi),
                            "model_tokens_ratio": score.mean_model_tokens / btok if btok else None}
        out.append(row)
    return out


def _est(value: float, lo: float, hi: float) -> dict[str, float | None]:
    """JSON has no NaN: no common problems gives nulls."""
    return {k: None if math.isnan(v) else v for k, v in (("value", value), ("lo", lo), ("hi", hi))}


def compare_rows(numbers: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """`compare_numbers` formatted for the table, Markdown and CSV views."""
    rows = []
    for r in numbers:
        row = {"run": r["label"], "dataset": r["dataset"] + (f" [{r['shard']}]" if r["shard"] else ""),
               "model": r["model"], "mode": r["mode"],
               "problems": f"{r['problems']}/{r['dataset_size']}" if not r["shard"] else str(r["problems"]),
               "k": str(r["k"]), "maj@k %": _pct(r["maj"]), "mean@k %": _pct(r["mean"]), "pass@k %": _pct(r["pass"]),
               "model tok": f"{r['mean_model_tokens']:.0f}", "trace tok": f"{r['mean_trace_tokens']:.0f}",
               "tools/problem": f"{r['tool_calls_per_problem']:.2f}", "tool err %": _pct(r["tool_error_rate"])}
        d = r["delta"]
        if d is None:
            row.update({"Δ maj": "base", "Δ mean [95% CI]": "base", "Δ model tok": "base"})
        else:
            m, ratio = d["mean"], d["model_tokens_ratio"]
            common = d["common_problems"] > 0
            row.update({"Δ maj": f"{100 * d['maj']['value']:+.1f}" if common else "n/a",
                        "Δ mean [95% CI]": f"{100 * m['value']:+.1f} [{100 * m['lo']:+.1f}, {100 * m['hi']:+.1f}] "
                                           f"(n={d['common_problems']})" if common else "no common problems",
                        "Δ model tok": f"{100 * (ratio - 1):+.0f}%" if ratio is not None else "n/a"})
        rows.append(row)
    return rows


WARN_SETTINGS = ("model", "samples", "prompt_version", "budgets", "sampling")


def setting_warnings(runs: Sequence[Run]) -> list[str]:
    """One line per run whose model, k, prompt, budgets or sampling differ from the first run on
    the same dataset: numbers side by side are only comparable when these match (the mode, agent
    or plain, is what a comparison is usually about, so it is not warned about)."""
    out = []
    base_by_dataset: dict[str, Run] = {}
    for run in runs:
        base = base_by_dataset.setdefault(run.header.dataset, run)
        if base is run:
            continue
        diffs = setting_differences(base.header, run.header, WARN_SETTINGS)
        if diffs:
            out.append(f"{run.label} differs from {base.label} on {run.header.dataset} in "
                       + ", ".join(f"{k} ({a!r} vs {b!r})" for k, a, b in diffs))
    return out


def render(rows: list[dict[str, Any]], fmt: str, *, title: str = "", console: Console | None = None,
           json_rows: list[dict[str, Any]] | None = None) -> str | None:
    """Render rows; 'table' prints to the console and returns None, other formats return text."""
    if fmt == "json":
        return json.dumps(json_rows if json_rows is not None else rows, indent=2)
    cols = list(rows[0]) if rows else []
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        return buf.getvalue()
    if fmt == "markdown":
        lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
        lines += ["| " + " | ".join(str(r[c]).replace("|", "\\|") for c in cols) + " |" for r in rows]
        return "\n".join(lines)
    # terminal: transposed (one column per run) so a dozen metrics fit an 80-column terminal
    table = Table(title=title or None, header_style="bold", show_lines=False)
    table.add_column("", style="dim", no_wrap=True)
    for r in rows:
        table.add_column(str(r[cols[0]]), justify="right", overflow="fold")
    for c in cols[1:]:
        table.add_row(c, *(str(r[c]) for r in rows))
    (console or Console()).print(table)
    return None


def score_runs(runs: Sequence[Run], *, seed: int = 0) -> list[RunScore]:
    return [score_problems(r.problems, seed=seed) for r in runs]
