#!/usr/bin/env bash
# CI: the CPU smoke run of docs/train.md through the installed `deepmath-train` console script,
# then load the adapter it wrote in the agent's local engine (`deepmath-agent --engine local --lora`).
set -euo pipefail
export OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python tests/support/tiny_model.py "$tmp/tiny-qwen3" >/dev/null
deepmath-train --model "$tmp/tiny-qwen3" --engine local --dataset champ --max-samples 16 \
  --output-dir "$tmp/run" --max-steps 2 --num-generations 2 --per-device-train-batch-size 4 \
  --gradient-accumulation-steps 1 --max-tokens 32 --lora-r 8 --no-gradient-checkpointing \
  --use-cpu --no-bf16 --save-steps 1 --learning-rate 1e-4 --warmup-ratio 0 > "$tmp/train.log" 2>&1 \
  || { tail -50 "$tmp/train.log"; exit 1; }
for f in adapter_config.json adapter_model.safetensors train_config.yaml metrics.jsonl rollout_summary.json \
         checkpoint-2/trainer_state.json; do
  test -s "$tmp/run/$f" || { echo "train-smoke: missing $f"; exit 1; }
done
deepmath-agent --engine local --model "$tmp/tiny-qwen3" --lora "$tmp/run" --max-tokens 8 --json "What is 1+1?" \
  > "$tmp/agent.json"
python -c "import json,sys; t=json.load(open(sys.argv[1])); assert t['model_tokens'] > 0, t" "$tmp/agent.json"
echo "train-smoke: ok ($(wc -l < "$tmp/run/metrics.jsonl") metric lines)"
