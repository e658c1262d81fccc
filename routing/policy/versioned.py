"""Load a policy and its later versions from `--policy` arguments: `P1`, then `P2@INSTANT`
(an RFC 3339 time with its UTC offset) for each later version (routing.versions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from routing.errors import PolicyError, PolicyProblem
from routing.policy.loader import LoadedPolicy, load_policy

_EXPECTED = (
    "POLICY, or POLICY@TIME with TIME in RFC 3339 with its offset (2026-04-01T00:00:00-05:00)"
)


def split_spec(spec: str) -> tuple[str, float | None]:
    """`P@INSTANT` -> (P, epoch seconds); `P` -> (P, None). A path that holds `@` is read
    whole when what follows its last `@` is not a time (it does not start with a digit)."""
    path, sep, when = spec.rpartition("@")
    if not sep or not when[:1].isdigit():
        return spec, None
    try:
        moment = datetime.fromisoformat(when)
    except ValueError:
        raise PolicyError([PolicyProblem("--policy", spec, when, _EXPECTED)]) from None
    if moment.tzinfo is None:
        raise PolicyError(
            [PolicyProblem("--policy", spec, when, f"a time with its offset, e.g. {when}-05:00")]
        )
    return path, moment.timestamp()


def load_versions(specs: Sequence[str], team: str | Path | None = None) -> LoadedPolicy:
    """The first policy, with `later` holding each later version (checked compatible:
    routing.versions.check_compatible). The first is in force from the start and has no
    instant; each later one needs one, later than the one before."""
    from routing.versions import check_compatible  # the compiled core, loaded on use

    if not specs:
        raise PolicyError([PolicyProblem("--policy", "", None, "at least one policy file")])
    path, at = split_spec(specs[0])
    if at is not None:
        raise PolicyError(
            [PolicyProblem("--policy", specs[0], "@", "the first policy without @TIME: it is "
                           "in force from the start; later versions take @TIME")]
        )  # fmt: skip
    first = load_policy(path, team)
    later: list[tuple[float, LoadedPolicy]] = []
    before, before_at = first, float("-inf")
    for spec in specs[1:]:
        path, at = split_spec(spec)
        if at is None:
            raise PolicyError(
                [PolicyProblem("--policy", spec, None, "a later version takes effect at an "
                               "instant: POLICY@TIME (2026-04-01T00:00:00-05:00)")]
            )  # fmt: skip
        if at <= before_at:
            raise PolicyError(
                [PolicyProblem("--policy", spec, spec.rpartition("@")[2],
                               "a time later than the version before's")]
            )  # fmt: skip
        loaded = load_policy(path, team)
        check_compatible(before, loaded)
        later.append((at, loaded))
        before, before_at = loaded, at
    return replace(first, later=tuple(later)) if later else first


def files_of(loaded: LoadedPolicy) -> list[str]:
    """Every policy and team file read for `loaded` and its later versions."""
    out: list[str] = []
    for one in (loaded, *(v for _, v in loaded.later)):
        for name in (one.policy_file, one.team_file):
            if name is not None and name not in out:
                out.append(name)
    return out


__all__ = ["files_of", "load_versions", "split_spec"]
