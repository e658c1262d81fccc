#!/usr/bin/env bash
# The test command: creates .venv in the repo root, installs leadflow and its
# dev tools from PyPI, then runs ruff, mypy (strict on routing/) and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
echo "== ruff"
ruff check .
echo "== mypy"
mypy
echo "== pytest"
python -m pytest "$@"
