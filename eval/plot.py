"""Accuracy against mean output length: the picture DeepMath is about (same accuracy, fewer tokens).

One point per run per dataset, x = mean model tokens per sample (the model's own tokens, the cost
that matters at inference), y = accuracy with its 95% bootstrap interval as the error bar; one
colour per dataset, one marker per run label so a run can be followed across datasets.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from eval.metrics import RunScore
from eval.records import Run

MARKERS = "osD^v<>PX*h"


def accuracy_vs_length(runs: Sequence[Run], scores: Sequence[RunScore], out: str | Path, *,
                       metric: str = "maj") -> Path:
    """Write a PNG and return its path. `metric` is 'maj' (maj@k) or 'mean' (mean@k)."""
    import matplotlib

    matplotlib.use("Agg")  # no display: write files only
    import matplotlib.pyplot as plt

    datasets = sorted({r.header.dataset for r in runs})
    labels = list(dict.fromkeys(_label(r) for r in runs))
    cmap = plt.get_cmap("tab10")
    fig, ax = plt.subplots(figsize=(7.5, 5), dpi=120)
    for run, score in zip(runs, scores):
        est = score.maj if metric == "maj" else score.mean
        color = cmap(datasets.index(run.header.dataset) % 10)
        marker = MARKERS[labels.index(_label(run)) % len(MARKERS)]
        y = 100 * est.value
        ax.errorbar(score.mean_model_tokens, y, yerr=[[y - 100 * est.lo], [100 * est.hi - y]], fmt=marker,
                    color=color, capsize=4, markersize=8, alpha=0.9)
        ax.annotate(_label(run), (score.mean_model_tokens, y), textcoords="offset points", xytext=(7, 5),
                    fontsize=8)
    for i, d in enumerate(datasets):
        ax.plot([], [], "o", color=cmap(i % 10), label=d)
    ax.legend(title="dataset", loc="best", fontsize=8)
    ks = {s.samples_per_problem for s in scores}
    k = ks.pop() if len(ks) == 1 else "k"
    ax.set_xlabel("mean model tokens per sample")
    ax.set_ylabel(f"{'maj' if metric == 'maj' else 'mean'}@{k} accuracy (%)  ·  95% bootstrap CI")
    ax.set_title("Accuracy vs output length")
    ax.set_ylim(-5, 105)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


def _label(run: Run) -> str:
    return f"{run.label} ({run.header.mode})"
