"""Two real GRPO steps on the tiny Qwen3 on CPU, rollouts through the real agent loop and deepmath-mcp.

Real parts: the tiny transformer with a LoRA being trained, TRL's GRPOTrainer, agent_client's
Agent + LocalBackend (the trainer's current policy samples), the MCP client and a `deepmath-mcp`
subprocess running snippets in the wasm sandbox, the math-verify reward, peft save/load.
Scripted part of the two-step run (said here, as the test rules ask): a random tiny model never
writes a tool call, so the FIRST generate call of every other trajectory plays a fixed
`<tool_call>print(6*7)</tool_call>` (each GRPO group then mixes code use 1 and 0, so the
advantages, and the gradient, are not zero); every later call is the real policy. To exercise
the drop path, the very first generate call of the run raises AgentError as a dead endpoint would.
The last test has no scripting at all: a tiny model taught the protocol (conftest.py) writes the
call itself.
"""

from __future__ import annotations

import json

import anyio
import pytest
import torch

from support.net import free_port, wait_port
from support.vllm_env import vllm_server

from agent_client import AgentError, Generation, LocalBackend
from agent_client.agent import OUTPUT_TEMPLATE

pytestmark = pytest.mark.slow

SCRIPT = "<tool_call>\nprint(6*7)\n</tool_call>"
SCRIPT_IDS = lambda tok: tok.encode(SCRIPT, add_special_tokens=False)  # noqa: E731
PROBLEMS = [("What is 6 * 7?", "42"), ("What is 2 + 3?", "5"), ("What is 10 - 4?", "6"), ("What is 9 / 3?", "3")]


class ScriptedToolCall:
    """The first call of every other trajectory (prompt ends with the generation prompt) returns SCRIPT,
    so each GRPO group mixes code use 1 and 0 (reward variance, hence a gradient); all other calls
    are the real policy."""

    def __init__(self, inner, tokenizer, fail_first: bool = False):
        self.inner, self.tok, self.fail_first = inner, tokenizer, fail_first
        self.calls = self.first_calls = self.clears = 0
        self.script_ids = tokenizer.encode(SCRIPT, add_special_tokens=False)

    def clear_cache(self):
        self.clears += 1
        self.inner.clear_cache()

    async def generate(self, prompt_ids, *, max_tokens, temperature, top_p, stop, seed=None):
        self.calls += 1
        if self.fail_first and self.calls == 1:
            raise AgentError("scripted endpoint failure (test)")
        if self.tok.decode(prompt_ids[-40:]).endswith("<|im_start|>assistant\n"):
            self.first_calls += 1
            if self.first_calls % 2 == 1:
                    return Generation(token_ids=list(self.script_ids), logprobs=None, text=SCRIPT,
                                  finish_reason="stop", stop_reason="</tool_call>")
        return await self.inner.generate(prompt_ids, max_tokens=max_tokens, temperature=temperature, top_p=top_p,
                                         stop=stop, seed=seed)


def _config(tiny_model_dir, out, **kw):
    from train.config import TrainConfig

    base = dict(model=str(tiny_model_dir), engine="local", output_dir=str(out), max_steps=2, num_generations=2,
                per_device_train_batch_size=4, gradient_accumulation_steps=1, learning_rate=5e-3, warmup_ratio=0.0,
                lr_scheduler_type="constant", max_tokens=12, max_tokens_per_step=8, agent_max_steps=2,
                temperature_start=1.2, temperature_end=0.7, temperature_steps=2, lora_r=4, lora_alpha=8,
                gradient_checkpointing=False, save_steps=1, rollout_concurrency=4, use_cpu=True, bf16=False, seed=0)
    base.update(kw)
    return TrainConfig(**base)


def _dataset():
    from datasets import Dataset

    return Dataset.from_list([{"prompt": q, "answer": a} for q, a in PROBLEMS])


def _build(cfg, fail_first=False, **kw):
    from train.trainer import build

    def backend(trainer):
        policy = trainer.accelerator.unwrap_model(trainer.model)
        return ScriptedToolCall(LocalBackend(policy, trainer.processing_class), trainer.processing_class, fail_first)

    return build(cfg, train_dataset=_dataset(), backend_factory=backend, **kw)


