#!/usr/bin/env bash
# The test command: creates .venv in the repo root, installs leadflow and its
# dev tools from PyPI, then runs ruff, mypy (strict on routing/), fetches the
# Kafka broker's jars (Maven) and runs pytest, which starts the broker itself.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
echo "== ruff"
ruff check .
echo "== mypy"
mypy
echo "== kafka jars (fetched from Maven Central once, cached in .kafka/jars)"
python -m streams.broker fetch
echo "== pytest"
python -m pytest "$@"
