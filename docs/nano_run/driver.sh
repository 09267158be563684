#!/usr/bin/env bash
# chain the remaining recipe stages after sft-agent (runs/nano2); each call resumes what exists
cd /work/main && source .venv/bin/activate
R="deepmath-train recipe --out runs/nano2 --sft-per-family 40 --sft-epochs 1 --test-shard 0/2 --champ-limit 10 --grpo-problems-per-step 4 --grpo-steps 10 --grpo-save-steps 5"
while pgrep -f "recipe --out runs/nano2 --sft-per-family 40 --sft-epochs 1 --test-shard 0/4" >/dev/null; do sleep 10; done
$R --stages sft-plain,test || exit 1
( while sleep 20; do P=$(pgrep -f "deepmath-train --model" | head -1); [ -n "$P" ] && echo "$(date +%T) $(ps -o rss= -p $P)" ; done ) >> runs/nano2/grpo_rss.log 2>&1 &
MON=$!
$R --stages grpo; kill $MON
$R --stages report --docs docs/nano.md --ship agent_client/nano_adapter
