"""One engine/agent set-up for `deepmath-agent` and `deepmath-eval run`: flags, checks, backend, config, sandbox.

Why one module: the two CLIs take the same model, sampling and sandbox flags, and an eval run must
use the agent exactly as `deepmath-agent` does (same defaults, same served context window cap);
two copies had drifted. Each CLI declares its own extra flags (`--samples`, `--concurrency`, ...)
and calls `add_engine_args`, `check_engine_args`, `build_engine` and `sandbox_for`.

Failure policy: every bad flag value or missing folder is found at parse time (`check_engine_args`,
argparse types) and reported by `CliParser.error` as one line, exit 2. Things only known later (an
unreachable endpoint, a tokenizer not on disk while the hub is out of reach) raise `AgentError`,
which the CLIs print as one line with exit 2. The endpoint is checked before the tokenizer, and
the hub is only contacted after the local folder and the local cache were ruled out (and never
when HF_HUB_OFFLINE is set), so an offline machine fails in about a second, not after hub retries.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import re
import shlex
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import anyio
import httpx
from rich.console import Console

from agent_client.agent import MIN_TOOL_OUTPUT_TOKENS, AgentConfig
from agent_client.interfaces import AgentError
from agent_client.mcp_executor import McpExecutor
from agent_client.openai_backend import OpenAIBackend
from wasm_sandbox.launch import missing_third_party, needs_extra
from wasm_sandbox.version import add_version

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
LOCAL_DEFAULT_MAX_TOKENS = 256
STREAM_TOKENS_PER_STEP = 48  # local engine, one live run: small requests so the text appears as written
CLOSE_TIMEOUT_S = 5.0  # closing the sandbox connection and the HTTP pool, even when the run was cancelled
STARTUP_RETRIES = 0  # the first check of the endpoint (unless --retries is given): fail at once when nothing listens
SANDBOX_START = ("Starting the sandbox (the first run on a machine builds its snapshot: a few minutes, once; "
                 "`deepmath-sandbox prepare` does it ahead of time)…")
HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[\w.-]+)?")  # what can be a hub repo id rather than a path


class CliParser(argparse.ArgumentParser):
    """argparse with a one-line error (the usage block of a 30-flag command would bury the message)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog.split()[0]} --help)\n")


def at_least(low: int):
    """argparse type: an int >= low, with the bound in the error."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value
    return parse


def number(low: float, high: float | None = None, *, low_open: bool = False):
    """argparse type: a float in [low, high] (or (low, high] with low_open)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value < low or (low_open and value == low) or (high is not None and value > high):
            bound = f"{'(' if low_open else '['}{low:g}, {'∞)' if high is None else f'{high:g}]'}"
            raise argparse.ArgumentTypeError(f"must be in {bound}, got {text}")
        return value
    return parse


def tool_output_cap(text: str) -> int | None:
    """argparse type of --max-tool-output: tokens per tool output, 0 = no cap."""
    value = at_least(0)(text)
    if 0 < value < MIN_TOOL_OUTPUT_TOKENS:
        raise argparse.ArgumentTypeError(f"must be 0 (no cap) or at least {MIN_TOOL_OUTPUT_TOKENS}, got {value}")
    return value or None


def add_debug(p: argparse.ArgumentParser) -> None:
    p.add_argument("--debug", action="store_true", help="show tracebacks and the sandbox server's debug log")


