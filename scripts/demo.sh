#!/usr/bin/env bash
# leadflow's main job on the embedded example: set up .venv, check the policy, replay the
# sample stream through the routing core in event time, and print the weekly scorecard.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
mkdir -p out
echo "== leadflow validate examples/policy.yaml"
leadflow validate examples/policy.yaml 2>/dev/null | sed -n '1,30p'
echo "   ... (run it yourself for the whole agreement)"
echo
echo "== leadflow replay: examples/events.sample.jsonl, decisions in event time"
leadflow replay --policy examples/policy.yaml --format text examples/events.sample.jsonl
leadflow replay --policy examples/policy.yaml --out out/sample.decisions.jsonl \
  examples/events.sample.jsonl 2>/dev/null
echo "   (the same decisions as JSON lines: out/sample.decisions.jsonl)"
echo
echo "== leadflow scorecard"
leadflow scorecard --policy examples/policy.yaml examples/events.sample.jsonl