@pytest.fixture(scope="module")
def trained(tiny_model_dir, tmp_path_factory):
    """Run two GRPO steps once; the tests below inspect different aspects of the same run."""
    from train.trainer import train

    out = tmp_path_factory.mktemp("grpo-out")
    run = _build(_config(tiny_model_dir, out), fail_first=True)
    tr = run.trainer
    before = {n: p.detach().clone() for n, p in tr.model.named_parameters() if "lora_" in n}
    seen = []  # what TRL's loss actually received
    orig = tr._compute_loss

    def spy(model, inputs):
        seen.append({k: inputs[k].detach().clone() for k in ("completion_ids", "completion_mask", "tool_mask")})
        return orig(model, inputs)

    tr._compute_loss = spy
    reports = []
    orig_call = run.rollout._record
    run.rollout._record = lambda rep: (reports.append(rep), orig_call(rep))
    summary = train(run)
    return dict(run=run, out=out, before=before, seen=seen, reports=reports, summary=summary)


def test_two_steps_ran_and_adapter_weights_changed(trained):
    tr = trained["run"].trainer
    assert tr.state.global_step == 2
    after = dict(tr.model.named_parameters())
    changed = [n for n, p in trained["before"].items() if not torch.equal(p, after[n].detach())]
    assert changed and any("lora_B" in n for n in changed)
    out = trained["out"]
    for name in ("adapter_config.json", "adapter_model.safetensors", "train_config.yaml", "metrics.jsonl",
                 "rollout_summary.json"):
        assert (out / name).is_file(), name
    assert (out / "checkpoint-1").is_dir() and (out / "checkpoint-2").is_dir()
    assert trained["run"].rollout.backend.clears == 2  # prefix KV dropped before every batch (new weights)


def test_masked_tokens_are_exactly_the_tool_outputs(trained):
    tok = trained["run"].trainer.processing_class
    trajs = [t for rep in trained["reports"] for t in rep.trajectories if t is not None]
    assert len(trajs) == 2 * 4 - 1
    scripted = [t for t in trajs if tok.decode(t.completion_ids[:len(SCRIPT_IDS(tok))]) == SCRIPT]
    assert len(scripted) >= 3
    for t in trajs:
        tools = [s for s in t.segments if s.kind == "tool"]
        masked = [i for i, m in zip(t.completion_ids, t.mask) if m == 0]
        expected = [i for s in tools for i in tok.encode(OUTPUT_TEMPLATE.format(text=s.text), add_special_tokens=False)]
        assert masked == expected  # every mask-0 token is tool output, every tool output token is masked
        assert t.tool_tokens == len(masked) and t.model_tokens == len(t.mask) - len(masked)
    for t in scripted:  # the sandbox really ran the snippet; its output follows the call, contiguous
        tools = [s for s in t.segments if s.kind == "tool"]
        assert tools[0].status == "ok" and tools[0].text.strip() == "42"
        n_script, n_out = len(SCRIPT_IDS(tok)), len(tok.encode(OUTPUT_TEMPLATE.format(text=tools[0].text),
                                                                add_special_tokens=False))
        assert t.mask[:n_script] == [1] * n_script and t.mask[n_script:n_script + n_out] == [0] * n_out
    # TRL's loss saw the same masks (rows are shuffled by TRL: match them by their completion ids)
    by_ids = {tuple(t.completion_ids): t for t in trajs}
    matched = 0
    for batch in trained["seen"]:
        for ids, cmask, tmask in zip(batch["completion_ids"], batch["completion_mask"], batch["tool_mask"]):
            n = int(cmask.sum())
            t = by_ids.get(tuple(ids[:n].tolist()))
            if t is None:  # the dropped slot: one placeholder token that carries no loss
                assert n == 1 and int(tmask[0]) == 0
                continue
            assert tmask[:n].tolist() == t.mask
            matched += 1
    assert matched == len(trajs)


