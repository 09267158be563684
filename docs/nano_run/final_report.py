"""How the committed DeepMath-nano results were assembled (see docs/nano.md, 'How these numbers were made')."""
from pathlib import Path
from eval.records import read_run
from eval.report import score_runs
from train.nano_report import common_problems, write_report
from train.recipe import Recipe, RecipeConfig, ship

N, N4 = Path("/work/main/runs/nano"), Path("/work/main/runs/nano4")
cfg = RecipeConfig(out=str(N), docs="/work/main/docs/nano.md", ship="/work/main/agent_client/nano_adapter",
                   test_shard="0/4", champ_limit=0)
r = Recipe(cfg)
r.timings = {"sft-agent (92 steps, load 10-18)": 56 * 60, "sft-plain (92 steps)": 28 * 60,
             "grpo (15 of 20 steps, then OOM-killed)": 34 * 60}
val_runs = common_problems([read_run(N / "eval/nano-val--val-sft.jsonl"),
                            read_run(N / "eval/nano-val--val-grpo-checkpoint-10.jsonl")])
val = {name: s.mean.value for name, s in zip(["sft", "grpo-checkpoint-10"], score_runs(val_runs))}
paths = {"sft": N / "sft-agent", "grpo-checkpoint-10": N / "grpo/checkpoint-10"}
best = max(val, key=lambda k: (val[k], k != "sft"))
print("val", val, "->", best)
chosen = paths[best]
ship(chosen, Path(cfg.ship), base=r.base, prompt_version=cfg.prompt_version,
     recipe={"recipe": {**cfg.__dict__, "sft_per_family": 16}, "chosen": f"{best} ({chosen})", "nano_val_mean": val})
runs = {"nano-test": [N / "eval/nano-test--a-base-plain.jsonl", N / "eval/nano-test--b-base-agent-fewshot.jsonl",
                      N / "eval/nano-test--c-sft-plain.jsonl", N4 / "eval/nano-test--d-sft-agent.jsonl",
                      N4 / "eval/nano-test--e-sft-grpo-agent.jsonl"]}
print(write_report(r, runs, val=val, chosen=chosen))
