"""Cold-start SFT: teacher traces through the real agent loop + real sandbox over MCP, and TRL's SFTTrainer.

The teacher is a scripted policy (train.teacher.TeacherBackend) — on purpose: it is the data source.
Everything around it is real: the agent loop, deepmath-mcp over stdio, the wasmtime sandbox, TRL.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

import anyio
import pytest

from agent_client import Agent, AgentConfig, Generation, McpExecutor
from train.teacher import TeacherBackend, collect, sft_row


@dataclass(frozen=True)
class Item:
    id: str
    problem: str
    answer: str
    code: str


ITEMS = [Item("sum", "What is the sum of the integers from 1 to 100?", "5050", "print(sum(range(1, 101)))"),
         Item("pow", "What is 3 to the power 20?", "3486784401", "print(3 ** 20)"),
         Item("wrong", "What is 2 + 2?", "4", "print(2 + 3)"),      # the snippet's output disagrees with the gold
         Item("crash", "What is 1 / 0?", "0", "print(1 / 0)")]      # the snippet fails in the sandbox


@pytest.fixture(scope="module")
def tok(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


@pytest.fixture(scope="module")
def traces(tok):
    async def go():
        async with McpExecutor.stdio(shlex.split("deepmath-mcp --log-level WARNING")) as ex:
            return await collect(ITEMS, tok, mode="agent", prompt_version="nano-v1", executor=ex)

    return anyio.run(go)


def test_teacher_traces_keep_only_snippets_that_ran_and_graded(traces):
    assert [it.id for it, _ in traces.kept] == ["sum", "pow"]
    dropped = dict(traces.dropped)
    assert set(dropped) == {"wrong", "crash"}
    assert "does not grade" in dropped["wrong"]
    assert "status" in dropped["crash"]


def test_answer_is_read_from_the_real_sandbox_output(traces, tok):
    _, t = traces.kept[0]
    assert t.tool_calls == 1 and t.tool_errors == 0 and t.answer == "5050" and t.finish_reason == "answer"
    tool = [s for s in t.segments if s.kind == "tool"][0]
    assert tool.text.strip() == "5050"  # rendered by the sandbox, not by the teacher
    assert t.completion_ids[-1] == tok.eos_token_id and t.mask[-1] == 1


def test_sft_labels_cover_only_the_policys_tokens(traces, tiny_model_dir, tok, tmp_path):
    from train.sft import SFTStageConfig, build_trainer

    rows = [sft_row(t) for _, t in traces.kept]
    cfg = SFTStageConfig(model=str(tiny_model_dir), output_dir=str(tmp_path / "sft"), max_steps=1,
                         per_device_train_batch_size=2, save_steps=100, logging_steps=1, lora_r=4,
                         warmup_ratio=0.0)
    trainer = build_trainer(cfg, tokenizer=tok, rows=rows, model=_model(tiny_model_dir))
    for (_, t), ex in zip(traces.kept, trainer.train_dataset):
        assert ex["input_ids"] == t.prompt_ids + t.completion_ids
        want = [-100] * len(t.prompt_ids) + [i if m else -100 for i, m in zip(t.completion_ids, t.mask)]
        assert ex["labels"] == want
        tool_ids = [i for i, m in zip(t.completion_ids, t.mask) if not m]
        assert tool_ids and all(lab == -100 for lab, m in zip(ex["labels"][len(t.prompt_ids):], t.mask) if not m)
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if p.requires_grad}
    trainer.train()
    after = dict(trainer.model.named_parameters())
    assert before and any(not (after[n].detach() == v).all() for n, v in before.items())  # one real step moved LoRA


class Replay:
    """Scripted backend: replays the model segments of a recorded trajectory (tests the loop, not a model)."""

    def __init__(self, segments: list[list[int]], finishes: list[str], tok):
        self.segments, self.finishes, self.tok = list(segments), list(finishes), tok

    async def generate(self, prompt_ids, *, max_tokens, temperature, top_p, stop, seed=None):
        ids, fin = self.segments.pop(0), self.finishes.pop(0)
        return Generation(token_ids=ids, text=self.tok.decode(ids), finish_reason=fin,
                          stop_reason="</tool_call>" if fin == "stop" else None)


def test_sft_sequences_are_what_the_agent_loop_produces(traces, tok):
    """A policy emitting the teacher's own tokens through the unchanged loop rebuilds the exact same sequence."""
    for it, t in traces.kept:
        runs, cur = [], []
        for i, m in zip(t.completion_ids, t.mask):
            if m:
                cur.append(i)
            elif cur:
                runs.append(cur)
                cur = []
        runs.append(cur)

        async def go(runs=runs, it=it):
            async with McpExecutor.stdio(shlex.split("deepmath-mcp --log-level WARNING")) as ex:
                agent = Agent(Replay(runs, ["stop", "eos"], tok), ex, tok, AgentConfig(mode="agent",
                              prompt_version="nano-v1", temperature=0.0))
                return await agent.run(it.problem)

        again = anyio.run(go)
        assert again.ids == t.ids and again.mask == t.mask and sft_row(again) == sft_row(t)


