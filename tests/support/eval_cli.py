"""`deepmath-eval` called in-process with recorded consoles (shared by the eval tests)."""

from __future__ import annotations

import io

from rich.console import Console

from eval.cli import main


def consoles():
    return (Console(file=io.StringIO(), width=200, record=True), Console(file=io.StringIO(), width=200, record=True))


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = consoles()
    rc = main(list(argv), console=out, err=err)
    return rc, out.export_text(), err.export_text()


def scripted_args(srv, tiny_model_dir) -> list[str]:
    return ["--engine", "openai", "--base-url", srv.base_url, "--tokenizer", str(tiny_model_dir)]
