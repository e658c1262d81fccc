# Sourced by the scripts: create .venv (once) and install leadflow into it.
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# shellcheck disable=SC1091
source .venv/bin/activate
stamp=.venv/.leadflow-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  python -m pip install --quiet --upgrade pip
  # Not compiled here: test.sh compiles the routing core in place, incrementally.
  LEADFLOW_COMPILE=0 python -m pip install --quiet -e ".[dev]"
  touch "$stamp"
fi
