"""Fixtures for the training tests: a tiny Qwen3 taught to follow the agent's tool protocol
(see support.protocol_model for why)."""

from __future__ import annotations

import pytest
from support.protocol_model import Protocol, protocol_sequence, teach_protocol

PROTO = Protocol(problem="What is 6 * 7?", call="Let me compute.\n<tool_call>\nprint(6 * 7)\n</tool_call>",
                 tool_text="42", answer_text="So the answer is \\boxed{42}.", answer="42")


def proto_sequence(tok) -> tuple[list[int], list[int], list[int]]:
    """(prompt ids, completion ids, mask) of the trajectory the protocol model is trained on."""
    return protocol_sequence(PROTO, tok)


@pytest.fixture(scope="session")
def protocol_model(tiny_model_dir, tmp_path_factory):
    """SimpleNamespace(dir=checkpoint taught the protocol, problem=its problem, answer=its answer)."""
    from types import SimpleNamespace

    out = teach_protocol(tiny_model_dir, tmp_path_factory.mktemp("tiny-qwen3-protocol"), PROTO)
    return SimpleNamespace(dir=out, problem=PROTO.problem, answer=PROTO.answer)
