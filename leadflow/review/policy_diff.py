"""What changes from one policy to another: each changed key with its old and new value,
and, under it, the lines of `leadflow validate`'s plain-words description
(routing.policy.describe) that change with it."""

from __future__ import annotations

import difflib
from typing import Any

from routing.policy.describe import describe
from routing.policy.loader import LoadedPolicy

# describe()'s section headings, by the policy key each one says in words.
SECTIONS = {
    "agreement": "The agreement",
    "calendar": "Calendar",
    "definitions": "Definitions",
    "tiers": "Tiers: first touch (the first tier that matches wins)",
    "marketing_commits": "Marketing commits to",
    "sales_commits": "Sales commits to",
    "alerts": "Alerts",
    "escalation": "Escalation",
    "routing": "Routing",
    "surge": "Surge",
    "team": "Team",
}


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{path}.{k}" if path else str(k)))
        return out or {path: {}}
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        out = {}
        for i, v in enumerate(value):
            name = v.get("name") or v.get("id")
            label = f"{path}[{name}]" if isinstance(name, str) else f"{path}[{i}]"
            out.update(flatten(v, label))
        return out
    return {path: value}


def _sections(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line and not line.startswith(" "):
            current = out.setdefault(line, [])
        elif current is not None and line:
            current.append(line.strip())
    return out


def _show(v: Any) -> str:
    if v is None:
        return "(not set)"
    if isinstance(v, list):
        return "[" + ", ".join(str(x) for x in v) + "]"
    return str(v)


def diff_text(a: LoadedPolicy, b: LoadedPolicy) -> tuple[str, bool]:
    """The difference in words; True when anything differs."""
    da = flatten(a.policy.model_dump(mode="json", by_alias=True, exclude={"team"}))
    db = flatten(b.policy.model_dump(mode="json", by_alias=True, exclude={"team"}))
    da.update(flatten(a.team.model_dump(mode="json"), "team"))
    db.update(flatten(b.team.model_dump(mode="json"), "team"))
    changed = [k for k in dict.fromkeys([*da, *db]) if da.get(k, None) != db.get(k, None)]
    sa, sb = _sections(describe(a)), _sections(describe(b))
    out = [f"policy diff: {a.policy_file} -> {b.policy_file}"]
    if not changed:
        out.append("no difference: both policies (and teams) agree on every key")
        return "\n".join(out) + "\n", False
    out.append(f"{len(changed)} key(s) change")
    groups: dict[str, list[str]] = {}
    for key in changed:
        groups.setdefault(key.split(".")[0].split("[")[0], []).append(key)
    for top, keys in groups.items():
        heading = SECTIONS.get(top, top)
        out += ["", f"{heading}"]
        for key in keys:
            out.append(f"  {key}: {_show(da.get(key))} -> {_show(db.get(key))}")
        old, new = sa.get(heading, []), sb.get(heading, [])
        words = [
            line for line in difflib.ndiff(old, new) if line.startswith(("- ", "+ "))
        ]
        if words:
            out.append("  in words:")
            out += [f"    {'was' if w[0] == '-' else 'now'}: {w[2:]}" for w in words]
    return "\n".join(out) + "\n", True