def add_engine_args(p: argparse.ArgumentParser, *, seed_help: str = "base seed (sampling is random without it)",
                    titles: tuple[str, str, str] = ("model", "sampling", "sandbox")) -> None:
    """The model, sampling and sandbox flags both CLIs share (plus --debug and --version)."""
    d = AgentConfig()
    g = p.add_argument_group(titles[0])
    g.add_argument("--engine", choices=["auto", "openai", "local"], default="auto",
                   help="openai = an OpenAI-compatible server such as vLLM; local = in-process transformers")
    g.add_argument("--base-url", default=None,
                   help=f"OpenAI-compatible base URL (env DEEPMATH_BASE_URL; default probe {DEFAULT_BASE_URL}); "
                        "API key from DEEPMATH_API_KEY or OPENAI_API_KEY")
    g.add_argument("--model", help="served model name (openai) or checkpoint folder or hub id (local)")
    g.add_argument("--tokenizer", help="tokenizer folder or hub id for the chat template (default: --model)")
    g.add_argument("--retries", type=at_least(0), default=None,
                   help=f"retries with backoff when the server is unreachable (default 5; the start-up check "
                        f"retries {STARTUP_RETRIES}x unless this is given, e.g. to wait for a server coming up)")
    g.add_argument("--bare", action="store_true",
                   help="with no --model: the bare base model SmolLM2-135M-Instruct instead of DeepMath-nano "
                        "(its shipped LoRA), for comparison")
    g.add_argument("--lora", help="peft LoRA adapter folder (local engine); without --model its base model is "
                                  "read from adapter_config.json")
    g = p.add_argument_group(titles[1])
    g.add_argument("--mode", choices=["agent", "plain"], default="agent", help="plain = no tools (the baseline)")
    g.add_argument("--max-tokens", type=at_least(1), default=None,
                   help=f"model tokens per trajectory (default {d.max_tokens}; {LOCAL_DEFAULT_MAX_TOKENS} with "
                        "the offline default model)")
    g.add_argument("--max-tokens-per-step", type=at_least(1), default=None,
                   help=f"model tokens per request (default {d.max_tokens_per_step}; a live local run uses "
                        f"{STREAM_TOKENS_PER_STEP} so the text appears as it is written)")
    g.add_argument("--max-steps", type=at_least(1), default=d.max_steps, help="model turns (tool calls + 1)")
    g.add_argument("--temperature", type=number(0.0), default=d.temperature)
    g.add_argument("--top-p", type=number(0.0, 1.0, low_open=True), default=d.top_p)
    g.add_argument("--seed", type=int, default=None, help=seed_help)
    g.add_argument("--prompt-version", default=None,
                   help=f"prompt file version (agent_client/prompts/); default: the one the LoRA adapter was "
                        f"trained with (its deepmath_adapter.json), else {d.prompt_version}")
    g = p.add_argument_group(titles[2])
    x = g.add_mutually_exclusive_group()
    x.add_argument("--mcp-url", help="streamable HTTP endpoint of a running deepmath-mcp")
    x.add_argument("--mcp-command", help="command that starts an MCP server on stdio (default: deepmath-mcp)")
    g.add_argument("--mcp-token-file", default=None,
                   help="with --mcp-url: a file whose first line is the server's bearer token "
                        "(default: $DEEPMATH_MCP_TOKEN, if set)")
    g.add_argument("--tool-timeout", type=number(0.0, low_open=True), default=None, help="seconds per snippet")
    g.add_argument("--max-tool-output", type=tool_output_cap, default=d.max_tool_output_tokens, metavar="TOKENS",
                   help=f"tokens one tool output may add to the context (default {d.max_tool_output_tokens}; "
                        "the middle of a longer one is cut, marked; 0 = no cap)")
    add_debug(p)
    add_version(p)


def check_engine_args(p: argparse.ArgumentParser, ns: argparse.Namespace) -> None:
    """Usage errors that need no model: missing folders, the LoRA's base, a bad sandbox command."""
    import os

    ns.base_url = ns.base_url or os.environ.get("DEEPMATH_BASE_URL") or None
    if ns.lora is not None:
        lora = Path(ns.lora).expanduser()
        if ns.engine == "openai" or ns.base_url:
            p.error("--lora applies to the local engine; with vLLM serve the adapter and pass its --model name")
        if not lora.is_dir():
            p.error(f"--lora {ns.lora}: no such folder")
        if not (lora / "adapter_config.json").is_file():
            p.error(f"--lora {ns.lora}: not a peft adapter (no adapter_config.json)")
        if ns.model is None:
            base = json.loads((lora / "adapter_config.json").read_text()).get("base_model_name_or_path")
            if not base or not Path(base).expanduser().is_dir():
                p.error(f"--lora {ns.lora}: its base model {base!r} (adapter_config.json) is not a local folder; "
                        "pass --model with the base checkpoint folder")
            ns.model = str(Path(base).expanduser())
    local = ns.engine == "local" or ns.lora is not None
    for flag, value in (("--model", ns.model if local else None), ("--tokenizer", ns.tokenizer)):
        if value is not None and not Path(value).expanduser().is_dir() and not HUB_ID.fullmatch(value):
            p.error(f"{flag} {value}: no such folder")
    if ns.mcp_token_file is not None:
        from mcp_server.auth import AuthConfigError, load_token

        if not ns.mcp_url:
            p.error("--mcp-token-file goes with --mcp-url (a spawned stdio server needs no token)")
        try:
            load_token(Path(ns.mcp_token_file).expanduser(), flag="--mcp-token-file")
        except AuthConfigError as exc:
            p.error(str(exc))
    if ns.mcp_command is not None:
        try:
            argv = shlex.split(ns.mcp_command)
        except ValueError as exc:
            p.error(f"--mcp-command: {exc}")
        if not argv or shutil.which(argv[0]) is None:
            p.error(f"--mcp-command {ns.mcp_command!r}: no such command"
                    + (f" {argv[0]!r} (not found on PATH)" if argv else ""))


