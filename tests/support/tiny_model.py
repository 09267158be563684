"""A tiny Qwen3 causal LM and byte-level BPE tokenizer, built offline in a few seconds.

Why: no hub access on CI, yet the agent, eval and training paths must run a *real* transformer
with Qwen3's special tokens and chat template. The weights are random (seeded), so the model's
text is noise; tests that need a particular continuation use a scripted policy instead.
head_dim 32 because vLLM's CPU attention rejects 16.
"""

from __future__ import annotations

import random
from pathlib import Path

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
ADDED = ["<think>", "</think>", "<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"]
VOCAB = 1024


def _corpus(n_lines: int = 400, seed: int = 0) -> list[str]:
    rnd = random.Random(seed)
    words = ("the of and to a in is that for it as was with be by on not this are or from at which "
             "but have an they you were").split()
    lines = []
    for i in range(n_lines):
        a, b = rnd.randint(0, 999), rnd.randint(1, 99)
        lines.append([
            f"What is {a} + {b}? The answer is \\boxed{{{a + b}}}.",
            f"<tool_call>\nx = {a}\ny = {b}\nprint(x * y)\n</tool_call>\n```output\n{a * b}\n```",
            f"Let us compute \\frac{{{a}}}{{{b}}} = {a / b:.4f}. Therefore the result is {a // b}.",
            " ".join(rnd.choice(words) for _ in range(12)).capitalize() + ".",
            f"from sympy import symbols, solve\nx = symbols('x')\nprint(solve(x**2 - {a}, x))",
            f"<think>\nWe need {a} - {b}.\n</think>\n\nSo the final answer is $\\boxed{{{a - b}}}$.",
        ][i % 6])
    return lines


def _tokenizer():
    import trl
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=SPECIAL, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_corpus(), trainer=trainer)
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                 padding_side="left", model_max_length=4096,
                                 clean_up_tokenization_spaces=False)
    hf.add_tokens(ADDED, special_tokens=False)  # as in Qwen3: kept by decode(skip_special_tokens=True)
    hf.add_special_tokens({"additional_special_tokens": ["<|im_start|>"]})
    hf.chat_template = (Path(trl.__file__).parent / "chat_templates" / "qwen3.jinja").read_text()
    return hf


def build_tiny_model(out_dir: str | Path) -> Path:
    """Write a tiny Qwen3 checkpoint + tokenizer to `out_dir` (loadable with from_pretrained)."""
    import torch
    from transformers import AutoModelForCausalLM, GenerationConfig, Qwen3Config

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = _tokenizer()
    cfg = Qwen3Config(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=2, num_key_value_heads=1, head_dim=32,
                      max_position_embeddings=4096, tie_word_embeddings=True, bos_token_id=None,
                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(cfg)
    model.generation_config = GenerationConfig(
        eos_token_id=[tok.eos_token_id, tok.convert_tokens_to_ids("<|endoftext|>")],
        pad_token_id=tok.pad_token_id, do_sample=True, temperature=0.6, top_p=0.95, top_k=20)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


if __name__ == "__main__":
    import sys

    print(build_tiny_model(sys.argv[1] if len(sys.argv) > 1 else "tiny-qwen3"))
