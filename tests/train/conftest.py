"""Fixtures for the training tests: a tiny Qwen3 taught to follow the agent's tool protocol.

Why: a random tiny model never writes `<tool_call>`, so a fully unscripted rollout would never reach
the sandbox. Overfitting the tiny model on one agent trajectory (the real v1 prompt, one tool call,
the sandbox's output block with no loss on it, a boxed answer, EOS) gives a real policy that
writes the call itself; low-temperature sampling then reproduces it through the real agent loop.
"""

from __future__ import annotations

import pytest

PROTO_PROBLEM = "What is 6 * 7?"
PROTO_CALL = "Let me compute.\n<tool_call>\nprint(6 * 7)\n</tool_call>"
PROTO_OUTPUT = "42"
PROTO_ANSWER = "So the answer is \\boxed{42}."


def proto_sequence(tok) -> tuple[list[int], list[int], list[int]]:
    """(prompt ids, completion ids, mask) of the trajectory the protocol model is trained on."""
    from agent_client import Agent, AgentConfig
    from agent_client.agent import OUTPUT_TEMPLATE

    prompt = Agent(None, object(), tok, AgentConfig()).prompt_ids(PROTO_PROBLEM)  # prompt building only
    enc = lambda s: list(tok.encode(s, add_special_tokens=False))  # noqa: E731
    call, out, answer = enc(PROTO_CALL), enc(OUTPUT_TEMPLATE.format(text=PROTO_OUTPUT)), enc(PROTO_ANSWER)
    answer.append(tok.eos_token_id)
    return prompt, call + out + answer, [1] * len(call) + [0] * len(out) + [1] * len(answer)


@pytest.fixture(scope="session")
def protocol_model(tiny_model_dir, tmp_path_factory):
    """SimpleNamespace(dir=checkpoint taught the protocol, problem=its problem, answer=its answer)."""
    from types import SimpleNamespace

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    prompt, completion, mask = proto_sequence(tok)
    x = torch.tensor([prompt + completion])
    y = torch.tensor([[-100] * len(prompt) + [t if m else -100 for t, m in zip(completion, mask)]])
    torch.manual_seed(0)
    opt = torch.optim.AdamW(model.parameters(), lr=6e-3)
    for _ in range(300):
        loss = model(input_ids=x, labels=y).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        if loss.item() < 0.01:
            break
    out = tmp_path_factory.mktemp("tiny-qwen3-protocol")
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return SimpleNamespace(dir=out, problem=PROTO_PROBLEM, answer=PROTO_OUTPUT)
