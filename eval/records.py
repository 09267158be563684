"""The on-disk format of an evaluation run: one JSONL file, a header line then one line per problem.

Why JSONL with whole-problem lines: a run of 500 problems × 16 samples takes hours, so it must
survive interruption. Each line is written (and flushed) only when all K samples of a problem are
finished, so a file cut anywhere holds only complete problems plus at most one torn last line;
`read_run` drops the torn line, and resuming skips every id already present. Keeping every
sample's answer, verdict and cluster lets `score` recompute every metric without the model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field


class RunHeader(BaseModel):
    """Everything needed to reproduce or compare a run (first line of the file)."""

    type: Literal["header"] = "header"
    dataset: str
    dataset_size: int = Field(description="problems in the dataset after --limit, before sharding")
    shard: str | None = Field(default=None, description="'i/n' when this file holds one shard")
    samples: int
    mode: Literal["agent", "plain"]
    model: str
    engine: str
    tokenizer: str = Field(description="tokenizer that counted model/trace tokens")
    prompt_version: str
    sampling: dict[str, Any]
    budgets: dict[str, Any]
    mcp: str | None = None
    concurrency: int
    seed: int | None = None
    versions: dict[str, str] = Field(default_factory=dict)
    started_at: str = ""
    tie_break: str = "maj@k: unparsable answers do not vote; ties go to the cluster seen first"


class SampleRecord(BaseModel):
    """One trajectory, reduced to what scoring and analysis need."""

    answer: str | None
    correct: bool
    cluster: int | None = Field(description="index of the earliest equivalent sample; None = unparsable")
    model_tokens: int
    trace_tokens: int = Field(description="completion tokens: model + tool output")
    tool_calls: int
    tool_errors: int
    finish_reason: str
    wall_s: float


class ProblemRecord(BaseModel):
    """One problem with all K samples."""

    type: Literal["problem"] = "problem"
    id: str
    problem: str
    gold: str
    samples: list[SampleRecord]
    wall_s: float = Field(description="from the first sample's start to the last sample's end")


class Run(BaseModel):
    """A run read back from disk."""

    path: str
    header: RunHeader
    problems: list[ProblemRecord]
    torn_lines: int = 0
    duplicates: int = 0

    @property
    def label(self) -> str:
        return Path(self.path).stem


def read_run(path: str | Path) -> Run:
    """Read a run file. A torn (unparsable) line is skipped and counted; a repeated id keeps the
    first record (a resumed run never writes one, but concatenated shards might)."""
    path = Path(path)
    header: RunHeader | None = None
    problems: dict[str, ProblemRecord] = {}
    torn = dups = 0
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                torn += 1
                continue
            if obj.get("type") == "header":
                if header is None:
                    header = RunHeader.model_validate(obj)
                continue
            rec = ProblemRecord.model_validate(obj)
            if rec.id in problems:
                dups += 1
                continue
            problems[rec.id] = rec
    if header is None:
        raise ValueError(f"{path}: no header record; not a deepmath-eval run file")
    return Run(path=str(path), header=header, problems=list(problems.values()), torn_lines=torn,
               duplicates=dups)


_SAME_RUN = ("dataset", "dataset_size", "samples", "mode", "model", "prompt_version", "sampling", "budgets")


def merge_runs(runs: list[Run]) -> list[Run]:
    """Merge files that belong to one run (shards): same dataset, K, mode, model, prompt, sampling
    and budgets. The first file's header is kept (shard cleared); a problem id present in several
    files is kept once (first file wins) and counted in `duplicates`."""
    groups: dict[str, list[Run]] = {}
    for run in runs:
        key = json.dumps([getattr(run.header, k) for k in _SAME_RUN], sort_keys=True, default=str)
        groups.setdefault(key, []).append(run)
    merged = []
    for members in groups.values():
        if len(members) == 1:
            merged.append(members[0])
            continue
        seen: dict[str, ProblemRecord] = {}
        dups = 0
        for run in members:
            for p in run.problems:
                if p.id in seen:
                    dups += 1
                else:
                    seen[p.id] = p
        header = members[0].header.model_copy(update={"shard": None})
        stem = Path(members[0].path)
        merged.append(Run(path=str(stem.with_name(stem.stem + f"+{len(members) - 1}" + stem.suffix)), header=header,
                          problems=list(seen.values()), torn_lines=sum(r.torn_lines for r in members),
                          duplicates=dups + sum(r.duplicates for r in members)))
    return merged


def truncate_torn_tail(path: Path) -> int:
    """Cut a partial last line (left by a kill mid-write) so appended records start on a fresh
    line. Returns the number of bytes removed."""
    if not path.exists():
        return 0
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return 0
    keep = data.rfind(b"\n") + 1
    with path.open("r+b") as fh:
        fh.truncate(keep)
    return len(data) - keep
