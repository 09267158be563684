#!/usr/bin/env bash
# session 5: the rest of the recipe on branch h/phrasings (same settings as driver.sh)
cd /work/wt/phrasings && source .venv/bin/activate
R="deepmath-train recipe --out runs/nano5 --sft-per-family 40 --sft-epochs 1 --test-shard 0/2 --champ-limit 10 --grpo-problems-per-step 4 --grpo-steps 10 --grpo-save-steps 5"
echo "start $(date +%T)"
$R --stages sft-plain,test || exit 1
echo "sft-plain + test done $(date +%T)"
$R --stages grpo || exit 1
echo "grpo done $(date +%T)"
$R --stages report --docs docs/nano.md --ship agent_client/nano_adapter || exit 1
echo "report done $(date +%T)"
