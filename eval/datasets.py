"""Problems as plain `{id, problem, answer}` records: the one loader of eval *and* training.

`load(NAME | hf:OWNER/NAME[:SPLIT] | FILE)` is the only way problems enter the project:
`deepmath-eval run --dataset` and `deepmath-train --dataset` (train/data.py wraps it) take the
same names, the same column flags and get the same golds. Named datasets live in `REGISTRY`, a
mapping from name to a loader (`register` adds one), so a new benchmark or generated family is
one entry.

Why a registry: every benchmark on the hub spells its columns differently (`problem` vs
`question`, `unique_id` vs `problem_idx`, AIME split into two configs, HLE mixing images and
multiple choice into its test split). Normalising here keeps the runner and the run files
dataset-agnostic. Why local files too: this machine (and many clusters) has no hub access, so any
JSONL/Parquet/CSV export must work with a column mapping, and the offline error says exactly that.
`champ` ships inside the PyPI package `champ-dataset`, so it always works offline.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

log = logging.getLogger(__name__)


class Problem(BaseModel):
    """One benchmark item. `answer` is the reference answer as LaTeX (or plain text); `form`, when
    set, is how it is graded (`eval.answer_forms`, e.g. "base" for a base-n numeral)."""

    id: str
    problem: str
    answer: str
    form: str | None = None


class DatasetUnavailable(ValueError):
    """A --dataset value that cannot be loaded (unknown name, missing file, offline and not in the
    local HF cache): a usage error, hence a ValueError."""


@dataclass(frozen=True)
class HubDataset:
    """Where a named benchmark lives on the Hugging Face hub and how to read its columns."""

    name: str
    repo: str
    split: str
    problem: str
    answer: str
    id: str | None = None
    configs: tuple[str | None, ...] = (None,)
    keep: Callable[[dict[str, Any]], bool] | None = None
    description: str = ""


def _hle_text_exact_math(row: dict[str, Any]) -> bool:
    return row.get("category") == "Math" and row.get("answer_type") == "exactMatch" and not row.get("image")


HUB: dict[str, HubDataset] = {d.name: d for d in [
    HubDataset("math500", "HuggingFaceH4/MATH-500", "test", "problem", "answer", "unique_id",
               description="MATH-500 (500 problems, LaTeX answers)"),
    HubDataset("aime25", "opencompass/AIME2025", "test", "question", "answer",
               configs=("AIME2025-I", "AIME2025-II"), description="AIME 2025 I+II (30 integer answers)"),
    HubDataset("aime24", "HuggingFaceH4/aime_2024", "train", "problem", "answer", "id",
               description="AIME 2024 I+II (30 integer answers)"),
    HubDataset("hmmt25", "MathArena/hmmt_feb_2025", "train", "problem", "answer", "problem_idx",
               description="HMMT February 2025 (30 problems)"),
    HubDataset("hle", "cais/hle", "test", "question", "answer", "id", keep=_hle_text_exact_math,
               description="Humanity's Last Exam: text-only, exact-match, category Math (gated on the hub)"),
    HubDataset("openmath-tir", "fastragdev/openmathreasoning-tir", "train", "problem", "answer",
               description="training set of Intel's DeepMath: OpenMathReasoning tool-integrated-reasoning "
                           "problems with extracted answers (hub)"),
]}


@dataclass(frozen=True)
class Named:
    """A named dataset: a one-line description and a function returning its problems in a stable order;
    a generated one may also take options (`NAME:OPTIONS`, e.g. `dm-interpolate:per_module=20,seed=3`)."""

    description: str
    load: Callable[[], list[Problem]]
    load_with: Callable[[str], list[Problem]] | None = None


REGISTRY: dict[str, Named] = {}


def register(name: str, description: str, loader: Callable[[], list[Problem]],
             with_options: Callable[[str], list[Problem]] | None = None) -> None:
    """Add a named dataset (the names `--dataset` accepts in eval and training); `with_options`
    loads `NAME:OPTIONS` (the text after the colon is its argument)."""
    if name in REGISTRY or name.startswith("hf:") or ":" in name:
        raise ValueError(f"dataset name {name!r} is taken or reserved")
    REGISTRY[name] = Named(description, loader, with_options)


_PROBLEM_COLS = ("problem", "question", "Problem", "Question", "prompt")
_ANSWER_COLS = ("answer", "Answer", "final_answer", "expected_answer", "gold", "solution_answer")
_ID_COLS = ("id", "unique_id", "problem_idx", "ID", "idx", "problem_id")


@dataclass
class ColumnMap:
    """Which columns of a local file hold the problem, the answer and the id (None = detect)."""

    problem: str | None = None
    answer: str | None = None
    id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def available() -> dict[str, str]:
    """Every named dataset with a one-line description."""
    return {n: d.description for n, d in REGISTRY.items()}


def load(name_or_path: str, *, columns: ColumnMap | None = None, limit: int | None = None) -> list[Problem]:
    """Load a named dataset, a hub dataset (`hf:OWNER/NAME[:SPLIT]`, split default train) or a
    local JSONL/JSON/Parquet/CSV file, in a stable order. Rows without a problem or an answer are
    dropped (they can be neither graded nor rewarded); ids must be unique."""
    path = Path(name_or_path)
    columns = columns or ColumnMap()
    base, _, options = name_or_path.partition(":")
    if name_or_path in REGISTRY:
        items = REGISTRY[name_or_path].load()
    elif options and REGISTRY.get(base) is not None and REGISTRY[base].load_with is not None:
        items = REGISTRY[base].load_with(options)
    elif name_or_path.startswith("hf:"):
        repo, _, split = name_or_path[3:].partition(":")
        items = _load_hub(HubDataset(name_or_path, repo, split or "train", columns.problem or "", columns.answer or "",
                                     columns.id))
    elif path.suffix.lower() in {".jsonl", ".json", ".parquet", ".csv"} or path.exists():
        items = load_file(path, columns)
    else:
        raise DatasetUnavailable(
            f"unknown dataset {name_or_path!r}: use one of {', '.join(available())}, hf:OWNER/NAME[:SPLIT] "
            "or a path to a .jsonl/.json/.parquet/.csv file")
    kept = [p for p in items if p.problem.strip() and p.answer.strip()]
    if len(kept) < len(items):
        log.warning("%s: dropped %d row(s) without a problem or an answer", name_or_path, len(items) - len(kept))
    if len({p.id for p in kept}) != len(kept):
        raise ValueError(f"{name_or_path}: problem ids are not unique; pass --id-col with a unique column")
    return kept[:limit] if limit is not None else kept


def _load_hub(spec: HubDataset) -> list[Problem]:
    try:
        import datasets as hf_datasets
    except ImportError as e:  # the optional [eval] extra is not installed
        raise DatasetUnavailable(f"{spec.name} needs the `datasets` package: pip install 'deepmath[eval]'") from e
    out: list[Problem] = []
    for config in spec.configs:
        try:
            ds = hf_datasets.load_dataset(spec.repo, config, split=spec.split)
        except Exception as e:  # noqa: BLE001 - re-raised with the way out
            raise DatasetUnavailable(
                f"could not load {spec.repo}{'/' + config if config else ''} (split {spec.split}): "
                f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}\n"
                f"This happens offline (HF_HUB_OFFLINE=1, no network) when the dataset is not in the "
                f"local Hugging Face cache{', or without access to this gated dataset' if spec.name == 'hle' else ''}.\n"
                f"Either download it once with network access "
                f"(python -c \"import datasets; datasets.load_dataset('{spec.repo}'"
                f"{', ' + repr(config) if config else ''}, split='{spec.split}')\"), "
                f"or export it to a file and pass the file instead of the name:\n"
                f"  --dataset {spec.repo.rsplit('/', 1)[-1] if spec.name.startswith('hf:') else spec.name}.jsonl"
                f"{' --problem-col ' + spec.problem if spec.problem else ''}"
                f"{' --answer-col ' + spec.answer if spec.answer else ''}{' --id-col ' + spec.id if spec.id else ''}"
                f"  (or --dataset champ, which is always available offline)") from e
        cols, where = ds.column_names, f"{spec.repo} (split {spec.split})"
        pcol = _pick(cols, spec.problem or None, _PROBLEM_COLS, "problem", where)
        acol = _pick(cols, spec.answer or None, _ANSWER_COLS, "answer", where)
        icol = _pick(cols, spec.id, _ID_COLS, "id", where, required=False) if spec.name.startswith("hf:") else spec.id
        for i, row in enumerate(ds):
            if spec.keep is not None and not spec.keep(row):
                continue
            rid = str(row[icol]) if icol else f"{config or spec.name}-{i}"
            out.append(Problem(id=rid, problem=_text(row[pcol]), answer=_answer_text(row[acol])))
    return out


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _answer_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _text(value)


def _pick(cols: Iterable[str], wanted: str | None, candidates: tuple[str, ...], what: str, path: Path | str,
          required: bool = True) -> str | None:
    cols = list(cols)
    if wanted is not None:
        if wanted not in cols:
            raise ValueError(f"{path}: no column {wanted!r} (columns: {', '.join(cols)})")
        return wanted
    for c in candidates:
        if c in cols:
            return c
    if required:
        raise ValueError(f"{path}: cannot tell which column holds the {what}; columns are "
                         f"{', '.join(cols)}; pass --{what}-col NAME")
    return None


def _rows(path: Path) -> list[dict[str, Any]]:
    suffix = path.suffix.lower()
    if not path.exists():
        raise DatasetUnavailable(f"no such file: {path}")
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    text = path.read_text(encoding="utf-8")
    if suffix == ".json" and text.lstrip().startswith("["):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def load_file(path: Path, columns: ColumnMap) -> list[Problem]:
    """Read a local JSONL / JSON array / Parquet / CSV file with a column mapping."""
    rows = _rows(Path(path))
    if not rows:
        raise ValueError(f"{path}: the file has no rows")
    cols = rows[0].keys()
    pcol = _pick(cols, columns.problem, _PROBLEM_COLS, "problem", path)
    acol = _pick(cols, columns.answer, _ANSWER_COLS, "answer", path)
    icol = _pick(cols, columns.id, _ID_COLS, "id", path, required=False)
    return [Problem(id=str(r[icol]) if icol else str(i), problem=_text(r[pcol]), answer=_answer_text(r[acol]))
            for i, r in enumerate(rows)]


def champ_answer(raw: str) -> str:
    """CHAMP's answers mark math with @@...@@ and sometimes add alternatives: "@@C(10, 5)@@, or
    equivalently @@252@@" (take the explicit value after "equivalently"), "@@5/14@@, or
    approximately 35.7%" (take the exact value before the approximation)."""
    if "equivalently" in raw:
        raw = raw.rsplit("equivalently", 1)[1]
    elif ", or " in raw:
        raw = raw.split(", or ", 1)[0]
    return raw.replace("@@", "").strip(" .,")