def test_plain_control_answers_without_tools(tok):
    items = ITEMS[:2]
    traces = anyio.run(lambda: collect(items, tok, mode="plain", prompt_version="nano-v1", executor=None))
    assert len(traces.kept) == 2
    for it, t in traces.kept:
        assert t.tool_calls == 0 and t.answer == it.answer and all(t.mask)
        assert "<tool_call>" not in t.completion_text


def test_teacher_refuses_an_untaught_prompt(tok):
    from agent_client import AgentError

    teacher = TeacherBackend(tok, "agent")
    with pytest.raises(AgentError):
        anyio.run(lambda: teacher.generate([1, 2, 3], max_tokens=10, temperature=0.0, top_p=1.0, stop=[]))


def _model(path):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(path)


def _traces_in(out, traces):
    """The stage's output folder with its teacher traces already collected (run() reuses them)."""
    out.mkdir()
    (out / "traces.jsonl").write_text("".join(t.model_dump_json() + "\n" for _, t in traces.kept))
    return (out / "traces.jsonl").read_bytes()


def test_a_full_disk_while_saving_a_checkpoint_keeps_the_whole_ones_and_the_rerun_resumes(
        traces, tiny_model_dir, small_tmpfs, monkeypatch):
    """Issue 23 item 4: the disk fills up after checkpoint-1; saving checkpoint-2 fails."""
    from transformers import TrainerCallback

    from support.tmpfs import fill
    from train import sft
    from wasm_sandbox.diskfull import DiskFull

    disk = small_tmpfs("8m")
    out = disk / "sft"
    kept_traces = _traces_in(out, traces)
    cfg = sft.SFTStageConfig(model=str(tiny_model_dir), output_dir=str(out), max_steps=3, save_steps=1,
                             per_device_train_batch_size=1, logging_steps=1, lora_r=4, warmup_ratio=0.0)

    class FillAfterFirstSave(TrainerCallback):
        filler = None

        def on_save(self, args, state, control, **kwargs):
            if state.global_step == 1:
                FillAfterFirstSave.filler = fill(disk)

    real_build = sft.build_trainer
    monkeypatch.setattr(sft, "build_trainer", lambda c, **kw: _with_callback(real_build(c, **kw), FillAfterFirstSave()))
    with pytest.raises(DiskFull) as caught:
        sft.run(cfg)
    message = str(caught.value)
    assert message.startswith(f"cannot write a training checkpoint to {out}: no space left") and "\n" not in message
    assert "resumes from the last whole checkpoint" in message
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-1"]  # the cut-short one is gone
    assert (out / "checkpoint-1" / "trainer_state.json").is_file() and (out / "traces.jsonl").read_bytes() == kept_traces

    FillAfterFirstSave.filler.unlink()
    summary = sft.run(cfg)
    assert summary["resumed_from"] == str(out / "checkpoint-1") and summary["global_step"] == 3
    assert (out / "adapter_model.safetensors").is_file() and (out / "sft_summary.json").is_file()


def _with_callback(trainer, callback):
    trainer.add_callback(callback)
    return trainer


def test_deepmath_train_sft_on_a_full_disk_exits_2_with_one_line(traces, tiny_model_dir, small_tmpfs, capsys):
    from support.tmpfs import fill
    from train.cli import main

    disk = small_tmpfs("1m")
    out = disk / "sft"
    kept_traces = _traces_in(out, traces)
    fill(disk)
    rc = main(["sft", "--model", str(tiny_model_dir), "--output-dir", str(out), "--max-steps", "1", "--save-steps", "1",
               "--per-device-train-batch-size", "1", "--lora-r", "4", "--warmup-ratio", "0"])
    err = capsys.readouterr().err
    errors = [line for line in err.replace("\r", "\n").splitlines() if "deepmath-train: error:" in line]
    assert rc == 2 and len(errors) == 1 and "Traceback" not in err, err
    assert f"deepmath-train: error: cannot write a training checkpoint to {out}: no space left" in errors[0]
    assert (out / "traces.jsonl").read_bytes() == kept_traces and not list(out.glob("checkpoint-*"))


def test_a_torch_save_on_a_full_disk_is_one_line_and_its_checkpoint_is_removed(small_tmpfs):
    """torch's writer fails without saying why ("unexpected pos ..."); the full disk it leaves says it."""
    import torch

    from train.checkpoints import saving
    from wasm_sandbox.diskfull import DiskFull

    disk = small_tmpfs("1m")
    with pytest.raises(ValueError, match="not about space"):  # other errors stay what they are
        with saving(disk):
            raise ValueError("not about space")
    (disk / "checkpoint-7").mkdir()
    with pytest.raises(DiskFull, match="no space left") as caught:
        with saving(disk):
            torch.save({"w": torch.zeros(1 << 20)}, disk / "checkpoint-7" / "optimizer.pt")  # 4 MB into 1 MB
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert not (disk / "checkpoint-7").exists()  # cut short: removed, a resume will not pick it
