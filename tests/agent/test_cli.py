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
from agent_client.vote import vote

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
    """The vote is agent_client.vote's (equivalence clusters, the same as deepmath-eval's maj@k)."""
    v = vote([" \\dfrac{1}{2}. ", "0.5", "3"])
    assert v.winner == 0 and v.votes == 2 and v.tied is None
    v = vote(["\\frac12", "3", None, "3 ", "\\frac12"])
    assert (v.winner, v.votes, v.voters, v.tied) == (0, 2, 4, [0, 1])  # a tie, broken by the earliest
    assert vote([None, ""]).winner is None


class Tmux:
    """The installed `deepmath-agent` in a private tmux server (a real pty: colours and live updates on)."""

    def __init__(self, tmp_path, argv: str, height: int = 50):
        exe = shutil.which("deepmath-agent")
        if exe is None:
            pytest.skip("deepmath-agent is not installed (pip install -e .)")
        self.session = f"dm-agent-{uuid.uuid4().hex[:8]}"
        self.done = tmp_path / "exit_code"
        self.tmux = ["tmux", "-L", self.session]  # a private tmux server: never touches anyone else's sessions
        # started from a process without a terminal (pytest), tmux hands the command COLUMNS=80 LINES=24
        # whatever the pane's size: the CLI must draw for the real pane (see cli._trust_the_terminal)
        cmd = f"COLUMNS=80 LINES=24 OMP_NUM_THREADS=1 {exe} {argv}; echo $? > {self.done}; sleep 120"
        subprocess.run([*self.tmux, "new-session", "-d", "-s", self.session, "-x", "120", "-y", str(height), cmd],
                       check=True)

    def screen(self) -> str:
        return subprocess.run([*self.tmux, "capture-pane", "-p", "-t", self.session, "-S", "-300"],
                              capture_output=True, text=True, check=True).stdout

    def wait(self, until, timeout: float = 300) -> bool:
        deadline = time.monotonic() + timeout
        while not until() and time.monotonic() < deadline:
            time.sleep(0.1)
        return until()

    def exit_code(self, timeout: float = 300) -> str | None:
        self.wait(self.done.exists, timeout)
        return self.done.read_text().strip() if self.done.exists() else None

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], check=False)


needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@needs_tmux
def test_live_view_in_a_real_terminal(scripted, tiny_model_dir, mcp_url, tmp_path):
    srv = scripted(SCRIPT)
    term = Tmux(tmp_path, f"--base-url {srv.base_url} --tokenizer {tiny_model_dir} --mcp-url {mcp_url} "
                          "'What is 1+2+...+100?'")
    try:
        code, screen = term.exit_code(), term.screen()
    finally:
        term.close()
    assert code == "0", screen
    assert "total = sum(range(1, 101))" in screen and "output · ok" in screen and "5050" in screen
    assert "╭" in screen  # panels are drawn with box characters on a real terminal


LONG_TURN = ["<think>\n" + "\n".join(f"Step {i}: a line of reasoning, one row on screen." for i in range(16))
             + "\n</think>\n\nLet me compute.\n<tool_call>\nprint(sum(range(1, 101)))\n</tool_call>",
             "The sum is \\boxed{5050}." + EOS]


@needs_tmux
def test_each_turn_is_rendered_once_even_when_taller_than_the_screen(scripted, tiny_model_dir, mcp_url, tmp_path):
    """The first turn (20 rows) is streamed in small requests into a 10-row terminal whose environment
    claims 24 rows (before: the live area overflowed the pane and the turn was printed twice)."""
    srv = scripted(LONG_TURN)
    term = Tmux(tmp_path, f"--base-url {srv.base_url} --tokenizer {tiny_model_dir} --mcp-url {mcp_url} "
                          "--max-tokens-per-step 60 q", height=10)
    try:
        code, screen = term.exit_code(), term.screen()
    finally:
        term.close()
    assert code == "0", screen
    for i in range(16):
        assert screen.count(f"Step {i}: a line") == 1, screen
    assert screen.count("Let me compute.") == 1 and screen.count("print(sum(range(1, 101)))") == 1
    assert screen.index("Step 15") < screen.index("print(sum") < screen.index("output · ok") < screen.index(
        "The sum is")


@needs_tmux
def test_ctrl_c_keeps_what_was_shown_and_a_second_exits_at_once(tok, tiny_model_dir, tmp_path):
    """Ctrl-C in the middle of the first turn: the text streamed so far stays on screen, the run says it
    stopped, exit code 130. A second Ctrl-C while the first is being handled exits at once."""
    from support.scripted_server import ScriptedCompletions, ScriptedOpenAIServer, step_policy

    handler = ScriptedCompletions(tok, step_policy(LONG_TURN))
    with ScriptedOpenAIServer(handler, delay_s=0.2) as srv:  # ~5 requests a second: slow enough to interrupt
        term = Tmux(tmp_path, f"--base-url {srv.base_url} --tokenizer {tiny_model_dir} --mode plain "
                              "--max-tokens-per-step 8 q", height=20)
        try:
            assert term.wait(lambda: "Step 2: a line" in term.screen()), term.screen()
            subprocess.run([*term.tmux, "send-keys", "-t", term.session, "C-c"], check=True)
            t0 = time.monotonic()
            code = term.exit_code(10)
            took = time.monotonic() - t0
            screen = term.screen()
        finally:
            term.close()
    assert code == "130", screen
    assert took < 5, took  # generous for a loaded machine; the brief's target is 2 s
    assert "interrupted: stopping" in screen and "the run was stopped" in screen
    kept = screen[:screen.index("the run was stopped")]
    assert "Step 0: a line" in kept and "Step 1: a line of reasoning, one row on screen." in kept  # not wiped
    assert kept.count("Step 1: a line") == 1


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
