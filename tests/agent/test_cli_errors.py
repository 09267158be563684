"""Bad input through the real CLIs (issue 13): one line on stderr that names the way out, exit code 2,
no traceback unless --debug; the endpoint and local paths are checked before any hub lookup.

Each case calls the command's real `main(argv)` (and a few run the installed console scripts as
subprocesses); the model side, where one is needed, is the scripted OpenAI-compatible server (a
SCRIPTED POLICY), the sandbox side real or deliberately unreachable.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from agent_client.cli import main as agent_main
from eval.cli import main as eval_main
from wasm_sandbox.cli import main as sandbox_main

MAINS = {"agent": agent_main, "eval": eval_main, "sandbox": sandbox_main}


def call(which: str, argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = MAINS[which](argv)
    except SystemExit as exc:  # argparse
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def adapters(tmp_path, tiny_model_dir):
    """peft-style adapter folders: one whose base is a hub id, one whose base is a local folder."""
    made = {}
    for name, base in (("hub", "HuggingFaceTB/SmolLM2-135M-Instruct"), ("local", str(tiny_model_dir))):
        d = tmp_path / f"lora-{name}"
        d.mkdir()
        (d / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": base, "peft_type": "LORA"}))
        made[name] = d
    (tmp_path / "not-an-adapter").mkdir()
    return made


USAGE = [  # (command, argv, what the one line must say); {tmp} is a fresh folder
    ("agent", ["--max-tokens", "-5", "q"], "argument --max-tokens: must be at least 1, got -5"),
    ("agent", ["--max-tokens", "0", "q"], "argument --max-tokens: must be at least 1, got 0"),
    ("agent", ["--max-tokens", "many", "q"], "expected a whole number"),
    ("agent", ["--samples", "0", "q"], "argument --samples: must be at least 1"),
    ("agent", ["--top-p", "0", "q"], "argument --top-p: must be in (0, 1]"),
    ("agent", ["--temperature", "-1", "q"], "argument --temperature: must be in [0, ∞)"),
    ("agent", ["--tool-timeout", "0", "q"], "argument --tool-timeout"),
    ("agent", ["--max-tool-output", "10", "q"], "argument --max-tool-output: must be 0 (no cap) or at least 64"),
    ("eval", ["run", "--dataset", "champ", "--out", "{tmp}/o.jsonl", "--max-tool-output", "-1"], "must be at least 0"),
    ("agent", ["--engine", "local", "--model", "/tmp/nonexistent-dm-model", "q"], "no such folder"),
    ("agent", ["--tokenizer", "./no/such/tok/", "q"], "--tokenizer ./no/such/tok/: no such folder"),
    ("agent", ["--lora", "{tmp}/missing-adapter", "q"], "missing-adapter: no such folder"),
    ("agent", ["--lora", "{tmp}/not-an-adapter", "q"], "not a peft adapter (no adapter_config.json)"),
    ("agent", ["--lora", "{tmp}/lora-hub", "q"], "is not a local folder; pass --model"),
    ("agent", ["--lora", "{tmp}/lora-local", "--base-url", "http://x/v1", "q"], "--lora applies to the local engine"),
    ("agent", [""], "the problem is empty"),
    ("agent", ["   "], "the problem is empty"),
    ("agent", ["--mcp-command", "no-such-mcp-server-xyz", "q"], "no such command"),
    ("agent", ["--mcp-command", "'unbalanced", "q"], "--mcp-command"),
    ("eval", ["score", "{tmp}/missing.jsonl"], "missing.jsonl: no such file"),
    ("eval", ["compare", "{tmp}", "{tmp}/x.jsonl"], "is a folder"),
    ("eval", ["run", "--dataset", "champ", "--out", "{tmp}/o.jsonl", "--max-tokens", "0"], "must be at least 1"),
    ("eval", ["run", "--dataset", "champ", "--out", "{tmp}/o.jsonl", "--samples", "0"], "must be at least 1"),
    ("eval", ["run", "--dataset", "champ", "--out", "{tmp}/o.jsonl", "--engine", "local", "--model",
              "/tmp/nonexistent-dm-model"], "no such folder"),
    ("sandbox", ["run", "{tmp}/missing.py"], "missing.py: no such file"),
]


@pytest.mark.parametrize("which,argv,expected", USAGE, ids=[" ".join(c[1])[:60] for c in USAGE])
def test_usage_errors_are_one_line_with_exit_2(which, argv, expected, tmp_path, adapters, capsys):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, _, err = call(which, argv, capsys)
    assert code == 2, err
    assert expected in one_line(err)


def test_lora_without_model_uses_the_adapters_local_base(adapters, tiny_model_dir):
    from agent_client.cli import parse_args

    assert parse_args(["--lora", str(adapters["local"]), "q"]).model == str(tiny_model_dir)


def test_lora_on_its_base_runs_end_to_end(tiny_model_dir, tmp_path, capsys):
    """A real peft adapter of the tiny model, given alone: the base comes from adapter_config.json
    (before: the offline default model was loaded under it and failed with a size mismatch)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    get_peft_model(base, LoraConfig(r=2, target_modules=["q_proj", "v_proj"])).save_pretrained(tmp_path / "lora")
    assert json.loads((tmp_path / "lora" / "adapter_config.json").read_text())["base_model_name_or_path"] == str(
        tiny_model_dir)
    code, out, err = call("agent", ["--lora", str(tmp_path / "lora"), "--mode", "plain", "--max-tokens", "3",
                                    "--temperature", "0", "--json", "q"], capsys)
    assert code == 0, err
    assert json.loads(out)["model_tokens"] == 3


