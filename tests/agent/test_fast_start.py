"""What makes the offline default start and answer faster, and that it changes no answer.

- A LoRA is merged into the weights when loaded for generation (`load_model`): the same logits as the
  unmerged peft model, no adapter layers left.
- The offline default loads DeepMath-nano already merged, from a checkpoint built once per adapter
  (`nano_model_dir`).
- `engine_and_sandbox` starts the stdio sandbox server while the model loads (the real tiny model and
  the real `deepmath-mcp`); a model that fails to load still closes the sandbox.
- A template-less packaged base (Gemma 3 270M) gets its turn format and end-of-turn token.

Speed itself is measured by benchmarks/default_answer.py, not here.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import anyio
import pytest
import torch
from rich.console import Console

from agent_client import cli as agent_cli
from agent_client.default_model import PackagedBase, give_turns, nano_model_dir
from agent_client.local_backend import LocalBackend, load_model
from agent_client import setup


@pytest.fixture(scope="module")
def lora_dir(tiny_model_dir, tmp_path_factory):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("lora")
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear",
                                    init_lora_weights=False)).save_pretrained(out)  # random B: it matters
    return out


def _logits(model, ids):
    with torch.no_grad():
        return model(torch.tensor([ids])).logits


def test_a_loaded_lora_is_merged_and_gives_the_same_logits(tiny_model_dir, lora_dir):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    merged, tok = load_model(tiny_model_dir, lora_dir)
    unmerged = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model_dir), str(lora_dir)).eval()
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    ids = tok.encode("What is 7 times 6? Let me compute", add_special_tokens=False)
    assert not any("lora" in name for name in merged.state_dict())
    assert torch.allclose(_logits(merged, ids), _logits(unmerged, ids), atol=1e-4)
    assert not torch.allclose(_logits(merged, ids), _logits(base, ids), atol=1e-2)  # the adapter did something


def test_the_merged_default_is_built_once_per_adapter(tiny_model_dir, lora_dir, tmp_path, monkeypatch):
    import shutil

    monkeypatch.setenv("DEEPMATH_CACHE", str(tmp_path / "cache"))
    said: list[str] = []
    first = nano_model_dir(lora_dir, tiny_model_dir, log=said.append)
    assert len(said) == 1 and "Merging" in said[0]
    assert nano_model_dir(lora_dir, tiny_model_dir, log=said.append) == first and len(said) == 1  # cached
    merged, tok = load_model(first)
    ids = tok.encode("2 + 2 =", add_special_tokens=False)
    assert torch.allclose(_logits(merged, ids), _logits(load_model(tiny_model_dir, lora_dir)[0], ids), atol=1e-5)

    other = tmp_path / "other-lora"  # another adapter (other weights): another checkpoint
    shutil.copytree(lora_dir, other)
    from safetensors.torch import load_file, save_file

    weights = load_file(other / "adapter_model.safetensors")
    save_file({k: v * 2 for k, v in weights.items()}, other / "adapter_model.safetensors")
    assert nano_model_dir(other, tiny_model_dir, log=said.append) != first and len(said) == 2


def _mcp_children() -> set[int]:
    """pids of this process's children that are a deepmath-mcp server (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmd = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and (b"deepmath-mcp" in cmd or b"mcp_server" in cmd):
            found.add(int(stat.parent.name))
    return found


def test_the_sandbox_starts_while_the_model_loads(tiny_model_dir, monkeypatch):
    """The model load waits (up to 20 s) until a deepmath-mcp server process of ours exists: one after
    the other, the server would only be spawned after the load returned, and this would time out."""
    real = LocalBackend.from_pretrained
    seen: dict[str, object] = {}
    before = _mcp_children()

    def watching(*a, **kw):
        deadline = time.monotonic() + 20
        while not _mcp_children() - before and time.monotonic() < deadline:
            time.sleep(0.05)
        seen["server during load"] = bool(_mcp_children() - before)
        return real(*a, **kw)

    monkeypatch.setattr(LocalBackend, "from_pretrained", staticmethod(watching))
    args = agent_cli.parse_args(["--model", str(tiny_model_dir), "--engine", "local", "q"])
    quiet = Console(stderr=True, quiet=True)

    async def go():
        async with setup.engine_and_sandbox(args, quiet, quiet, setup.SANDBOX_START) as (engine, executor):
            result = await executor.run("print(6 * 7)", "s1", timeout_s=10)
            return engine, result

    engine, result = anyio.run(go)
    assert seen == {"server during load": True}
    assert isinstance(engine.backend, LocalBackend) and (result.status, result.text.strip()) == ("ok", "42")


def test_a_model_that_fails_to_load_still_closes_the_sandbox(tmp_path):
    bad = tmp_path / "not-a-model"
    bad.mkdir()
    (bad / "config.json").write_text("{}")
    args = agent_cli.parse_args(["--model", str(bad), "--engine", "local", "q"])
    quiet = Console(stderr=True, quiet=True)
    before = _mcp_children()

    async def go():
        async with setup.engine_and_sandbox(args, quiet, quiet, setup.SANDBOX_START):
            pass

    with pytest.raises(ValueError, match="tokenizer"):  # transformers' own error, raised in the load thread
        anyio.run(go)
    deadline = time.monotonic() + 10
    while _mcp_children() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _mcp_children() - before  # the spawned server was stopped


def test_a_template_less_base_gets_its_turns(tiny_model_dir):
    from transformers import AutoTokenizer, GenerationConfig

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    tok.chat_template = None
    gen = GenerationConfig(eos_token_id=tok.convert_tokens_to_ids("<|endoftext|>"))
    base = PackagedBase("t", "t", "t", chat_template="gemma.jinja", end_of_turn="<|im_end|>")
    give_turns(tok, gen, base)
    text = tok.apply_chat_template([{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}],
                                   tokenize=False, add_generation_prompt=True)
    assert text == f"{tok.bos_token or ''}<start_of_turn>user\nS\n\nQ<end_of_turn>\n<start_of_turn>model\n"
    assert tok.eos_token == "<|im_end|>"
    assert set(gen.eos_token_id) == {tok.convert_tokens_to_ids("<|endoftext|>"), tok.convert_tokens_to_ids("<|im_end|>")}
    with pytest.raises(RuntimeError, match="no <nope> token"):
        give_turns(tok, gen, PackagedBase("t", "t", "t", end_of_turn="<nope>"))
