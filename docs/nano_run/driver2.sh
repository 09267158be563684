#!/usr/bin/env bash
# after the test rows: report + ship (rows a-d; GRPO not trained in this session), then a GRPO run for its memory
cd /work/main && source .venv/bin/activate
R="deepmath-train recipe --out runs/nano2 --sft-per-family 40 --sft-epochs 1 --test-shard 0/2 --champ-limit 10 --grpo-problems-per-step 4 --grpo-steps 10 --grpo-save-steps 5"
while pgrep -f "recipe --out runs/nano2 .* --stages sft-plain,test" >/dev/null; do sleep 5; done
$R --stages report --docs docs/nano.md --ship agent_client/nano_adapter || exit 1
echo "report done $(date +%T)"
( while sleep 15; do P=$(pgrep -f "deepmath-train --model" | head -1); [ -n "$P" ] && echo "$(date +%T) $(ps -o rss= -p $P)" ; done ) >> runs/nano2/grpo_rss.log 2>&1 &
MON=$!
$R --stages grpo --train-threads 1; kill $MON
echo "grpo done $(date +%T)"