def test_unreachable_endpoint_is_checked_before_the_tokenizer(net, capsys):
    """`--model Intel/deepmath-v1` is not on this machine: the dead endpoint must be reported at once,
    not after hub retries for its tokenizer."""
    code, _, err = call("agent", ["--base-url", f"http://127.0.0.1:{net.free_port()}/v1", "--model",
                                  "Intel/deepmath-v1", "--mode", "plain", "q"], capsys)
    assert code == 2
    line = one_line(err)
    assert "unreachable after 1 tries" in line and "start the server or pass --base-url" in line


def test_tokenizer_not_on_disk_with_the_hub_offline_or_unreachable(scripted, net, monkeypatch, capsys):
    from huggingface_hub import constants

    srv = scripted(["x"])
    argv = ["--base-url", srv.base_url, "--model", "Intel/deepmath-v1", "--mode", "plain", "q"]
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    code, _, err = call("agent", argv, capsys)
    assert code == 2 and "HF_HUB_OFFLINE is set" in one_line(err) and "--tokenizer" in err
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{net.free_port()}")
    code, _, err = call("agent", argv, capsys)
    assert code == 2 and "is unreachable" in one_line(err)


SANDBOX_DOWN = [  # (extra argv, what the line must say); the model side is the scripted server
    (["--mcp-url", "http://127.0.0.1:{port}/mcp"], "Start one with `deepmath-mcp --transport http`"),
    (["--mcp-command", sys.executable + " -c \"import sys; sys.exit('no snapshot here')\""],
     "server said: no snapshot here"),
]


@pytest.mark.parametrize("extra,expected", SANDBOX_DOWN, ids=["mcp-url", "mcp-command"])
@pytest.mark.parametrize("which", ["agent", "eval"])
def test_unreachable_sandbox_is_one_line(which, extra, expected, scripted, tiny_model_dir, net, tmp_path, capsys):
    srv = scripted(["\\boxed{1}<|im_end|>"])
    extra = [a.replace("{port}", str(net.free_port())) for a in extra]
    common = ["--base-url", srv.base_url, "--tokenizer", str(tiny_model_dir), *extra]
    if which == "agent":
        argv = [*common, "q"]
    else:
        data = tmp_path / "p.jsonl"
        data.write_text(json.dumps({"id": "a", "problem": "1?", "answer": "1"}) + "\n")
        argv = ["run", "--dataset", str(data), "--out", str(tmp_path / "o.jsonl"), "--quiet", *common]
    code, _, err = call(which, argv, capsys)
    assert code == 2
    # (deepmath-eval first prints its plan, "deepmath-eval p.jsonl: 1 problems × 1 samples ...")
    line = one_line(err[err.index("error:"):] if which == "eval" else err)
    assert "could not connect to the MCP server" in line and expected in line

    code, _, err = call(which, [*argv, "--debug"], capsys)
    assert code == 2 and "Traceback" in err  # --debug shows it


@pytest.mark.skipif(shutil.which("deepmath-agent") is None, reason="deepmath-agent is not installed")
def test_console_scripts_give_one_line_and_exit_2(tmp_path):
    for argv in (["deepmath-agent", "--max-tokens", "-5", "q"], ["deepmath-eval", "score", str(tmp_path / "no.jsonl")],
                 ["deepmath-sandbox", "run", str(tmp_path / "no.py")]):
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stderr
        one_line(proc.stderr)


def test_sandbox_run_reads_a_file(tmp_path, capsys):
    script = tmp_path / "snippet.py"
    script.write_text("x = 6 * 7\nprint(x)\n")
    code, out, err = call("sandbox", ["run", str(script)], capsys)
    assert code == 0, err
    assert json.loads(out)["stdout"] == "42\n"
    code, out, _ = call("sandbox", ["run", "print('not a file')"], capsys)  # source still works
    assert code == 0 and json.loads(out)["stdout"] == "not a file\n"


@pytest.mark.parametrize("command", ["deepmath-agent", "deepmath-eval", "deepmath-train", "deepmath-mcp",
                                     "deepmath-sandbox"])
def test_every_command_has_version(command):
    exe = shutil.which(command)
    if exe is None:
        pytest.skip(f"{command} is not installed")
    from importlib.metadata import version

    proc = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{command} {version('deepmath')} (deepmath)"
