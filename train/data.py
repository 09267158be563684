"""Training problems as a `datasets.Dataset` with two columns: `prompt` (the bare problem) and `answer`
(and a third, `form`, for datasets whose golds have answer forms: DeepMind Mathematics).

Why a wrapper around `eval.datasets.load`: eval and training must see the same problems with the
same golds (CHAMP's answers, for instance, are cleaned and filtered to gradable ones there), so
the registry in eval/datasets.py is the only loader and this module only shuffles, caps and
converts. `--dataset` takes the same values in both commands: a registry name (`openmath-tir`,
Intel's training set on the hub; `champ`, offline; see `deepmath-eval datasets`),
`hf:OWNER/NAME[:SPLIT]`, or a local .jsonl/.json/.parquet/.csv file, with `--problem-col`,
`--answer-col` and `--id-col` for its columns.

Why the bare problem: the agent builds the real prompt (system prompt, few-shot examples, chat
template) itself, so the dataset carries no template and there is exactly one place where the
prompt is made. The `answer` and `form` columns reach the reward functions through TRL's reward kwargs.
"""

from __future__ import annotations

from typing import Any


def load_problems(source: str, *, problem_col: str | None = None, answer_col: str | None = None,
                  id_col: str | None = None, max_samples: int | None = None, seed: int = 42) -> Any:
    """The problems of `source` (see eval.datasets.load), shuffled with `seed`, capped at `max_samples`."""
    from datasets import Dataset

    from eval.datasets import ColumnMap, load

    problems = load(source, columns=ColumnMap(problem=problem_col, answer=answer_col, id=id_col))
    if not problems:
        raise ValueError(f"dataset {source!r}: no rows with both a problem and an answer")
    with_form = any(p.form is not None for p in problems)
    ds = Dataset.from_list([{"prompt": p.problem, "answer": p.answer, **({"form": p.form} if with_form else {})}
                            for p in problems]).shuffle(seed=seed)
    if max_samples is not None:
        ds = ds.select(range(min(max_samples, len(ds))))
    return ds
