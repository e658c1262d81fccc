"""Helpers to replay example files in tests (a real engine, no fakes)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from routing.engine import Engine
from routing.policy.loader import load_policy
from routing.replay import dumps, replay

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
GOLDEN = Path(__file__).resolve().parent / "golden"


def example_engine() -> Engine:
    return Engine(load_policy(EXAMPLES / "policy.yaml"))


def replay_file(path: Path, engine: Engine | None = None) -> tuple[Engine, list[dict[str, Any]]]:
    engine = engine or example_engine()
    with open(path, encoding="utf-8") as fh:
        outputs = list(replay(engine, fh))
    return engine, outputs


def serialise(outputs: Iterable[dict[str, Any]]) -> str:
    return "".join(dumps(o) + "\n" for o in outputs)


def of(outputs: list[dict[str, Any]], kind: str, **match: Any) -> list[dict[str, Any]]:
    """Outputs of one type whose fields equal `match`."""
    return [
        o for o in outputs if o["type"] == kind and all(o.get(k) == v for k, v in match.items())
    ]


def one(outputs: list[dict[str, Any]], kind: str, **match: Any) -> dict[str, Any]:
    found = of(outputs, kind, **match)
    assert len(found) == 1, f"expected one {kind} {match}, found {len(found)}: {found}"
    return found[0]