def test_temperature_followed_the_schedule(trained):
    run = trained["run"]
    logs = [h for h in run.trainer.state.log_history if "temperature" in h]
    assert [h["step"] for h in logs] == [1, 2]
    assert [h["temperature"] for h in logs] == pytest.approx([run.schedule(0), run.schedule(1)])
    assert [h["temperature"] for h in logs] == pytest.approx([1.2, 0.95])
    assert [r.temperature for r in trained["reports"]] == pytest.approx([1.2, 0.95])
    assert run.trainer.temperature == pytest.approx(0.95)
    # and the loss really scores at that temperature: TRL's fused LM head vs log_softmax(logits / 0.95)
    model = run.trainer.model.get_base_model()
    model.eval()  # no LoRA dropout
    ids = torch.tensor([[5, 17, 99, 3, 42, 7]])
    with torch.no_grad():
        fused = model(input_ids=ids, labels=ids, fused_lm_head=True).log_probs[0]
        logits = model(input_ids=ids).logits[0, :-1]
    expected = torch.log_softmax(logits / 0.95, -1).gather(-1, ids[0, 1:, None])[:, 0]
    assert torch.allclose(fused, expected, atol=1e-4)
    assert not torch.allclose(fused, torch.log_softmax(logits / 1.2, -1).gather(-1, ids[0, 1:, None])[:, 0],
                              atol=1e-4)


def test_dropped_rollout_is_counted_not_replaced(trained):
    run = trained["run"]
    assert run.rollout.totals.dropped == 1 and run.rollout.totals.rollouts == 8
    first = [h for h in run.trainer.state.log_history if "rollouts/dropped" in h][0]
    assert first["rollouts/dropped"] == 1.0 and first["rollouts/dropped_frac"] == 0.25
    summary = json.loads((trained["out"] / "rollout_summary.json").read_text())
    assert summary["dropped"] == 1 and "scripted endpoint failure" in summary["first_errors"][0]
    lines = [json.loads(x) for x in (trained["out"] / "metrics.jsonl").read_text().splitlines()]
    step_logs = [x for x in lines if "rewards/accuracy/mean" in x]
    assert len(step_logs) == 2
    for x in step_logs:
        for key in ("rewards/code_use/mean", "agent/code_use_rate", "agent/tool_error_rate", "agent/model_tokens",
                    "agent/masked_tokens", "rollouts/dropped", "temperature"):
            assert key in x, key
        assert x["agent/code_use_rate"] > 0 and x["agent/masked_tokens"] > 0
    # the dropped slot is unscorable (None), not 0: TRL's mean is over the scored rollouts only
    from train.rewards import code_use

    kept = [t for t in trained["reports"][0].trajectories if t is not None]
    assert len(kept) == 3
    assert step_logs[0]["rewards/code_use/mean"] == pytest.approx(sum(code_use(t, "") for t in kept) / 3)
    assert sum(code_use(t, "") for t in kept) > 0


def test_saved_adapter_loads_in_the_agents_local_engine(trained, tiny_model_dir):
    from safetensors.torch import load_file

    backend = LocalBackend.from_pretrained(tiny_model_dir, lora=trained["out"], merge=False)  # to see lora_B
    trained_b = {n: p for n, p in trained["run"].trainer.model.named_parameters() if "lora_B" in n}
    loaded_b = {n: p for n, p in backend.model.named_parameters() if "lora_B" in n}
    assert len(loaded_b) == len(trained_b) > 0
    assert any(p.abs().sum() > 0 for p in loaded_b.values())  # not the zero init
    saved = load_file(str(trained["out"] / "adapter_model.safetensors"))
    assert len(saved) == len(trained_b) * 2
    ids = backend.tokenizer.encode("What is 1 + 1?", add_special_tokens=False)
    gen = anyio.run(lambda: backend.generate(ids, max_tokens=4, temperature=0.0, top_p=1.0, stop=[]))
    assert 1 <= len(gen.token_ids) <= 4


def test_resume_from_latest_checkpoint(trained, tiny_model_dir, tmp_path):
    import shutil

    from train.trainer import train

    out = tmp_path / "resume"
    shutil.copytree(trained["out"] / "checkpoint-1", out / "checkpoint-1")
    run = _build(_config(tiny_model_dir, out, max_steps=2, resume_from_checkpoint="latest"))
    train(run)
    assert run.trainer.state.global_step == 2
    assert run.rollout.totals.batches == 1  # only step 2 was run after resuming
    assert run.rollout.reports[-1].temperature == pytest.approx(0.95)


def test_a_raising_reward_stops_training(tiny_model_dir, tmp_path):
    from train.rewards import RewardError, RewardSet, WeightedReward
    from train.trainer import train

    def broken(traj, gold):
        raise KeyError("grader exploded")

    run = _build(_config(tiny_model_dir, tmp_path, max_steps=1, save_steps=0),
                 rewards=RewardSet([WeightedReward("broken", broken, 1.0)]))
    with pytest.raises(RewardError, match="grader exploded"):
        train(run)
    assert run.trainer.state.global_step == 0


