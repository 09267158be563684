#!/usr/bin/env bash
cd /work/main && source .venv/bin/activate
R="deepmath-train recipe --out runs/nano2 --sft-per-family 40 --sft-epochs 1 --test-shard 0/2 --champ-limit 10 --grpo-problems-per-step 4 --grpo-steps 10 --grpo-save-steps 5"
while pgrep -f driver2.sh >/dev/null; do sleep 5; done
$R --stages choose
echo "choose done $(date +%T)"
