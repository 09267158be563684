"""A full disk under `deepmath-eval run` (issue 23, item 4): one error line, exit code 2, the run
file keeps every whole line it had, and the same command resumes once there is space.

The disk is a small tmpfs filled on purpose; the model is the scripted policy of conftest.py (a
stand-in for a model) answering through the real sandbox over MCP.
"""

from __future__ import annotations

import pytest

from eval.datasets import load
from eval.records import RunHeader, read_run, replace_header
from support.tmpfs import fill
from support.eval_cli import cli, scripted_args
from wasm_sandbox.diskfull import DiskFull


def test_a_full_disk_stops_the_run_in_one_line_and_the_same_command_resumes(small_tmpfs, tiny_model_dir,
                                                                             champ_server):
    problems = load("champ", limit=4)
    srv = champ_server(problems)
    disk = small_tmpfs("1m")
    out = disk / "run.jsonl"
    argv = ["run", "--dataset", "champ", "--limit", "4", "--samples", "2", *scripted_args(srv, tiny_model_dir),
            "--out", str(out), "--concurrency", "1", "-q"]
    filler = fill(disk, leave=4096)  # one page: the header and a few samples, not the whole run (~7 KB)
    rc, _, err = cli(*argv)
    assert rc == 2, err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in err, err
    assert f"cannot write the run file to {out}: no space left" in errors[0]
    assert "rerun the same command to resume" in errors[0]
    kept = out.read_bytes()
    run = read_run(out)
    assert kept.endswith(b"\n") and run.torn_lines == 0  # whole lines only, nothing half-written
    assert 0 < len(run.problems) + run.partial_samples and len(run.problems) < 4

    filler.unlink()
    rc, _, err = cli(*argv)
    assert rc == 0, err
    assert out.read_bytes().startswith(kept)  # what was written before is untouched, the rest appended
    resumed = read_run(out)
    assert sorted(p.id for p in resumed.problems) == sorted(p.id for p in problems)
    assert resumed.torn_lines == 0 and resumed.duplicates == 0


def test_a_header_rewrite_on_a_full_disk_leaves_the_file_as_it_was(small_tmpfs):
    disk = small_tmpfs("1m")
    out = disk / "run.jsonl"
    header = RunHeader(dataset="champ", dataset_size=2, samples=1, mode="agent", model="m", engine="openai",
                       tokenizer="t", prompt_version="v", sampling={}, budgets={}, concurrency=1)
    out.write_text(header.model_dump_json() + "\n" + '{"type": "sample"}\n' * 200)
    before = out.read_bytes()
    fill(disk)
    with pytest.raises(DiskFull, match="no space left"):
        replace_header(out, header.model_copy(update={"dataset_size": 3}))
    assert out.read_bytes() == before and sorted(p.name for p in disk.iterdir()) == ["filler", "run.jsonl"]