# -- hub or disk ---------------------------------------------------------------------------------------
def _hub_source(name: str, what: str, probe_file: str) -> tuple[str, bool]:
    """(what to pass to from_pretrained, local_files_only): a folder, a cached hub id (no network), or
    a hub id to download after checking the hub answers. Raises AgentError with the way out."""
    from huggingface_hub import constants, try_to_load_from_cache

    path = Path(name).expanduser()
    if path.is_dir():
        return str(path), True
    if not HUB_ID.fullmatch(name):
        raise AgentError(f"{what} {name}: no such folder")
    if isinstance(try_to_load_from_cache(name, probe_file), str):
        return name, True
    way_out = f"pass {'--tokenizer' if what == 'tokenizer' else '--model'} with a local folder"
    if constants.HF_HUB_OFFLINE:
        raise AgentError(f"{what} {name!r} is not a folder and not in the Hugging Face cache (HF_HUB_OFFLINE is "
                         f"set): {way_out}")
    try:
        httpx.head(constants.ENDPOINT, timeout=3.0)
    except httpx.HTTPError as exc:
        raise AgentError(f"{what} {name!r} is not a folder and not in the Hugging Face cache, and the hub "
                         f"({constants.ENDPOINT}) is unreachable ({type(exc).__name__}): {way_out}") from None
    return name, False


def load_tokenizer(name: str) -> Any:
    from transformers import AutoTokenizer

    source, local_only = _hub_source(name, "tokenizer", "tokenizer_config.json")
    try:
        return AutoTokenizer.from_pretrained(source, local_files_only=local_only)
    except (OSError, ValueError) as exc:
        raise AgentError(f"cannot load the tokenizer {name!r} (needed for the chat template and token ids): "
                         f"{exc}. Pass --tokenizer with a local folder.") from exc


# -- engine --------------------------------------------------------------------------------------------
@dataclass
class Engine:
    """What a run needs from the model side. `max_context` is the served or configured window."""

    backend: Any
    tokenizer: Any
    label: str
    offline_default: bool
    max_context: int | None

    @property
    def local(self) -> bool:
        return not isinstance(self.backend, OpenAIBackend)


