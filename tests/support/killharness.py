"""Crash consistency by test: SIGKILL a command at seeded random moments, rerun it until it completes.

How a kill moment is drawn: a command reports its progress as a number (samples on disk, checkpoints
saved, stages finished); the harness draws one target level per kill, uniformly up to the last level
before completion, and sorts them (so the kills spread over the whole run). An attempt waits for the
command to reach its target (or the level it starts at, if higher), then a further random delay in
[0, jitter_s) — about one unit of work; [0, startup_s + jitter_s) when the target is where the attempt
starts, so kills also land while it loads and resumes — and sends SIGKILL to the command's whole
process group (its children too: the sandbox server, a recipe's stage). So every kill lands while the
command runs, anywhere in a unit of work (mid-step, mid-save, mid-write), and a seed gives the same
targets. An attempt that completes before its kill moment is the last one (fewer kills: the caller
checks the count).

`Command.argv` is called before each attempt with what is on disk, because one command needs it: a
GRPO rerun adds `--resume-from-checkpoint latest` once a checkpoint exists (as the recipe does).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Command:
    name: str
    argv: Callable[[], list[str]]
    progress: Callable[[], int]
    total: int = field(metadata={"help": "progress level at completion"})
    jitter_s: float = 1.0
    first_target: int = 0  # the lowest progress level a kill is drawn at
    startup_s: float = 0.0  # about how long the command takes to start (imports, loading, resuming)
    env: dict[str, str] | None = None
    timeout_s: float = 600.0


@dataclass
class Attempt:
    argv: list[str]
    progress_before: int
    target: int | None
    delay_s: float
    killed: bool
    returncode: int | None
    seconds: float
    log: Path


@dataclass
class KillRun:
    command: str
    attempts: list[Attempt]

    @property
    def kills(self) -> int:
        return sum(a.killed for a in self.attempts)

    @property
    def reruns(self) -> int:
        return len(self.attempts) - 1

    @property
    def completed(self) -> bool:
        return bool(self.attempts) and self.attempts[-1].returncode == 0


def run_with_kills(cmd: Command, kills: int, rng: random.Random, log_dir: Path,
                   on_rerun: Callable[[int], None] | None = None) -> KillRun:
    """Run `cmd`, SIGKILL it `kills` times at drawn moments, rerun it until it exits 0 (at most
    `kills` + 2 attempts). `on_rerun(i)` is called before attempt i >= 1 (to snapshot what is on disk)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    attempts: list[Attempt] = []
    targets = sorted(rng.randint(cmd.first_target, max(cmd.first_target, cmd.total - 1)) for _ in range(kills))
    for i in range(kills + 2):
        if i and on_rerun is not None:
            on_rerun(i)
        before = cmd.progress()
        done = sum(a.killed for a in attempts)
        kill = done < kills
        target = max(before, targets[done]) if kill else None
        delay = rng.uniform(0.0, cmd.jitter_s + (cmd.startup_s if target == before else 0.0)) if kill else 0.0
        argv = cmd.argv()
        log = log_dir / f"{cmd.name}-{i}.log"
        attempts.append(_attempt(cmd, argv, target, delay, before, log))
        if attempts[-1].returncode == 0:
            break
        if not attempts[-1].killed:
            raise AssertionError(f"{cmd.name}: attempt {i} failed by itself (exit {attempts[-1].returncode}); "
                                 f"log {log}:\n{log.read_text()[-3000:]}")
    return KillRun(cmd.name, attempts)


def _attempt(cmd: Command, argv: list[str], target: int | None, delay: float, before: int, log: Path) -> Attempt:
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(cmd.env or {})}
    t0 = time.monotonic()
    with log.open("w") as fh:
        proc = subprocess.Popen(argv, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        killed = False
        try:
            if target is not None:
                killed = _kill_when(proc, lambda: cmd.progress() >= target, delay, t0 + cmd.timeout_s)
            proc.wait(timeout=max(1.0, cmd.timeout_s - (time.monotonic() - t0)))
        finally:
            if proc.poll() is None:  # a timeout or a failed check: leave nothing running
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    rc = None if killed else proc.returncode
    return Attempt(argv, before, target, delay, killed, rc, time.monotonic() - t0, log)


def _kill_when(proc: subprocess.Popen, reached: Callable[[], bool], delay: float, deadline: float) -> bool:
    while not reached():
        if proc.poll() is not None:
            return False
        if time.monotonic() > deadline:
            raise TimeoutError(f"{proc.args[:3]}... did not reach its kill point in time")
        time.sleep(0.02)
    end = time.monotonic() + delay
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    if proc.poll() is not None:
        return False
    os.killpg(proc.pid, signal.SIGKILL)  # the whole group: the sandbox server or a recipe's stage dies too
    return proc.wait() == -signal.SIGKILL  # not if it exited by itself just before
