"""The scenario file as pydantic models, and its loading.

A scenario names a policy and team (paths relative to the scenario file; `team` overrides
the policy's own), a horizon, arrival sources, the reps' work model and the report's
targets. Every mistake is reported like a policy mistake — file, line, key, value,
expectation — by the same machinery (:mod:`routing.policy.problems`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from routing.errors import PolicyError, PolicyProblem
from routing.policy.loader import LoadedPolicy, load_policy
from routing.policy.models import Dur, Weekday
from routing.policy.problems import line_of, path_text, read_yaml, validate
from routing.policy.team import Team

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
SHARE_TOLERANCE = 1e-6


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _sums_to_one(shares: dict[str, float], what: str) -> None:
    total = sum(shares.values())
    if shares and abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"the shares of `{what}` must add up to 1, they add up to {total:g}")


class Mix(_Model):
    """Shares of tiers and segments among generated leads (each adds up to 1)."""

    tier: dict[str, Share] = {}
    segment: dict[str, Share] = {}

    @model_validator(mode="after")
    def _add_up(self) -> Mix:
        _sums_to_one(self.tier, "tier")
        _sums_to_one(self.segment, "segment")
        return self


def _hour_range(text: str) -> tuple[int, int]:
    """'08-11' -> hours 8..11 inclusive; '09' -> hour 9."""
    parts = text.split("-")
    try:
        lo, hi = (int(parts[0]), int(parts[-1])) if len(parts) <= 2 else (-1, -1)
    except ValueError:
        lo, hi = -1, -1
    if not (0 <= lo <= hi <= 23):
        raise ValueError(f"hour range {text!r} is not 'HH-HH' with 00 <= first <= last <= 23")
    return lo, hi


class Poisson(_Model):
    """Steady inbound MQLs: a Poisson process whose rate follows the weekday and hourly
    weights (in the policy calendar's time zone). Weekdays or hours left out have weight 0;
    without weights every day (hour) weighs the same."""

    kind: Literal["poisson"]
    name: str = "inbound"
    mqls_per_week: Annotated[float, Field(ge=0.0)]
    weekday_weights: dict[Weekday, Annotated[float, Field(ge=0.0)]] = {}
    hourly_weights: dict[str, Annotated[float, Field(ge=0.0)]] = {}
    mix: Mix = Mix()

    @model_validator(mode="after")
    def _hours(self) -> Poisson:
        seen: dict[int, str] = {}
        for key in self.hourly_weights:
            lo, hi = _hour_range(key)
            for h in range(lo, hi + 1):
                if h in seen:
                    raise ValueError(f"hour {h:02d} is in both '{seen[h]}' and '{key}'")
                seen[h] = key
        if self.weekday_weights and not any(self.weekday_weights.values()):
            raise ValueError("`weekday_weights` are all 0: no MQL would ever arrive")
        return self

    def hour_weights(self) -> list[float]:
        if not self.hourly_weights:
            return [1.0] * 24
        out = [0.0] * 24
        for key, weight in self.hourly_weights.items():
            lo, hi = _hour_range(key)
            for h in range(lo, hi + 1):
                out[h] = weight
        return out

    def day_weights(self) -> list[float]:
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        if not self.weekday_weights:
            return [1.0] * 7
        return [float(self.weekday_weights.get(d, 0.0)) for d in days]  # type: ignore[call-overload]


class Spike(_Model):
    """A campaign: exactly `mqls` extra MQLs, uniformly spread over [`at`, `at` + `over`)."""

    kind: Literal["spike"]
    name: str = "spike"
    at: AwareDatetime
    mqls: Annotated[int, Field(ge=0)]
    over: Dur
    mix: Mix = Mix()


class Replay(_Model):
    """Recorded lead events (the replay format of `leadflow replay`), on their own timing:
    shifted by whole weeks so the first lands in the scenario's first week, then sped up
    `speed` times around the scenario start."""

    kind: Literal["replay"]
    name: str = "replay"
    file: str
    speed: Positive = 1.0


def _tagged(key: str, kinds: dict[str, str]) -> Discriminator:
    """A discriminated union whose branch labels (capitalised) problems.py leaves out of
    the key path, so a mistake inside a source reads `arrivals[0].mix`."""

    def tag(value: Any) -> str | None:
        kind = value.get(key) if isinstance(value, dict) else getattr(value, key, None)
        return kinds.get(kind) if isinstance(kind, str) else None

    return Discriminator(
        tag,
        custom_error_type="invalid_kind",
        custom_error_message=f"expected `{key}` to be one of {', '.join(kinds)}",
    )


Source = Annotated[
    Annotated[Poisson, Tag("Poisson")]
    | Annotated[Spike, Tag("Spike")]
    | Annotated[Replay, Tag("Replay")],
    _tagged("kind", {"poisson": "Poisson", "spike": "Spike", "replay": "Replay"}),
]


class Fixed(_Model):
    distribution: Literal["fixed"]
    value: Annotated[float, Field(ge=0.0)]


class Exponential(_Model):
    distribution: Literal["exponential"]
    mean: Annotated[float, Field(ge=0.0)]


class Lognormal(_Model):
    """Parameterised by the mean and standard deviation of the distribution itself."""

    distribution: Literal["lognormal"]
    mean: Positive
    sd: Annotated[float, Field(ge=0.0)]


Distribution = Annotated[
    Annotated[Fixed, Tag("Fixed")]
    | Annotated[Exponential, Tag("Exponential")]
    | Annotated[Lognormal, Tag("Lognormal")],
    _tagged(
        "distribution", {"fixed": "Fixed", "exponential": "Exponential", "lognormal": "Lognormal"}
    ),
]


class AfterConnect(_Model):
    """What a connected lead is dispositioned as: `accepted`, or rejected with a reason."""

    accepted: Share = 0.0
    rejected: dict[str, Share] = {}

    @model_validator(mode="after")
    def _add_up(self) -> AfterConnect:
        total = self.accepted + sum(self.rejected.values())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise ValueError(
                f"`accepted` and the `rejected` shares must add up to 1, they add up to {total:g}"
            )
        return self


class Absence(_Model):
    daily_probability: Share = 0.0


class Work(_Model):
    """How reps behave; durations in minutes."""

    touch_minutes: Distribution
    start_delay_minutes: Distribution = Fixed(distribution="fixed", value=0.0)
    connect_rate: Share
    after_connect: AfterConnect = AfterConnect(accepted=1.0)
    unresponsive_after_touches: Annotated[int, Field(ge=1)]
    order: list[Literal["first_touch_due", "follow_up_due"]] = ["first_touch_due", "follow_up_due"]
    absence: Absence = Absence()

    @model_validator(mode="after")
    def _order_once(self) -> Work:
        if len(set(self.order)) != len(self.order):
            raise ValueError(f"`order` lists a kind of work twice: {self.order}")
        return self


class StaffingSearch(_Model):
    pool: str
    min: Annotated[int, Field(ge=0)]
    max: Annotated[int, Field(ge=0)]

    @model_validator(mode="after")
    def _ordered(self) -> StaffingSearch:
        if self.min > self.max:
            raise ValueError(f"`min` ({self.min}) must not exceed `max` ({self.max})")
        return self


class Targets(_Model):
    first_touch_within_sla: dict[str, Share] = {}


class Report(_Model):
    """`warmup`: leads that become MQLs before start + warmup are simulated but not
    measured. `pipeline_alpha`: the damping exponent of the decay curve."""

    targets: Targets = Targets()
    staffing_search: StaffingSearch | None = None
    warmup: Dur | None = None
    pipeline_alpha: Positive = 1.0


class ScenarioSpec(_Model):
    version: Literal[1]
    name: str | None = None
    policy: str
    team: str | None = None
    start: AwareDatetime
    duration: Dur
    seed: Annotated[int, Field(ge=0)] = 0
    replications: Annotated[int, Field(ge=1)] = 10
    arrivals: list[Source] = []
    work: Work
    report: Report = Report()


@dataclass(frozen=True)
class Scenario:
    """A validated scenario with its policy and team loaded."""

    spec: ScenarioSpec
    loaded: LoadedPolicy
    file: str
    name: str
    start: float
    end: float
    seed: int
    replications: int

    def with_team(self, team: Team, name: str | None = None) -> Scenario:
        return replace(self, loaded=replace(self.loaded, team=team), name=name or self.name)

    def with_runs(self, replications: int | None, seed: int | None) -> Scenario:
        return replace(
            self,
            replications=self.replications if replications is None else replications,
            seed=self.seed if seed is None else seed,
        )

    @property
    def base_dir(self) -> Path:
        return Path(self.file).resolve().parent


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file, then its policy and team, then the cross-checks
    (tiers, pools and reasons the scenario names must exist in the policy)."""
    scenario_path = Path(path)
    raw, root = read_yaml(scenario_path)
    spec = validate(ScenarioSpec, raw, str(scenario_path), root)
    here = scenario_path.resolve().parent
    policy_path = here / spec.policy
    if not policy_path.exists():
        _fail(
            scenario_path,
            root,
            ("policy",),
            spec.policy,
            f"a policy file (looked for {policy_path})",
        )
    team_path = here / spec.team if spec.team is not None else None
    if team_path is not None and not team_path.exists():
        _fail(scenario_path, root, ("team",), spec.team, f"a team file (looked for {team_path})")
    loaded = load_policy(policy_path, team_path)
    problems = _cross_check(spec, loaded, str(scenario_path), root, here)
    if problems:
        raise PolicyError(problems)
    start = spec.start.timestamp()
    return Scenario(
        spec=spec,
        loaded=loaded,
        file=str(scenario_path),
        name=spec.name or scenario_path.stem,
        start=start,
        end=start + spec.duration.seconds,
        seed=spec.seed,
        replications=spec.replications,
    )


def _fail(path: Path, root: Any, loc: tuple[Any, ...], value: Any, expected: str) -> None:
    raise PolicyError(
        [PolicyProblem(str(path), path_text(loc), value, expected, line_of(root, loc))]
    )


def _cross_check(
    spec: ScenarioSpec, loaded: LoadedPolicy, file: str, root: Any, here: Path
) -> list[PolicyProblem]:
    policy = loaded.policy
    tiers = [t.name for t in policy.tiers]
    pools = [p.name for p in policy.routing.pools]
    problems: list[PolicyProblem] = []

    def problem(loc: tuple[Any, ...], value: Any, expected: str) -> None:
        problems.append(PolicyProblem(file, path_text(loc), value, expected, line_of(root, loc)))

    def one_of(loc: tuple[Any, ...], value: str, known: list[str], what: str) -> None:
        if value not in known:
            problem(loc, value, f"a {what} of the policy ({', '.join(known)})")

    for i, source in enumerate(spec.arrivals):
        if isinstance(source, Poisson | Spike):
            for tier in source.mix.tier:
                one_of(("arrivals", i, "mix", "tier", tier), tier, tiers, "tier")
        if isinstance(source, Replay) and not (here / source.file).exists():
            problem(
                ("arrivals", i, "file"),
                source.file,
                f"an events file (looked for {here / source.file})",
            )
    for tier in spec.report.targets.first_touch_within_sla:
        one_of(("report", "targets", "first_touch_within_sla", tier), tier, tiers, "tier")
    search = spec.report.staffing_search
    if search is not None:
        one_of(("report", "staffing_search", "pool"), search.pool, pools, "pool")
    disposition = policy.sales_commits.disposition
    rejected = list(disposition.reasons.rejected) if disposition is not None else []
    if rejected:
        for reason in spec.work.after_connect.rejected:
            loc = ("work", "after_connect", "rejected", reason)
            one_of(loc, reason, rejected, "rejection reason")
        if "unresponsive" not in rejected:
            problem(
                ("work", "unresponsive_after_touches"),
                spec.work.unresponsive_after_touches,
                "a policy whose rejection reasons include `unresponsive` (reps close "
                "unanswered leads with it)",
            )
    follow_up = policy.sales_commits.follow_up
    if follow_up is not None and spec.work.unresponsive_after_touches < follow_up.touches:
        problem(
            ("work", "unresponsive_after_touches"),
            spec.work.unresponsive_after_touches,
            f"at least the policy's follow-up cadence of {follow_up.touches} touches "
            "(the core refuses `unresponsive` before it)",
        )
    if spec.duration.seconds <= 0 or not math.isfinite(spec.duration.seconds):
        problem(("duration",), spec.duration.text, "a positive duration such as 13w")
    warmup = spec.report.warmup
    if warmup is not None and warmup.seconds >= spec.duration.seconds:
        problem(
            ("report", "warmup"), warmup.text, f"shorter than `duration` ({spec.duration.text})"
        )
    return problems
