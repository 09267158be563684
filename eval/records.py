"""The on-disk format of an evaluation run: one JSONL file, a header line, then sample and problem lines.

Why a line per *sample*: a run of 500 problems × 16 samples takes hours and is interrupted
(Ctrl-C, a preempted node, a kill). Each trajectory is appended (flushed and fsynced) the moment
it finishes, so an interruption loses at most the samples still in flight; a resumed run keeps the
finished samples of an unfinished problem and generates only the missing ones.

Why a separate *problem* line: grading needs all K answers at once (maj@k clusters equivalent
answers across samples), so when the last sample of a problem is on disk the runner grades the
problem and appends its verdicts (`correct`, `clusters`). A problem counts as finished only when
that line exists; sample lines are observations (what the model did), the problem line is the
judgement. `read_run` joins them into `ProblemRecord`s. A file cut anywhere holds only whole lines
plus at most one torn last line, which `read_run` skips and a resume cuts.

Each sample keeps its trajectory compactly (`Segment`s: prose, code, tool output with its status;
no token ids, no logprobs, no prompt, which follows from the problem and the prompt version), so
`score` recomputes every metric without the model and a wrong sample can be read back.
Files written before sample lines existed (problem lines with embedded samples, no trajectory) are
still read.
"""

from __future__ import annotations

import json
import os
from contextlib import suppress
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from agent_client.trajectory import Segment
from wasm_sandbox import diskfull


class RunHeader(BaseModel):
    """Everything needed to reproduce or compare a run (first line of the file)."""

    type: Literal["header"] = "header"
    dataset: str
    dataset_size: int = Field(description="problems in the dataset after --limit, before sharding "
                                          "(the largest --limit this file was run with)")
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


RESULT_SETTINGS = ("dataset", "shard", "samples", "mode", "model", "tokenizer", "prompt_version", "sampling", "budgets")


