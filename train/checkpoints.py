"""Saving checkpoints and adapters on a disk that may fill up.

transformers' Trainer writes `checkpoint-N/` in place, `trainer_state.json` last; a folder cut short
by a full disk would still be the newest `checkpoint-*`, and a resume would load it and fail. Inside
`saving(output_dir)`, a full disk becomes `DiskFull` (one line, see `wasm_sandbox.diskfull`) after
the checkpoints without `trainer_state.json` are removed, so a rerun resumes from the last whole
one. `guard(trainer, ...)` puts the trainer's own saves (checkpoints, the model, its state) inside
it; training itself is not (an error there is not reported as a full disk).
"""

from __future__ import annotations

import functools
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
    """The `checkpoint-*` folders whose save did not get to its last file."""
    return sorted(p for p in output_dir.glob("checkpoint-*") if p.is_dir() and not (p / STATE_FILE).is_file())


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