def test_unscripted_policy_tool_calls_flow_through_grpo(protocol_model, tmp_path):
    """No scripting at all: the trainer's own policy (a tiny model taught the protocol) writes the tool call,
    the real sandbox runs it, the output is loss-masked, and the real math-verify reward scores the answer."""
    from datasets import Dataset

    from train.trainer import build, train

    cfg = _config(protocol_model.dir, tmp_path, max_steps=1, save_steps=0, max_tokens=40, max_tokens_per_step=40,
                  agent_max_steps=3, temperature_start=0.3, temperature_end=0.3)
    rows = [{"prompt": protocol_model.problem, "answer": protocol_model.answer}] * 2
    run = build(cfg, train_dataset=Dataset.from_list(rows))
    seen = []
    orig = run.trainer._compute_loss
    run.trainer._compute_loss = lambda model, inputs: (seen.append(inputs["tool_mask"].clone()),
                                                       orig(model, inputs))[1]
    train(run)
    tok = run.trainer.processing_class
    trajs = [t for t in run.rollout.reports[-1].trajectories if t is not None]
    assert len(trajs) == 4
    with_tool = [t for t in trajs if t.tool_calls]
    assert len(with_tool) >= 3  # low temperature: the taught call is reproduced (almost) every time
    for t in trajs:
        tools = [s for s in t.segments if s.kind == "tool"]
        masked = [i for i, m in zip(t.completion_ids, t.mask) if m == 0]
        assert masked == [i for s in tools for i in tok.encode(OUTPUT_TEMPLATE.format(text=s.text),
                                                               add_special_tokens=False)]
    assert any(s.status == "ok" and s.text.strip() == "42" for t in with_tool for s in t.segments if s.kind == "tool")
    log = [h for h in run.trainer.state.log_history if "rewards/code_use/mean" in h][0]
    assert log["rewards/code_use/mean"] == pytest.approx(sum(
        any(s.kind == "tool" and s.status == "ok" for s in t.segments) for t in trajs) / 4)
    assert log["rewards/accuracy/mean"] == pytest.approx(sum(t.answer == "42" for t in trajs) / 4)
    assert log["rewards/accuracy/mean"] > 0
    assert sum(int((m == 0).sum()) for m in seen[0]) == sum(t.tool_tokens for t in trajs)
    assert run.rollout.backend.kv_hits > 0  # the default local engine reuses the shared prompt's KV within a batch


