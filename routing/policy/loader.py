"""Read policy and team YAML into models; every mistake names file, line, key, value and
expectation (see :mod:`routing.policy.problems`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from routing.errors import PolicyError, PolicyProblem
from routing.policy.models import Policy
from routing.policy.problems import Loc, line_of, path_text, read_yaml, validate, wrap_node
from routing.policy.team import Rep, Team


@dataclass(frozen=True)
class LoadedPolicy:
    """A validated policy with its team resolved, and where both came from."""

    policy: Policy
    team: Team
    policy_file: str
    team_file: str | None
    #: Later versions of the policy, each with the instant (epoch seconds) it takes
    #: effect, in increasing order (routing.versions; routing.policy.versioned loads them).
    later: tuple[tuple[float, LoadedPolicy], ...] = ()


def load_policy(path: str | Path, team: str | Path | None = None) -> LoadedPolicy:
    """Load POLICY (and TEAM, which overrides the policy's own `team`)."""
    policy_path = Path(path)
    raw, root = read_yaml(policy_path)
    policy = validate(Policy, raw, str(policy_path), root)
    team_file: str | None = None
    # Where rep i of the roster is written: (file, YAML root, key path of the reps list).
    where: tuple[str, yaml.Node | None, Loc] = (str(policy_path), root, ("team", "reps"))
    if team is not None:
        team_file = str(team)
        roster, team_root, reps_loc = _load_team(Path(team))
        where = (team_file, team_root, reps_loc)
    elif isinstance(policy.team, str):
        team_path = (policy_path.parent / policy.team).resolve()
        team_file = str(team_path)
        if not team_path.exists():
            raise PolicyError(
                [
                    PolicyProblem(
                        str(policy_path),
                        "team",
                        policy.team,
                        f"a team file next to the policy (looked for {team_path})",
                        line_of(root, ("team",)),
                    )
                ]
            )
        roster, team_root, reps_loc = _load_team(team_path)
        where = (team_file, team_root, reps_loc)
    elif isinstance(policy.team, list):
        # The policy validated each rep; the team-wide checks (unique ids) run here.
        roster = validate(Team, {"reps": raw["team"]}, str(policy_path), root, head="team")
        where = (str(policy_path), root, ("team",))
    elif isinstance(policy.team, Team):
        roster = policy.team
    else:
        roster = Team()
    _check_pools(policy, roster, *where)
    return LoadedPolicy(policy, roster, str(policy_path), team_file)


def load_team(path: str | Path) -> Team:
    """Load a team file: a mapping with `reps` (and `team_leads`), or a bare list of reps."""
    return _load_team(Path(path))[0]


def _load_team(path: Path) -> tuple[Team, yaml.Node | None, Loc]:
    raw, root = read_yaml(path)
    if isinstance(raw, list):
        team = validate(Team, {"reps": raw}, str(path), wrap_node(root, "reps"), head="")
        return team, root, ()
    return validate(Team, raw, str(path), root), root, ("reps",)


def policy_from_dict(
    raw: dict[str, Any], team: Team | None = None, name: str = "<policy>"
) -> LoadedPolicy:
    """Build a policy from a mapping (tests, generated scenarios).

    A `team` naming a file is not read (there is no directory to resolve it against);
    pass the roster as TEAM instead."""
    policy = validate(Policy, raw, name)
    reps_loc: Loc = ("team", "reps")
    if team is None:
        if isinstance(policy.team, list):
            team = validate(Team, {"reps": raw["team"]}, name, head="team")
            reps_loc = ("team",)
        elif isinstance(policy.team, Team):
            team = policy.team
        else:
            team = Team()
    else:
        reps_loc = ("reps",)
    _check_pools(policy, team, name, None, reps_loc)
    return LoadedPolicy(policy, team, name, None)


def _check_pools(
    policy: Policy, team: Team, file: str, root: yaml.Node | None, reps_loc: Loc
) -> None:
    pools = [p.name for p in policy.routing.pools]
    problems = []
    for index, rep in enumerate(team.reps):
        for j, pool in enumerate(rep.pools):
            if pool not in pools:
                loc = (*reps_loc, index, "pools", j)
                problems.append(
                    PolicyProblem(
                        file,
                        path_text(loc),
                        pool,
                        f"a pool of the policy ({', '.join(pools)})",
                        line_of(root, loc),
                    )
                )
    if problems:
        raise PolicyError(problems)


__all__ = ["LoadedPolicy", "Rep", "Team", "load_policy", "load_team", "policy_from_dict"]