def _flat(header: RunHeader, keys: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in keys:
        v = getattr(header, k)
        if isinstance(v, dict):
            out.update({f"{k}.{kk}": vv for kk, vv in v.items()})
        else:
            out[k] = v
    return out


def setting_differences(a: RunHeader, b: RunHeader, keys: tuple[str, ...] = RESULT_SETTINGS
                        ) -> list[tuple[str, Any, Any]]:
    """(setting, value in a, value in b) for every setting among `keys` (default: all that change
    results) that differs; dict settings (budgets, sampling) are compared entry by entry."""
    fa, fb = _flat(a, keys), _flat(b, keys)
    return [(k, fa.get(k), fb.get(k)) for k in dict.fromkeys([*fa, *fb]) if fa.get(k) != fb.get(k)]


class SampleLine(BaseModel):
    """One finished trajectory as written when it finishes (ungraded)."""

    type: Literal["sample"] = "sample"
    id: str = Field(description="the problem's id")
    index: int = Field(description="sample number j in 0..K-1")
    seed: int | None = None
    answer: str | None = Field(default=None, description="the final boxed answer; None = no answer")
    model_tokens: int
    trace_tokens: int = Field(description="completion tokens: model + tool output")
    tool_calls: int
    tool_errors: int
    finish_reason: str
    wall_s: float
    trajectory: list[Segment] = Field(default_factory=list, description="prose, code and tool output in order")


class ProblemLine(BaseModel):
    """The verdicts of one problem, written once all K samples are on disk."""

    type: Literal["problem"] = "problem"
    id: str
    problem: str
    gold: str
    correct: list[bool] = Field(description="per sample, in sample order")
    clusters: list[int | None] = Field(description="per sample: index of the earliest equivalent sample; "
                                                   "None = unparsable")
    wall_s: float = Field(description="from the first sample's start to the last sample's end (in the "
                                      "session that finished the problem)")


class SampleRecord(BaseModel):
    """One graded trajectory, as scoring and analysis see it."""

    answer: str | None
    correct: bool
    cluster: int | None = Field(description="index of the earliest equivalent sample; None = unparsable")
    model_tokens: int
    trace_tokens: int = Field(description="completion tokens: model + tool output")
    tool_calls: int
    tool_errors: int
    finish_reason: str
    wall_s: float
    seed: int | None = None
    trajectory: list[Segment] = Field(default_factory=list)


class ProblemRecord(BaseModel):
    """One problem with all K graded samples."""

    id: str
    problem: str
    gold: str
    samples: list[SampleRecord]
    wall_s: float = Field(description="from the first sample's start to the last sample's end")

    @classmethod
    def join(cls, verdict: ProblemLine, samples: list[SampleLine]) -> ProblemRecord:
        recs = [SampleRecord(correct=ok, cluster=c, **s.model_dump(exclude={"type", "id", "index"}))
                for s, ok, c in zip(samples, verdict.correct, verdict.clusters)]
        return cls(id=verdict.id, problem=verdict.problem, gold=verdict.gold, samples=recs, wall_s=verdict.wall_s)


class Run(BaseModel):
    """A run read back from disk."""

    path: str
    header: RunHeader
    problems: list[ProblemRecord]
    partial: dict[str, dict[int, SampleLine]] = Field(
        default_factory=dict, description="finished samples of problems without a verdict yet (id -> index -> sample)")
    torn_lines: int = 0
    duplicates: int = 0

    @property
    def label(self) -> str:
        return Path(self.path).stem

    @property
    def partial_samples(self) -> int:
        return sum(len(v) for v in self.partial.values())


def read_run(path: str | Path) -> Run:
    """Read a run file. A torn (unparsable) line is skipped and counted; a repeated problem or
    sample keeps the first record (a resumed run never writes one, but concatenated shards might)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such run file: {path}")
    header: RunHeader | None = None
    verdicts: dict[str, ProblemLine] = {}
    legacy: dict[str, ProblemRecord] = {}
    samples: dict[str, dict[int, SampleLine]] = {}
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
            kind = obj.get("type")
            if kind == "header":
                if header is None:
                    header = RunHeader.model_validate(obj)
            elif kind == "sample":
                s = SampleLine.model_validate(obj)
                dups += s.index in samples.setdefault(s.id, {})
                samples[s.id].setdefault(s.index, s)
            elif kind == "problem" and "samples" in obj:  # the format before sample lines
                rec = ProblemRecord.model_validate(obj)
                dups += rec.id in legacy
                legacy.setdefault(rec.id, rec)
            elif kind == "problem":
                v = ProblemLine.model_validate(obj)
                dups += v.id in verdicts
                verdicts.setdefault(v.id, v)
            else:
                raise ValueError(f"{path}: unknown record type {kind!r}; not a deepmath-eval run file")
    if header is None:
        raise ValueError(f"{path}: no header record; not a deepmath-eval run file")
    problems = dict(legacy)
    for pid, v in verdicts.items():
        have = samples.get(pid, {})
        if pid in problems or sorted(have) != list(range(len(v.correct))):
            raise ValueError(f"{path}: problem {pid} has a verdict for {len(v.correct)} samples but sample "
                             f"lines {sorted(have)}; the file was edited or concatenated wrongly")
        problems[pid] = ProblemRecord.join(v, [have[j] for j in range(len(v.correct))])
    partial = {pid: have for pid, have in samples.items() if pid not in problems}
    return Run(path=str(path), header=header, problems=list(problems.values()), partial=partial,
               torn_lines=torn, duplicates=dups)


RESUME_HINT = "free some space and rerun the same command to resume (the finished samples are kept)"


class RunWriter:
    """Appends whole lines to a run file, each flushed and fsynced before `write` returns, so a
    line is either entirely on disk or (after a kill mid-write) a torn tail that `read_run` skips.
    A write that fails (a full disk: `DiskFull`) is cut off again, so the file keeps whole lines only."""

    def __init__(self, path: Path, mode: str = "a"):
        self.path = path
        flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | (os.O_TRUNC if mode == "w" else os.O_APPEND)
        with diskfull.writing("the run file", path, then=RESUME_HINT):
            self._fd = os.open(path, flags, 0o666)

    def write(self, *lines: str) -> None:
        data = memoryview("".join(line + "\n" for line in lines).encode("utf-8"))
        end = os.lseek(self._fd, 0, os.SEEK_END)
        with diskfull.writing("the run file", self.path, then=RESUME_HINT):
            try:
                while data:
                    data = data[os.write(self._fd, data):]
                os.fsync(self._fd)
            except BaseException:
                with suppress(OSError):  # if this fails too, a resume cuts the torn tail (truncate_torn_tail)
                    os.ftruncate(self._fd, end)
                    os.lseek(self._fd, end, os.SEEK_SET)
                raise

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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


def replace_header(path: Path, header: RunHeader) -> None:
    """Rewrite the first line (atomically: a new file renamed over the old one)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with diskfull.writing("the run file", tmp, then=RESUME_HINT), path.open(encoding="utf-8") as src, \
                tmp.open("w", encoding="utf-8") as dst:
            src.readline()
            dst.write(header.model_dump_json() + "\n")
            for line in src:
                dst.write(line)
            dst.flush()
            os.fsync(dst.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)  # the run file itself is untouched
        raise
    os.replace(tmp, path)
