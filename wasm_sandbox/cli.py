"""`deepmath-sandbox`: build the snapshot ahead of time, or run one snippet and print its result.

Exit codes: 0 when the snippet's status is `ok`, 1 for any other status, 2 for usage errors and
for a cache that cannot be used (a cache folder others can write, a full disk): one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .limits import Limits
from .policy import DEFAULT_ALLOWED_MODULES, PROFILE_NAMES
from .version import add_version


def add_limit_flag(parser: argparse.ArgumentParser, flag: str, name: str, dest: str | None = None) -> None:
    """A command-line flag for the `Limits` field `name`, its type, default and help taken from
    the field (so every CLI validates a limit by the same rule: `Limits` itself)."""
    info = Limits.model_fields[name]
    kind = float if info.annotation is float else int
    default = "" if info.default is None else f" (default {info.default:g})"
    parser.add_argument(flag, type=kind, default=info.default, dest=dest or name,
                        help=f"{info.description}{default}")


def add_modules_flag(parser: argparse.ArgumentParser) -> None:
    """`--modules PROFILE`: the import policy profile (`Limits.modules`)."""
    parser.add_argument("--modules", choices=PROFILE_NAMES, default=Limits.model_fields["modules"].default,
                        help=f"{Limits.model_fields['modules'].description} (default %(default)s)")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="deepmath-sandbox",
        description="Run untrusted Python in CPython-for-WASI on wasmtime (no files, no network, "
                    "hard deadline and memory cap). Allowed imports: " + ", ".join(DEFAULT_ALLOWED_MODULES))
    add_version(p)
    sub = p.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare", help="build and compile the pre-initialised snapshot into the cache "
                                          "($DEEPMATH_CACHE, default ~/.cache/deepmath); a few minutes, once")
    add_modules_flag(prep)
    run = sub.add_parser("run", help="run one snippet and print its ExecResult as JSON")
    run.add_argument("code", help="Python source, a .py file to read it from, or - to read it from standard input")
    run.add_argument("--session", default=None, help="session id (only useful within one process)")
    for flag, name in (("--timeout", "timeout_s"), ("--memory-mb", "memory_mb"),
                       ("--max-output", "max_output_chars"), ("--memory-budget-mb", "memory_budget_mb")):
        add_limit_flag(run, flag, name)
    add_modules_flag(run)
    run.add_argument("--figures-dir", type=Path, default=Path("deepmath-figures"),
                     help="plot profile: where the snippet's PNG figures are saved (their paths are in the "
                     "result's figures; default %(default)s, made on the first figure)")
    return p


def main(argv: list[str] | None = None) -> int:
    from .cache import CacheError, cache_dir
    from .diskfull import DiskFull, writing

    args = _parser().parse_args(argv)
    try:
        with writing("the sandbox cache", cache_dir()):
            return _command(args)
    except (CacheError, DiskFull) as exc:
        print(f"deepmath-sandbox: error: {exc}", file=sys.stderr)
        return 2


def _command(args: argparse.Namespace) -> int:
    if args.command == "prepare":
        from . import prepare

        prepare(args.modules)
        print("snapshot ready", file=sys.stderr)
        return 0
    from .sandbox import Sandbox

    code = _source(args.code)
    if code is None:
        print(f"deepmath-sandbox: error: {args.code}: no such file (pass Python source, a .py file or -)",
              file=sys.stderr)
        return 2
    try:
        limits = Limits(timeout_s=args.timeout_s, memory_mb=args.memory_mb, max_output_chars=args.max_output_chars,
                        memory_budget_mb=args.memory_budget_mb, pool_size=0, modules=args.modules)
    except ValueError as exc:  # pydantic's ValidationError: one line per bad field
        lines = [f"{e['loc'][0] if e['loc'] else 'limits'}: {e['msg']}" for e in getattr(exc, "errors", lambda: [])()]
        print(f"deepmath-sandbox: {'; '.join(lines) or exc}", file=sys.stderr)
        return 2
    with Sandbox(limits) as sb:
        result = sb.run(code, session_id=args.session)
    for k, fig in enumerate(result.figures, 1):
        args.figures_dir.mkdir(parents=True, exist_ok=True)
        fig.path = str(args.figures_dir / f"figure-{k}.png")
        Path(fig.path).write_bytes(fig.data)
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
