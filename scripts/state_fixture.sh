#!/bin/sh
# Regenerate the state-format fixtures (tests/data/state/*.format<N>.snapshot) with the
# leadflow of COMMIT: its format N, its code (pure Python). See tests/data/state/README.md.
#     scripts/state_fixture.sh COMMIT [OUT_DIR]
set -eu
commit=${1:?usage: scripts/state_fixture.sh COMMIT [OUT_DIR]}
out=$(realpath "${2:-tests/data/state}")
python=${PYTHON:-$(command -v python)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git archive "$commit" | tar -x -C "$tmp"
cd "$tmp"
LEADFLOW_PURE=1 PYTHONPATH="$tmp" "$python" -m tests.state_fixture "$out"
