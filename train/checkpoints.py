"""Saving checkpoints and adapters on a disk that may fill up.

transformers' Trainer writes `checkpoint-N/` in place, `trainer_state.json` last; a folder cut short
by a full disk would still be the newest `checkpoint-*`, and a resume would load it and fail. Inside
`saving(output_dir)`, a full disk becomes `DiskFull` (one line, see `wasm_sandbox.diskfull`) after
the checkpoints without `trainer_state.json` are removed, so rerunning the same command resumes from
the last whole one.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
