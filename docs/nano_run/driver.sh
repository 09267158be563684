#!/usr/bin/env bash
# issue 9, session 4: the stop-15 recipe settings on branch h/phrasings (26-28 train phrasings per family);
# rows (a)/(b) copied from runs/nano2 (same base model, same test split, same settings)
cd /work/wt/phrasings && source .venv/bin/activate
R="deepmath-train recipe --out runs/nano5 --sft-per-family 40 --sft-epochs 1 --test-shard 0/2 --champ-limit 10 --grpo-problems-per-step 4 --grpo-steps 10 --grpo-save-steps 5"
echo "start $(date +%T)"
$R --stages sft-agent,test || exit 1
echo "sft-agent + test done $(date +%T)"
$R --stages sft-plain,test || exit 1
echo "sft-plain + test done $(date +%T)"
