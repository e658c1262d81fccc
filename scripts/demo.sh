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

# --- live: the same core on Kafka ---------------------------------------------------------
echo
echo "== live routing on Kafka: a local broker, the worker, a generated week of leads"
DEMO=out/demo
PORT=${LEADFLOW_DEMO_PORT:-29092}
WEB=${LEADFLOW_DEMO_WEB_PORT:-16066}
mkdir -p "$DEMO"
python -m benchmarks.generate --leads 300 --reps 12 --weeks 1 --seed 3 --out "$DEMO/week.jsonl" \
  > "$DEMO/generate.txt"
head -1 "$DEMO/generate.txt"
leadflow kafka start --dir "$DEMO/kafka" --jars .kafka/jars --port "$PORT"
# The read token of the worker's views (every view but /health asks for one).
TOKEN=$(python -c 'import secrets; print(secrets.token_urlsafe(24))')
export LEADFLOW_BROKER="kafka://127.0.0.1:$PORT" LEADFLOW_APP_ID="demo-$(date +%s)" \
  LEADFLOW_PARTITIONS=1 LEADFLOW_STATE_DIR="$DEMO/state" LEADFLOW_WEB_PORT="$WEB" \
  LEADFLOW_READ_TOKENS="$TOKEN"
export LEADFLOW_TOPIC_EVENTS="$LEADFLOW_APP_ID.events" \
  LEADFLOW_TOPIC_ASSIGNMENTS="$LEADFLOW_APP_ID.assignments" \
  LEADFLOW_TOPIC_ALERTS="$LEADFLOW_APP_ID.alerts" \
  LEADFLOW_TOPIC_DEADLETTER="$LEADFLOW_APP_ID.deadletter"
leadflow worker --policy "$DEMO/policy.yaml" --clock event > "$DEMO/worker.log" 2>&1 &
WORKER=$!
cleanup() {
  kill "$WORKER" 2>/dev/null || true
  wait "$WORKER" 2>/dev/null || true
  leadflow kafka stop --dir "$DEMO/kafka" --jars .kafka/jars || true
}
trap cleanup EXIT
echo "   worker pid $WORKER (log: $DEMO/worker.log), web views on http://127.0.0.1:$WEB"
leadflow loadgen --replay "$DEMO/week.jsonl" --speed 0 --include-invalid --no-progress
python scripts/demo_wait.py "http://127.0.0.1:$WEB" "$DEMO/week.jsonl"
echo
echo "== the SLA scorecard, live from the worker (GET /sla?format=text)"
python -c "import sys, urllib.request as u; r = u.Request(sys.argv[1], headers={'Authorization': 'Bearer ' + sys.argv[2]}); sys.stdout.write(u.urlopen(r).read().decode())" \
  "http://127.0.0.1:$WEB/sla?format=text" "$TOKEN"

echo
echo "== the same stream replayed offline: the dashboard page as one file"
leadflow scorecard --policy "$DEMO/policy.yaml" "$DEMO/week.jsonl" --html "$DEMO/dashboard.html" \
  --no-progress > /dev/null
echo "   $DEMO/dashboard.html (self-contained: open it anywhere, no network needed)"

echo
echo "== the shared dashboard, live from the worker"
echo "   URL:   http://127.0.0.1:$WEB/?token=$TOKEN"
echo "   TV:    http://127.0.0.1:$WEB/?tv=1&token=$TOKEN"
echo "   token: $TOKEN   (curl -H 'Authorization: Bearer $TOKEN' http://127.0.0.1:$WEB/sla)"
if [ -t 0 ] && [ -t 1 ]; then
  echo "   the worker keeps running; press Ctrl-C to stop it and the broker"
  trap 'echo; echo "stopping"; exit 0' INT
  wait "$WORKER" || true
fi
