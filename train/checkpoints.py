"""Saving checkpoints and adapters on a disk that may fill up.

transformers' Trainer writes `checkpoint-N/` in place, `trainer_state.json` last; a folder cut short
by a full disk would still be the newest `checkpoint-*`, and a resume would load it and fail. Inside
`saving(output_dir)`, a full disk becomes `DiskFull` (one line, see `wasm_sandbox.diskfull`) after
the checkpoints without `trainer_state.json` are removed, so a rerun resumes from the last whole
one. `guard(trainer, ...)` puts the trainer's own saves (checkpoints, the model, its state) inside
it; training itself is not (an error there is not reported as a full disk).

A kill (SIGKILL, a preempted node) mid-save leaves the same kind of folder, and no handler runs:
`last_whole_checkpoint` removes such folders before a resume picks the newest one. `write_whole`
writes the small files that mark a stage finished, so a kill never leaves a torn one.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wasm_sandbox.diskfull import DiskFull, writing

RESUME_HINT = "free some space and rerun the same command (it resumes from the last whole checkpoint)"
GRPO_RESUME_HINT = "free some space and rerun with --resume-from-checkpoint latest (the last whole checkpoint is kept)"
STATE_FILE = "trainer_state.json"  # transformers.trainer.TRAINER_STATE_NAME, written last into a checkpoint


def unfinished(output_dir: Path) -> list[Path]:
    """The `checkpoint-*` folders whose save did not get to its last file, or did not finish writing it."""
    return sorted(p for p in output_dir.glob("checkpoint-*") if p.is_dir() and not _whole_json(p / STATE_FILE))


def _whole_json(path: Path) -> bool:
    try:
        json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return True


def last_whole_checkpoint(output_dir: str | Path) -> str | None:
    """The newest checkpoint that was saved to the end (the unfinished ones, left by a kill mid-save, are
    removed first: transformers' `get_last_checkpoint` would pick one, and resuming from it fails)."""
    from transformers.trainer_utils import get_last_checkpoint

    output_dir = Path(output_dir)
    if not output_dir.is_dir():
        return None
    for folder in unfinished(output_dir):
        shutil.rmtree(folder)
    return get_last_checkpoint(str(output_dir))


def write_whole(path: Path, text: str) -> None:
    """Write `path` so that it is either absent, the old file, or entirely `text` (a new file renamed over it)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


@contextmanager
def saving(output_dir: str | Path, then: str = RESUME_HINT) -> Iterator[None]:
    """Wrap training and saving: a full disk raises `DiskFull` (ending with `then`), leaving only
    whole checkpoints."""
    output_dir = Path(output_dir)
    try:
        with writing("a training checkpoint", output_dir, then=then):
            yield
    except DiskFull:
        for folder in unfinished(output_dir):
            shutil.rmtree(folder, ignore_errors=True)
        raise


def guard(trainer: Any, output_dir: str | Path, then: str = RESUME_HINT) -> Any:
    """Wrap `trainer`'s checkpoint, model and state saves in `saving(output_dir, then)`; returns it."""
    for name in ("_save_checkpoint", "save_model", "save_state"):  # transformers.Trainer's save steps
        setattr(trainer, name, _saving_call(getattr(trainer, name), output_dir, then))
    return trainer


def _saving_call(method: Any, output_dir: str | Path, then: str) -> Any:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with saving(output_dir, then):
            return method(*args, **kwargs)

    return call
