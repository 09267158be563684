"""`deepmath-sandbox`: build the snapshot ahead of time, or run one snippet and print its result.

Exit codes: 0 when the snippet's status is `ok`, 1 for any other status, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .policy import DEFAULT_ALLOWED_MODULES
from .version import add_version


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="deepmath-sandbox",
        description="Run untrusted Python in CPython-for-WASI on wasmtime (no files, no network, "
                    "hard deadline and memory cap). Allowed imports: " + ", ".join(DEFAULT_ALLOWED_MODULES))
    add_version(p)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("prepare", help="build and compile the pre-initialised snapshot into the cache "
                                   "($DEEPMATH_CACHE, default ~/.cache/deepmath); a few minutes, once")
    run = sub.add_parser("run", help="run one snippet and print its ExecResult as JSON")
    run.add_argument("code", help="Python source, a .py file to read it from, or - to read it from standard input")
    run.add_argument("--session", default=None, help="session id (only useful within one process)")
    run.add_argument("--timeout", type=float, default=5.0, help="wall-clock deadline in seconds (default 5)")
    run.add_argument("--memory-mb", type=int, default=512, help="memory cap in MiB (default 512)")
    run.add_argument("--max-output", type=int, default=20_000, help="characters kept per stream (default 20000)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "prepare":
        from . import prepare

        prepare()
        print("snapshot ready", file=sys.stderr)
        return 0
    from .sandbox import Limits, Sandbox

    code = _source(args.code)
    if code is None:
        print(f"deepmath-sandbox: error: {args.code}: no such file (pass Python source, a .py file or -)",
              file=sys.stderr)
        return 2
    try:
        limits = Limits(timeout_s=args.timeout, memory_mb=args.memory_mb,
                        max_output_chars=args.max_output, pool_size=0)
    except ValueError as exc:
        print(f"deepmath-sandbox: {exc}", file=sys.stderr)
        return 2
    with Sandbox(limits) as sb:
        result = sb.run(code, session_id=args.session)
    print(result.model_dump_json(indent=2))
    return 0 if result.status == "ok" else 1


def _source(arg: str) -> str | None:
    """The code to run: stdin for -, a file's text when `arg` names one, else `arg` itself; None for a
    missing .py path (running its name as code would only give a confusing NameError)."""
    if arg == "-":
        return sys.stdin.read()
    one_word = arg.strip() and not any(c.isspace() for c in arg.strip())
    if one_word and Path(arg).is_file():
        return Path(arg).read_text()
    if one_word and arg.endswith(".py"):
        return None
    return arg


def entry() -> None:
    """Console-script entry: exits without interpreter teardown (see `runtime.hard_exit`)."""
    from .runtime import hard_exit

    try:
        code = main()
    except SystemExit as exc:  # argparse usage errors
        code = exc.code if isinstance(exc.code, int) else 2
    hard_exit(code)


if __name__ == "__main__":
    entry()
