"""Fixtures for the eval tests: the tiny tokenizer and a scripted OpenAI-compatible server whose
policy solves CHAMP problems *through the real sandbox*.

The scripted policy (a stand-in for a model, said so here and in each test using it) writes one
snippet that prints a number and then boxes whatever the sandbox printed. For problems whose
dataset index is even it prints the reference answer, for odd ones the answer plus one, so the
expected scores are known in advance while every answer really travels model -> MCP -> wasm ->
model. Everything else is real: HTTP server, tokenizer, `deepmath-mcp` over stdio, math-verify.
"""

from __future__ import annotations

import pytest

from support.champ_policy import champ_policy
from support.scripted_server import ScriptedCompletions, ScriptedOpenAIServer


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


@pytest.fixture
def champ_server(tiny_tokenizer):
    """Start a scripted server for the given CHAMP problems; stopped at teardown."""
    servers = []

    def start(problems, delay_s: float = 0.0) -> ScriptedOpenAIServer:
        handler = ScriptedCompletions(tiny_tokenizer, champ_policy({p.problem: p.answer for p in problems}),
                                      model_name="scripted-champ")
        srv = ScriptedOpenAIServer(handler, delay_s=delay_s).start()
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.stop()
