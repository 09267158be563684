"""`deepmath-agent` as a person sees it: rich's recorded console in-process, and a real terminal (tmux).

The model side is the scripted OpenAI-compatible loopback server (a SCRIPTED POLICY: the script
fixes what the "model" writes) or the tiny Qwen3 trained to follow the protocol; the sandbox is the
real deepmath-mcp.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid

import pytest
from rich.console import Console

from agent_client.cli import main
from agent_client.render import majority, normalize_answer

EOS = "<|im_end|>"
SCRIPT = [
    "<think>\nAdd 1..100 with Python.\n</think>\n\n<tool_call>\ntotal = sum(range(1, 101))\nprint(total)\n</tool_call>",
    "The sum is \\boxed{5050}." + EOS,
]


def run_cli(argv: list[str], width: int = 100) -> tuple[int, str, str]:
    console = Console(record=True, width=width, force_terminal=False, color_system=None)
    err = Console(record=True, width=width, force_terminal=False, stderr=True, color_system=None)
    code = main(argv, console=console, err=err)
    return code, console.export_text(), err.export_text()


def test_single_run_renders_code_output_answer_and_summary(scripted, tiny_model_dir, mcp_url):
    srv = scripted(SCRIPT)
    code, out, _ = run_cli(["--base-url", srv.base_url, "--tokenizer", str(tiny_model_dir), "--mcp-url", mcp_url,
                            "What is 1+2+...+100?"])
    assert code == 0
    assert "What is 1+2+...+100?" in out
    assert "Add 1..100 with Python." in out  # the thinking, shown (dimmed in a terminal)
    assert "python" in out and "total = sum(range(1, 101))" in out  # the code panel
    assert "output · ok" in out and "5050" in out  # the result panel with its status
    assert "answer" in out and "The sum is" in out
    assert "tool calls 1" in out and "finish answer" in out
    assert "<tool_call>" not in out and EOS not in out  # protocol markup is not shown as prose
    # order: code before its output before the answer
    assert out.index("total = sum") < out.index("output · ok") < out.index("The sum is")


def test_samples_show_a_table_and_the_majority(scripted, tiny_model_dir, mcp_url):
    srv = scripted(SCRIPT)
    code, out, _ = run_cli(["--base-url", srv.base_url, "--tokenizer", str(tiny_model_dir), "--mcp-url", mcp_url,
                            "--samples", "4", "sum?"])
    assert code == 0
    assert "samples" in out and out.count("5050") >= 5  # four rows plus the majority line
    assert "majority answer 5050" in out and "4/4 votes (100%)" in out


def test_json_output_is_the_trajectory(scripted, tiny_model_dir, mcp_url, capsys):
    srv = scripted(SCRIPT)
    code, out, _ = run_cli(["--base-url", srv.base_url, "--tokenizer", str(tiny_model_dir), "--mcp-url", mcp_url,
                            "--json", "sum?"])
    assert code == 0 and out.strip() == ""  # nothing but JSON on stdout
    data = json.loads(capsys.readouterr().out)
    assert data["answer"] == "5050" and data["finish_reason"] == "answer" and data["tool_calls"] == 1
    assert len(data["mask"]) == len(data["completion_ids"]) and data["prompt_version"] == "v1"

    code, _, _ = run_cli(["--base-url", srv.base_url, "--tokenizer", str(tiny_model_dir), "--mcp-url", mcp_url,
                          "--json", "--samples", "3", "sum?"])
    many = json.loads(capsys.readouterr().out)
    assert code == 0 and [t["answer"] for t in many] == ["5050"] * 3


def test_local_engine_with_a_checkpoint(protocol_model_dir, mcp_url, proto):
    code, out, _ = run_cli(["--engine", "local", "--model", str(protocol_model_dir), "--mcp-url", mcp_url,
                            "--temperature", "0", proto.problem])
    assert code == 0
    assert "x = 6 * 7" in out and "output · ok" in out and "43" in out and "tool calls 1" in out


def test_unreachable_endpoint_is_an_error_with_exit_code_2(tiny_model_dir, net):
    port = net.free_port()
    code, out, err = run_cli(["--base-url", f"http://127.0.0.1:{port}/v1", "--model", "m", "--tokenizer",
                              str(tiny_model_dir), "--mode", "plain", "--retries", "1", "q"])
    assert code == 2 and "error:" in err and "unreachable" in err


def test_majority_vote_rules():
    assert normalize_answer(" \\dfrac{1}{2}. ") == normalize_answer("\\frac{1}{2}")
    assert majority(["\\frac12", "3", None, "3 ", "\\frac12"]) == ("\\frac12", 2, 4)  # tie: first to reach it
    assert majority([None, ""]) == (None, 0, 0)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_live_view_in_a_real_terminal(scripted, tiny_model_dir, mcp_url, tmp_path):
    """Runs the installed `deepmath-agent` in a tmux pane (a real pty, colours and live updates on)."""
    exe = shutil.which("deepmath-agent")
    if exe is None:
        pytest.skip("deepmath-agent is not installed (pip install -e .)")
    srv = scripted(SCRIPT)
    session = f"dm-agent-{uuid.uuid4().hex[:8]}"
    done = tmp_path / "exit_code"
    cmd = (f"OMP_NUM_THREADS=1 {exe} --base-url {srv.base_url} --tokenizer {tiny_model_dir} --mcp-url {mcp_url} "
           f"'What is 1+2+...+100?'; echo $? > {done}; sleep 120")  # keep the pane for capture
    tmux = ["tmux", "-L", session]  # a private tmux server: never touches anyone else's sessions
    subprocess.run([*tmux, "new-session", "-d", "-s", session, "-x", "120", "-y", "50", cmd], check=True)
    try:
        deadline = time.monotonic() + 90
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.3)
        screen = subprocess.run([*tmux, "capture-pane", "-p", "-t", session, "-S", "-100"], capture_output=True,
                                text=True, check=True).stdout
    finally:
        subprocess.run([*tmux, "kill-server"], check=False)
    assert done.exists() and done.read_text().strip() == "0", screen
    assert "total = sum(range(1, 101))" in screen and "output · ok" in screen and "5050" in screen
    assert "╭" in screen  # panels are drawn with box characters on a real terminal


def test_served_context_window_caps_the_run(tok, tiny_model_dir):
    """vLLM lists max_model_len at /v1/models; the CLI caps requests by it instead of getting HTTP 400."""
    from support.scripted_server import ScriptedCompletions, ScriptedOpenAIServer, step_policy

    handler = ScriptedCompletions(tok, step_policy(["word " * 3000]), max_model_len=2100)
    with ScriptedOpenAIServer(handler) as srv:
        code, out, err = run_cli(["--base-url", srv.base_url, "--tokenizer", str(tiny_model_dir), "--mode", "plain",
                                  "--max-tokens", "5000", "q"])
    assert code == 0, err
    assert "finish budget" in out
    last = handler.requests[-1]
    assert len(last["prompt"]) + last["max_tokens"] == 2100
