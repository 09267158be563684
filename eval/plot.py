"""Accuracy against mean output length: the picture DeepMath is about (same accuracy, fewer tokens).

One point per run per dataset, x = mean model tokens per sample (the model's own tokens, the cost
that matters at inference), y = accuracy with its 95% bootstrap interval as the error bar; one
colour per dataset, one marker per run label so a run can be followed across datasets.

Why legends instead of labels next to the points: runs of similar length and accuracy sit on top
of each other, and their text labels overlapped into an unreadable blob; the legends sit outside
the axes, so nothing is drawn over the data whatever the points' positions.
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
    fig, ax = plt.subplots(figsize=(9, 5), dpi=120)
    for run, score in zip(runs, scores):
        est = score.maj if metric == "maj" else score.mean
        color = cmap(datasets.index(run.header.dataset) % 10)
        marker = MARKERS[labels.index(_label(run)) % len(MARKERS)]
        y = 100 * est.value
        ax.errorbar(score.mean_model_tokens, y, yerr=[[y - 100 * est.lo], [100 * est.hi - y]], fmt=marker,
                    color=color, capsize=4, markersize=8, alpha=0.85)
    from matplotlib.lines import Line2D

    run_legend = ax.legend(
        [Line2D([], [], marker=MARKERS[i % len(MARKERS)], color="0.3", linestyle="none", markersize=7)
         for i in range(len(labels))], labels, title="run", fontsize=8, title_fontsize=9,
        loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    ax.add_artist(run_legend)
    dataset_legend = ax.legend([Line2D([], [], marker="o", color=cmap(i % 10), linestyle="none", markersize=7)
               for i in range(len(datasets))], datasets, title="dataset", fontsize=8, title_fontsize=9,
              loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=min(len(datasets), 6))
    ks = {s.samples_per_problem for s in scores}
    k = ks.pop() if len(ks) == 1 else "k"
    ax.set_xlabel("mean model tokens per sample")
    ax.set_ylabel(f"{'maj' if metric == 'maj' else 'mean'}@{k} accuracy (%), 95% bootstrap CI")
    ax.set_title("Accuracy vs output length")
    ax.set_ylim(-5, 105)
    ax.grid(alpha=0.3)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, bbox_inches="tight", bbox_extra_artists=[run_legend, dataset_legend])
    plt.close(fig)
    return out


def _label(run: Run) -> str:
    return f"{run.label} ({run.header.mode})"
