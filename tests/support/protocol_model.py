"""A tiny Qwen3 taught to follow the agent's tool protocol, for end-to-end tests with a *real* model.

Why: random weights never write `<tool_call>`, so a fully unscripted run would never reach the
sandbox. Overfitting the tiny model on one agent trajectory (the real prompt, one tool call, the
sandbox's output block with no loss on it, a boxed answer, EOS) gives a real policy that writes the
call itself; greedy or low-temperature decoding then reproduces it through the real agent loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Protocol:
    problem: str
    call: str         # the model's text up to and including </tool_call>
    tool_text: str    # what the sandbox prints for that call
    answer_text: str  # the model's text after the output block
    answer: str       # the boxed answer


def protocol_sequence(p: Protocol, tok) -> tuple[list[int], list[int], list[int]]:
    """(prompt ids, completion ids, mask) of the trajectory the model is taught."""
    from agent_client import Agent, AgentConfig
    from agent_client.agent import tool_output

    class _NoExec:  # only the prompt is needed; Agent requires an executor in agent mode
        async def run(self, code, session_id, timeout_s=None):
            raise AssertionError

        async def reset_session(self, session_id):
            raise AssertionError

    prompt = Agent(None, _NoExec(), tok, AgentConfig()).prompt_ids(p.problem)
    enc = lambda s: list(tok.encode(s, add_special_tokens=False))  # noqa: E731
    out = tool_output(tok, p.tool_text, AgentConfig().max_tool_output_tokens)[1]  # as the loop appends it
    call, answer = enc(p.call), enc(p.answer_text)
    answer.append(tok.eos_token_id)
    return prompt, call + out + answer, [1] * len(call) + [0] * len(out) + [1] * len(answer)


def teach_protocol(base_dir, out_dir, p: Protocol, max_steps: int = 300, target_loss: float = 0.01) -> Path:
    """Overfit the checkpoint in `base_dir` on `p`'s trajectory (no loss on tool output); save to `out_dir`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(base_dir)
    model = AutoModelForCausalLM.from_pretrained(base_dir)
    prompt, completion, mask = protocol_sequence(p, tok)
    x = torch.tensor([prompt + completion])
    y = torch.tensor([[-100] * len(prompt) + [t if m else -100 for t, m in zip(completion, mask)]])
    torch.manual_seed(0)
    opt = torch.optim.AdamW(model.parameters(), lr=6e-3)
    for _ in range(max_steps):
        loss = model(input_ids=x, labels=y).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        if loss.item() < target_loss:
            break
    out = Path(out_dir)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out
