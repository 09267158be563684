"""The engine/agent set-up shared by `deepmath-agent` and `deepmath-eval run` (issue 11.4), and the
environment a spawned sandbox server gets (issue 13.4).

The model side is the scripted OpenAI-compatible server (a SCRIPTED POLICY) that, like vLLM, lists
`max_model_len` at /v1/models; the sandbox is the real `deepmath-mcp` spawned over stdio.
"""

from __future__ import annotations

import os
from pathlib import Path

import anyio
import pytest
from rich.console import Console

from agent_client import AgentConfig
from agent_client import cli as agent_cli
from agent_client.setup import agent_config, build_engine, make_executor
from eval import cli as eval_cli

FLAGS = ["--max-tokens", "777", "--max-steps", "3", "--temperature", "0.2", "--top-p", "0.9", "--seed", "5",
         "--tool-timeout", "2.5", "--mode", "agent", "--max-tokens-per-step", "300", "--max-tool-output", "100"]


def _both(flags: list[str], tmp_path: Path):
    a = agent_cli.parse_args([*flags, "q"])
    e = eval_cli.parse_args(["run", "--dataset", "champ", "--out", str(tmp_path / "o.jsonl"), *flags])
    return a, e


def test_both_clis_build_the_same_config_from_the_same_flags(tok, tiny_model_dir, tmp_path):
    from support.scripted_server import ScriptedCompletions, ScriptedOpenAIServer, step_policy

    handler = ScriptedCompletions(tok, step_policy(["x"]), max_model_len=2100)
    with ScriptedOpenAIServer(handler) as srv:
        for flags in (FLAGS, []):  # explicit values, and every default
            a, e = _both(["--base-url", srv.base_url, "--tokenizer", str(tiny_model_dir), *flags], tmp_path)

            async def configs():
                err = Console(stderr=True, quiet=True)
                ea, ee = await build_engine(a, err), await build_engine(e, err)
                try:
                    return agent_config(a, ea), agent_config(e, ee), ea, ee
                finally:
                    await ea.backend.aclose()
                    await ee.backend.aclose()

            ca, ce, ea, ee = anyio.run(configs)
            assert ca == ce
            assert ca.max_tool_output_tokens == (100 if flags else AgentConfig().max_tool_output_tokens)
            assert ca.max_context == 2100  # the served window (deepmath-eval lost it before)
            assert ea.label == ee.label and ea.tokenizer.name_or_path == ee.tokenizer.name_or_path
            assert make_executor(a, None).describe == make_executor(e, None).describe
    assert ca.model_dump(exclude={"max_context"}) == AgentConfig().model_dump(exclude={"max_context"})


def test_the_shared_flags_are_declared_once():
    """Every model/sampling/sandbox flag of deepmath-agent exists in deepmath-eval run with the same
    default (they come from one add_engine_args)."""
    a = vars(agent_cli.parse_args(["q"]))
    e = vars(eval_cli.parse_args(["run", "--dataset", "champ", "--out", "o.jsonl"]))
    shared = set(a) & set(e)
    assert {"engine", "base_url", "model", "tokenizer", "retries", "lora", "mode", "max_tokens",
            "max_tokens_per_step", "max_steps", "temperature", "top_p", "seed", "prompt_version", "mcp_url",
            "mcp_command", "tool_timeout", "max_tool_output", "debug"} <= shared
    assert {k: a[k] for k in shared - {"samples", "concurrency"}} == {k: e[k] for k in shared - {"samples",
                                                                                                 "concurrency"}}


def _children_environ(*cmd_has: str, skip: frozenset[int] = frozenset()) -> dict[int, dict[str, str]]:
    """pid -> environment of this process's child processes whose command line holds one of `cmd_has`
    (Linux /proc), leaving out `skip`: other tests' servers can still be children of this process."""
    envs = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, ppid = int(stat.parent.name), int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if ppid == os.getpid() and pid not in skip and any(
                    c in (stat.parent / "cmdline").read_bytes().decode() for c in cmd_has):
                raw = (stat.parent / "environ").read_bytes()
                envs[pid] = dict(kv.split("=", 1) for kv in raw.decode().split("\0") if "=" in kv)
        except (OSError, ValueError, IndexError):
            continue
    return envs


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_spawned_sandbox_server_gets_the_settings(monkeypatch, tmp_path):
    """The MCP SDK passes only PATH, HOME, ... to a stdio server; the CLIs' default server must also see
    DEEPMATH_CACHE (where its snapshot lives), thread counts and the log level — and not API keys."""
    cache = Path(os.environ.get("DEEPMATH_CACHE") or Path.home() / ".cache" / "deepmath")
    mine = tmp_path / "cache"  # a cache of our own holding the existing snapshot (no rebuild)
    mine.mkdir()
    for entry in cache.iterdir() if cache.is_dir() else []:
        if entry.name != "models":
            (mine / entry.name).symlink_to(entry)
    monkeypatch.setenv("DEEPMATH_CACHE", str(mine))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("MKL_NUM_THREADS", "1")
    monkeypatch.setenv("DEEPMATH_API_KEY", "secret-not-for-the-sandbox")
    args = agent_cli.parse_args(["--debug", "q"])

    async def main():
        with open(tmp_path / "server.log", "w+") as errlog:
            servers = ("deepmath-mcp", "mcp_server")
            before = frozenset(_children_environ(*servers))
            async with make_executor(args, errlog) as ex:
                envs = list(_children_environ(*servers, skip=before).values())
                result = await ex.run("print(6 * 7)", "s1")
            return envs, result

    envs, result = anyio.run(main)
    assert result.status == "ok" and result.text.strip().endswith("42")
    assert envs, "no child process found"
    env = envs[0]
    assert env.get("DEEPMATH_CACHE") == str(mine)
    assert env.get("OMP_NUM_THREADS") == "1" and env.get("MKL_NUM_THREADS") == "1"
    assert "DEEPMATH_API_KEY" not in env
    log = (tmp_path / "server.log").read_text()
    assert "DEBUG" in log  # --debug reached the server as its log level