def _probe(base_url: str) -> bool:
    try:
        return httpx.get(base_url.rstrip("/") + "/models", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


async def engine_kind(args: argparse.Namespace) -> str:
    """"openai" or "local": what --engine auto means for these arguments (it probes the default
    endpoint only when neither --model nor --lora says)."""
    if args.engine != "auto":
        return args.engine
    if args.base_url or args.lora is None and args.model and not Path(args.model).is_dir():
        return "openai"
    if args.model or args.lora:
        return "local"
    return "openai" if await anyio.to_thread.run_sync(_probe, DEFAULT_BASE_URL) else "local"


async def build_engine(args: argparse.Namespace, err: Console) -> Engine:
    """The backend and tokenizer `args` ask for; the endpoint is checked before any tokenizer lookup."""
    engine = await engine_kind(args)
    if engine == "openai":
        retries = 5 if args.retries is None else args.retries
        backend = OpenAIBackend(args.base_url or DEFAULT_BASE_URL, model=args.model,
                                max_retries=STARTUP_RETRIES if args.retries is None else retries)
        try:
            window = await backend.context_window()  # also resolves the model name: the endpoint answers
            name = await backend.resolve_model()
        except AgentError as exc:
            await backend.aclose()
            raise AgentError(f"{exc} — start the server or pass --base-url (--retries N waits for a server "
                             "that is starting)") from exc
        backend.max_retries = retries
        try:
            tok = await anyio.to_thread.run_sync(load_tokenizer, args.tokenizer or args.model or name)
        except BaseException:
            await backend.aclose()
            raise
        return Engine(backend, tok, f"{name} @ {backend.base_url}", False, window)
    try:
        from agent_client.local_backend import LocalBackend
    except ModuleNotFoundError as exc:  # torch: [local] is apart from [agent] because CPU torch goes first
        if (missing := missing_third_party(exc)) is None:
            raise
        raise AgentError(needs_extra("the local engine", "local", missing) + " (CPU torch first: see README)") from exc

    offline_default = args.model is None
    lora = args.lora
    load_lora = lora  # the offline default loads DeepMath-nano already merged into its base
    if offline_default:
        from agent_client.default_model import (BARE_NOTICE, NOTICE, default_model_dir, nano_adapter,
                                                nano_model_dir)

        lora = None if args.bare else nano_adapter()
        load_lora = None
        err.print(f"[yellow]note:[/] {BARE_NOTICE if lora is None else NOTICE}")
        with err.status("Preparing the offline default model…"):
            path = await anyio.to_thread.run_sync(lambda: default_model_dir(log=err.print))
            merged = path if lora is None else await anyio.to_thread.run_sync(
                lambda: nano_model_dir(lora, path, log=err.print))
        source = str(merged)
    else:
        source, _ = await anyio.to_thread.run_sync(_hub_source, args.model, "model", "config.json")
        path = Path(args.model)
    with err.status(f"Loading {args.model or path}…"):
        backend = await anyio.to_thread.run_sync(lambda: LocalBackend.from_pretrained(source, lora=load_lora))
    if args.tokenizer:
        backend.tokenizer = await anyio.to_thread.run_sync(load_tokenizer, args.tokenizer)
    if lora is not None and args.prompt_version is None:  # use the adapter with the prompt it was trained on
        from agent_client.default_model import adapter_meta

        args.prompt_version = adapter_meta(lora).get("prompt_version")
    name = "DeepMath-nano" if offline_default and lora is not None else f"LoRA {Path(lora).name}" if lora else ""
    label = f"{path.name} (local" + (f" + {name}" if name else "") + ")"
    window = getattr(getattr(backend.model, "config", None), "max_position_embeddings", None)
    return Engine(backend, backend.tokenizer, label, offline_default, window)


def agent_config(args: argparse.Namespace, engine: Engine, *, stream: bool = False) -> AgentConfig:
    """The AgentConfig of a run; `stream` = one live local run (small requests, see --max-tokens-per-step)."""
    d = AgentConfig()
    if args.prompt_version is None:
        args.prompt_version = d.prompt_version
    return AgentConfig(
        max_tokens=args.max_tokens or (LOCAL_DEFAULT_MAX_TOKENS if engine.offline_default else d.max_tokens),
        max_tokens_per_step=args.max_tokens_per_step or (
            STREAM_TOKENS_PER_STEP if stream and engine.local else d.max_tokens_per_step),
        max_steps=args.max_steps, temperature=args.temperature, top_p=args.top_p, mode=args.mode,
        prompt_version=args.prompt_version, tool_timeout_s=args.tool_timeout, seed=args.seed,
        max_context=engine.max_context, max_tool_output_tokens=args.max_tool_output)


# -- sandbox -------------------------------------------------------------------------------------------
def sandbox_label(args: argparse.Namespace) -> str | None:
    if args.mode == "plain":
        return None
    return args.mcp_url or args.mcp_command or "deepmath-mcp (stdio)"


def make_executor(args: argparse.Namespace, errlog: Any) -> McpExecutor | None:
    if args.mode == "plain":
        return None
    figures = {"figures_dir": getattr(args, "figures_dir", None)}
    if args.mcp_url:
        return McpExecutor.http(args.mcp_url, token_file=args.mcp_token_file, **figures)
    if args.mcp_command:
        return McpExecutor.stdio(shlex.split(args.mcp_command), errlog=errlog, **figures)
    exe = shutil.which("deepmath-mcp")
    cmd = [exe] if exe else [sys.executable, "-m", "mcp_server"]
    level = "DEBUG" if getattr(args, "debug", False) else "WARNING"
    modules = getattr(args, "modules", "math")
    return McpExecutor.stdio([*cmd, "--log-level", level, *(["--modules", modules] if modules != "math" else [])],
                             errlog=errlog, describe="deepmath-mcp (stdio)", **figures)


def _way_out(args: argparse.Namespace) -> str:
    if args.mcp_url:
        return (" — is deepmath-mcp running there? Start one with `deepmath-mcp --transport http`, or drop "
                "--mcp-url to spawn one over stdio")
    if args.mcp_command:
        return " — check --mcp-command (it must speak MCP on stdio), or drop it to spawn deepmath-mcp"
    return " — run `deepmath-mcp` by hand to see why it fails, or pass --mode plain (no tools)"


@contextlib.asynccontextmanager
async def sandbox_for(args: argparse.Namespace, backend: Any, status: Console, message: str | None):
    """The MCP executor `args` ask for (None in plain mode), started under a status line; yields it.

    An `AgentError` gets the server's last stderr line (all of its tail with --debug), and a failure
    to start names the way out; the executor and an HTTP backend are always closed."""
    with tempfile.TemporaryFile("w+") as errlog:

        def with_stderr(exc: AgentError, hint: str = "") -> AgentError:
            errlog.seek(0)
            tail = errlog.read()[-2000:].strip()
            last = tail.splitlines()[-1][:200] if tail else ""
            detail = (f"\n--- MCP server stderr ---\n{tail}" if args.debug else f" (server said: {last})") if tail else ""
            return AgentError(f"{exc}{hint}{detail}")

        executor = make_executor(args, errlog)
        try:
            if executor is not None:
                try:
                    with status.status(message) if message else contextlib.nullcontext():
                        await executor.__aenter__()
                except AgentError as exc:
                    executor = None
                    raise with_stderr(exc, _way_out(args)) from exc
            try:
                yield executor
            except AgentError as exc:
                raise with_stderr(exc) from exc
        finally:
            try:
                if executor is not None:
                    await executor.__aexit__(None, None, None)
            finally:
                if isinstance(backend, OpenAIBackend):
                    with anyio.move_on_after(CLOSE_TIMEOUT_S, shield=True):  # also when Ctrl-C cancelled the run
                        await backend.aclose()


@contextlib.asynccontextmanager
async def engine_and_sandbox(args: argparse.Namespace, err: Console, status: Console, message: str):
    """`build_engine` and `sandbox_for` side by side; yields (engine, executor).

    Why: with the local engine most of a one-question run's start is importing torch and loading the
    model (about 7 s here), and the stdio sandbox server is a process of its own whose start (about
    1.5 s) can run on the other core meanwhile. The model loads in a thread with an event loop of
    its own (a local engine holds no loop-bound state), while this task starts the sandbox: the MCP
    connection's scopes must belong to the task that closes it. Only the model's status line shows
    (one live display at a time); a sandbox that fails to start is reported without waiting for the
    model. An HTTP engine, or plain mode, starts one after the other as before."""
    args.engine = await engine_kind(args)
    if args.engine != "local" or args.mode == "plain":
        engine = await build_engine(args, err)
        async with sandbox_for(args, engine.backend, status, message) as executor:
            yield engine, executor
        return
    loading: concurrent.futures.Future[Engine] = concurrent.futures.Future()

    def load() -> None:
        try:
            loading.set_result(anyio.run(build_engine, args, err))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting task, which raises it
            loading.set_exception(exc)

    threading.Thread(target=load, name="deepmath-load", daemon=True).start()
    async with sandbox_for(args, None, status, None) as executor:
        engine = await anyio.to_thread.run_sync(loading.result, abandon_on_cancel=True)
        yield engine, executor


def fail(err: Console, exc: BaseException, debug: bool) -> int:
    """Print an error as one line (after its traceback with --debug). Exit code 2 for usage and
    reachability errors (AgentError), 1 for anything unexpected."""
    from rich.text import Text

    if debug:
        err.print_exception()
    if isinstance(exc, AgentError):
        err.print(Text.assemble(("error: ", "bold red"), str(exc)), soft_wrap=True)
        return 2
    err.print(Text.assemble(("error: ", "bold red"), f"{type(exc).__name__}: {exc}",
                            ("" if debug else "  (--debug shows the traceback)", "dim")), soft_wrap=True)
    return 1
