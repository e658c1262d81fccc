#!/usr/bin/env bash
# The test command: creates .venv in the repo root, installs leadflow and its
# dev tools from PyPI, compiles the routing core with mypyc (setup.py; skipped when
# up to date), then runs ruff, mypy (strict on routing/), fetches the Kafka broker's jars (Maven), installs Debian's Chromium when it can (root + apt-get),
# and runs pytest, which starts the broker itself.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
echo "== compiled core (mypyc, incremental; LEADFLOW_COMPILE=0 skips it, LEADFLOW_PURE=1 ignores it)"
if ! python setup.py -q build_ext --inplace >.venv/build-core.log 2>&1; then
  tail -20 .venv/build-core.log
fi
grep '^leadflow:' .venv/build-core.log || true
echo "== ruff"
ruff check .
echo "== mypy"
mypy
echo "== kafka jars (fetched from Maven Central once, cached in .kafka/jars)"
python -m streams.broker fetch
echo "== chromium (Debian's, for the HTML report's headless-browser test)"
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "   could not install chromium: the browser test will be skipped"
  else
    echo "   not root or no apt-get: the browser test will be skipped"
  fi
fi
echo "== pytest"
python -m pytest "$@"
