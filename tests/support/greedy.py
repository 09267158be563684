"""Which greedy decisions a test may compare exactly, on any CPU.

A greedy step picks the largest logit. When the top two logits are closer than the rounding noise of a
float32 forward pass, the pick depends on the summation order of the matmuls, which differs with the
CPU's kernels and with the batch shape; a tiny model trained at test time (`teach_protocol`) also ends
with slightly different weights on different CPUs. So a test compares batched with serial decoding
token for token only up to the first such near-tie, and asserts that the rows meant to be forced
(memorised prompts, budgets) contain none.
"""

from __future__ import annotations

import torch

# Far above float32 rounding noise in these tiny models' logits (order 1e-5), far below the margins of
# the decisions the protocol model memorised.
NEAR_TIE = 1e-3


def margins(model, prompt: list[int], tokens: list[int]) -> list[float]:
    """Top-1 minus top-2 logit at each position of `tokens` (one unbatched float32 forward pass)."""
    if not tokens:
        return []
    with torch.no_grad():
        logits = model(torch.tensor([list(prompt) + list(tokens)])).logits[0].float()
    top2 = logits[len(prompt) - 1: len(prompt) - 1 + len(tokens)].topk(2, dim=-1).values
    return (top2[:, 0] - top2[:, 1]).tolist()


def decided(model, prompt: list[int], tokens: list[int], positions: list[bool] | None = None) -> int:
    """How many leading `tokens` no CPU could decode differently: the index of the first near-tie among
    the model's own decisions (`positions`, default all), or len(tokens) if there is none."""
    for i, (m, own) in enumerate(zip(margins(model, prompt, tokens), positions or [True] * len(tokens))):
        if own and m < NEAR_TIE:
            return i
    return len(tokens)
