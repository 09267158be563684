"""Training problems as a `datasets.Dataset` with two columns: `prompt` (the bare problem) and `answer`.

Why the bare problem: the agent builds the real prompt (system prompt, few-shot examples, chat
template) itself, so the dataset carries no template and there is exactly one place where the
prompt is made. The `answer` column reaches the reward functions through TRL's reward kwargs.

Sources: `openmath-tir` (Intel's training set: OpenMathReasoning's tool-integrated-reasoning
problems with extracted answers, `fastragdev/openmathreasoning-tir`, needs the hub), `champ`
(270 competition problems from PyPI `champ-dataset`, offline), `hf:OWNER/NAME[:SPLIT]` (any hub
dataset), or a local .jsonl/.json/.parquet/.csv file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

OPENMATH_TIR = "fastragdev/openmathreasoning-tir"
LOCAL_SUFFIXES = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}


def champ_rows() -> list[dict[str, str]]:
    """The CHAMP problems (offline, from the `champ-dataset` wheel)."""
    import champ_dataset

    ds = champ_dataset.load("v0")
    return [{"problem": p.text, "answer": str(p.answer)} for p in ds.problems.values()]


def load_problems(source: str, *, problem_field: str = "problem", answer_field: str = "answer",
                  max_samples: int | None = None, seed: int = 42) -> Any:
    """Load, normalise to (prompt, answer), drop rows without both, shuffle, cap."""
    from datasets import Dataset, load_dataset

    if source == "champ":
        ds = Dataset.from_list(champ_rows())
        problem_field, answer_field = "problem", "answer"
    elif source == "openmath-tir" or source.startswith("hf:"):
        name = OPENMATH_TIR if source == "openmath-tir" else source[3:]
        name, _, split = name.partition(":")
        try:
            ds = load_dataset(name, split=split or "train")
        except Exception as exc:  # offline, unknown name, no such split: say which and what to do instead
            raise ValueError(f"could not load hub dataset {name!r} (split {split or 'train'!r}): "
                             f"{type(exc).__name__}: {exc}. Offline? Use --dataset champ or a local file.") from exc
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"dataset {source!r}: not 'openmath-tir', 'champ', 'hf:NAME' or an existing file")
        kind = LOCAL_SUFFIXES.get(path.suffix.lower())
        if kind is None:
            raise ValueError(f"dataset file {path}: unsupported suffix (use one of {sorted(LOCAL_SUFFIXES)})")
        ds = load_dataset(kind, data_files=str(path), split="train")

    missing = [c for c in (problem_field, answer_field) if c not in ds.column_names]
    if missing:
        raise ValueError(f"dataset {source!r} has no column(s) {missing}; columns: {ds.column_names} "
                         f"(set --problem-field / --answer-field)")
    ds = ds.select_columns([problem_field, answer_field])
    ds = ds.map(lambda r: {"prompt": str(r[problem_field] or "").strip(), "answer": str(r[answer_field] or "").strip()},
                remove_columns=ds.column_names)
    ds = ds.select_columns(["prompt", "answer"]).filter(lambda r: bool(r["prompt"]) and bool(r["answer"]))
    if len(ds) == 0:
        raise ValueError(f"dataset {source!r}: no rows with both a problem and an answer")
    ds = ds.shuffle(seed=seed)
    if max_samples is not None:
        ds = ds.select(range(min(max_samples, len(ds))))
    return ds