def _closed_form_number(answer: str) -> bool:
    from eval.grading import parse_gold

    import re

    # a letter outside a LaTeX command is a variable or a word ("2^floor(n/2)*floor(n/2)!"): math-verify's
    # extraction can still pull a number out of such text, which would make a wrong gold look gradable
    if re.search(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+", "", answer)):
        return False
    parsed = parse_gold(answer)
    return bool(parsed) and hasattr(parsed[0], "free_symbols") and not parsed[0].free_symbols \
        and bool(getattr(parsed[0], "is_number", False))


def load_champ(*, gradable_only: bool = True) -> list[Problem]:
    """CHAMP from the installed `champ-dataset` package (no network)."""
    try:
        import champ_dataset
    except ImportError as e:
        raise DatasetUnavailable("champ needs the PyPI package champ-dataset: pip install champ-dataset") from e
    ds = champ_dataset.load("v0")
    out = []
    for pid, p in ds.problems.items():
        answer = champ_answer(p.raw_answer)
        if gradable_only and not _closed_form_number(answer):
            continue
        out.append(Problem(id=pid, problem=p.text, answer=answer))
    return out


for _spec in HUB.values():
    register(_spec.name, _spec.description, lambda spec=_spec: _load_hub(spec))
register("champ", "CHAMP (PyPI champ-dataset, offline): problems whose final answer is a closed-form number",
         lambda: load_champ(gradable_only=True))
register("champ-all", "CHAMP (PyPI champ-dataset, offline): all 270 problems, answers as written (some are prose)",
         lambda: load_champ(gradable_only=False))


def _families(split: str) -> list[Problem]:
    from eval import families

    return families.problems(split)


register("nano-train", "generated math families (eval.families), train split: train phrasings and number ranges",
         lambda: _families("train"))
register("nano-val", "generated math families, validation split: held-out phrasings, train number ranges",
         lambda: _families("val"))
register("nano-test", "generated math families, test split: phrasings and number ranges never used in training",
         lambda: _families("test"))


def _deepmind(split: str | tuple[str, ...], options: str = "") -> list[Problem]:
    import importlib.util

    if importlib.util.find_spec("mathematics_dataset") is None:
        raise DatasetUnavailable("DeepMind Mathematics needs the PyPI package mathematics-dataset: "
                                 "pip install 'deepmath[eval]'")
    from eval import deepmind

    return deepmind.problems(split, **deepmind.parse_options(options))


for _name, _split, _what in (
        ("dm-train", ("train-easy", "train-medium", "train-hard"), "train-easy/medium/hard, 10 per module each"),
        ("dm-interpolate", "interpolate", "interpolate (test), 56 modules x 10"),
        ("dm-extrapolate", "extrapolate", "extrapolate (test), 15 modules x 10")):
    register(_name, f"DeepMind Mathematics (generated, seed 0; `{_name}:per_module=N,seed=S`): "
                    f"{_what}",
             lambda split=_split: _deepmind(split), lambda options, split=_split: _deepmind(split, options))