def test_mcp_server_dying_mid_run_drops_rollouts_and_stops(tiny_model_dir, tmp_path):
    """A real failure, nothing injected: the HTTP deepmath-mcp is killed after step 1; at step 2 every rollout
    that calls the sandbox fails, is dropped and counted, and too many drops stop training."""
    import os
    import shutil
    import subprocess

    from transformers import TrainerCallback

    from train.rollout import RolloutFailure
    from train.trainer import train

    exe = shutil.which("deepmath-mcp")
    assert exe, "deepmath-mcp is not installed (pip install -e .)"
    port = free_port()
    proc = subprocess.Popen([exe, "--transport", "http", "--port", str(port), "--log-level", "WARNING"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        wait_port(port, proc, 300)

        class KillAfterFirstStep(TrainerCallback):
            def on_step_end(self, args, state, control, **kw):
                if state.global_step == 1:
                    proc.kill()
                    proc.wait()

        cfg = _config(tiny_model_dir, tmp_path, mcp_url=f"http://127.0.0.1:{port}/mcp", save_steps=0,
                      max_dropped_fraction=0.25)
        run = _build(cfg, callbacks=[KillAfterFirstStep()])
        with pytest.raises(RolloutFailure, match="MCP") as info:
            train(run)
        assert run.trainer.state.global_step == 1
        first, second = run.rollout.reports[-2:]
        # at least the two scripted tool calls fail (the random policy could add one of its own)
        assert first.dropped == 0 and second.dropped >= 2
        assert f"{second.dropped}/4 rollouts failed at step 1" in str(info.value)
        assert run.rollout.totals.dropped == second.dropped
        assert all("MCP" in e for e in second.errors)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()




@pytest.mark.vllm
def test_trained_adapter_serves_in_vllm(trained, tiny_model_dir, tmp_path):
    """vLLM's LoRA serving loads the adapter `train` wrote (full-name target_modules, rsLoRA) and applies it:
    its prompt log-probs under the adapter match peft's in-process ones, and differ from the base model's."""
    import httpx

    with vllm_server(tiny_model_dir, tmp_path / "vllm.log", "--enable-lora", "--max-lora-rank", "8",
                     "--lora-modules", f"deepmath={trained['out']}") as url:
        traj = next(t for rep in trained["reports"] for t in rep.trajectories if t is not None)
        ids = traj.prompt_ids[-24:] + traj.completion_ids[:16]

        def vllm_logprobs(model):
            r = httpx.post(url + "/completions", timeout=120, json={
                "model": model, "prompt": ids, "max_tokens": 1, "temperature": 0, "prompt_logprobs": 0})
            assert r.status_code == 200, r.text
            plp = r.json()["choices"][0]["prompt_logprobs"]
            return torch.tensor([plp[i][str(ids[i])]["logprob"] for i in range(1, len(ids))])

        def local_logprobs(model):
            with torch.no_grad():
                logits = model(input_ids=torch.tensor([ids])).logits[0, :-1].float()
            return torch.log_softmax(logits, -1).gather(-1, torch.tensor(ids[1:])[:, None])[:, 0]

        lora = LocalBackend.from_pretrained(tiny_model_dir, lora=trained["out"], merge=False).model
        served, local = vllm_logprobs("deepmath"), local_logprobs(lora)
        assert torch.allclose(served, local, atol=2e-3), (served - local).abs().max()
        with lora.disable_adapter():
            base = local_logprobs(lora)
        assert (served - base).abs().max() > 2e-2  # the adapter really changed the served model
        assert torch.allclose(vllm_logprobs("tiny"), base, atol=2e-3)


@pytest.mark.vllm
def test_rollouts_from_vllm_are_scored_identically_by_the_trainer(protocol_model, tmp_path):
    """The server path's client side: rollouts sampled by a real vLLM (agent_client's OpenAIBackend, token-id
    prompts, logprobs at the sampling temperature as `trl vllm-serve` configures them) go into a GRPO step,
    and the trainer's own log-probs of every model token equal vLLM's: same prompt, same tokens, same positions.
    (TRL's weight push needs NCCL, so use_vllm stays off here; at step 0 the LoRA is zero, so the served
    base model is the policy.)"""
    from datasets import Dataset

    from agent_client import OpenAIBackend
    from train.trainer import build, train

    with vllm_server(protocol_model.dir, tmp_path / "vllm.log", "--logprobs-mode", "processed_logprobs") as url:
        cfg = _config(protocol_model.dir, tmp_path / "out", max_steps=1, save_steps=0, max_tokens=40,
                      max_tokens_per_step=40, agent_max_steps=3, temperature_start=0.7, temperature_end=0.7,
                      top_p=1.0)
        rows = [{"prompt": protocol_model.problem, "answer": protocol_model.answer}] * 2
        run = build(cfg, train_dataset=Dataset.from_list(rows), backend_factory=lambda tr: OpenAIBackend(url))
        tr = run.trainer
        checks = []
        orig = tr._compute_loss

        def spy(model, inputs):
            ids = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], 1)
            att = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], 1)
            with torch.no_grad():
                logps, _, _ = tr._get_per_token_logps_and_entropies(model, ids, att, inputs["completion_ids"].size(1))
            mask = (inputs["completion_mask"] * inputs["tool_mask"]).bool()
            checks.append((logps[mask], inputs["sampling_per_token_logps"][mask], inputs["tool_mask"]))
            return orig(model, inputs)

        tr._compute_loss = spy
        train(run)
    trajs = [t for t in run.rollout.reports[-1].trajectories if t is not None]
    assert len(trajs) == 4 and all(t.logprobs is not None for t in trajs)
    assert sum(t.tool_calls for t in trajs) >= 3  # the served policy wrote the calls; the sandbox answered
    trainer_logps, vllm_logps, tool_mask = checks[0]
    assert int((tool_mask == 0).sum()) == sum(t.tool_tokens for t in trajs) > 0
    assert torch.allclose(trainer_logps, vllm_logps, atol=5e-3), (trainer_logps - vllm_logps).abs().max()
