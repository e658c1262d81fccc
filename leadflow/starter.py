"""The starter files `leadflow init` writes: a commented policy, team and scenario that
validate as they are (tests/test_cli_init.py), for a team to edit into its own."""

from __future__ import annotations

POLICY = """\
# A starter SLA policy, written by `leadflow init`: edit it into your own agreement.
# Every key is documented in docs/policy.md; `leadflow validate policy.yaml` checks it
# and says what it agrees in plain words.
#
# Durations: "5m", "1h", "4h", "2d" (s, m, h, d, w). On `clock: business` they count
# only the calendar's working hours (a business day is one working day); on
# `clock: calendar` they count wall-clock time.

version: 1

agreement:
  name: Our Sales & Marketing SLA
  effective: 2026-01-05            # no SLA clock starts for an MQL before this day
  review_every: quarter            # month | quarter | half_year | year

calendar:
  timezone: America/New_York       # an IANA zone: the working hours below are in it
  hours:                           # days left out are not working days
    mon: "09:00-17:00"
    tue: "09:00-17:00"
    wed: "09:00-17:00"
    thu: "09:00-17:00"
    fri: "09:00-17:00"
  holidays: [2026-01-19, 2026-05-25, 2026-07-03, 2026-09-07, 2026-11-26, 2026-12-25]

definitions:
  required_fields: [name, email, company, source, score]  # data completeness is measured on these
  mql:                             # a lead becomes an MQL when all of these hold
    score: {min: 50}
    engagements: {min: 1}
  disqualify:                      # never routed; reported with the reason
    roles: [student]

# Tiers: the first whose `when` matches wins; the last must have no `when`.
tiers:
  - name: hot
    when: {score: {min: 80}}
    first_touch: {within: 1h, clock: business}
  - name: warm
    first_touch: {within: 1d, clock: business}

marketing_commits:
  mql_volume: {per: week, min: 20}           # MQLs marketing delivers each week
  handoff: {within: 5m, clock: calendar}     # MQL -> assigned to a rep

sales_commits:
  # the cadence before a lead may be closed as unresponsive:
  follow_up: {touches: 3, channels: 2, within: 2d, clock: business}
  disposition:
    within: 3d
    clock: business
    reasons:
      accepted: [accepted]
      rejected: [wrong_persona, no_budget, unresponsive]

alerts:
  at_risk: 0.75                    # warn when 75% of a window has passed

escalation:
  lead:                            # `after` is a multiple of the lead's window
    - {after: 1.0, notify: [rep, team_lead]}
    - {after: 2.0, notify: [sales_manager], action: reassign}

routing:
  strategy: least_loaded           # least_loaded | round_robin | weighted_round_robin
  pools:
    - name: sales                  # one pool: every MQL goes here
  capacity: {max_open: 30, max_new_per_day: 10}   # per rep; team.yaml may override

inputs:
  max_ahead: 30d                   # an event this far ahead of the stream's time is refused

team: team.yaml                    # relative to this file
"""

TEAM = """\
# The starter team, written by `leadflow init`: who takes leads, from which pools, at what
# capacity (a rep's `capacity` overrides the policy's routing.capacity).
reps:
  - {id: rep-1, pools: [sales], team_lead: tl-1}
  - {id: rep-2, pools: [sales], team_lead: tl-1}
  - {id: rep-3, pools: [sales], team_lead: tl-1, capacity: {max_new_per_day: 5}}
team_leads:
  tl-1: {sales_manager: mgr-1}     # who `team_lead` and `sales_manager` escalations reach
"""

SCENARIO = """\
# The starter simulation, written by `leadflow init`: four weeks of inbound leads against
# policy.yaml and team.yaml. Every key is documented in docs/simulator.md.
version: 1
policy: policy.yaml                # relative to this file
team: team.yaml
start: 2026-01-05T00:00:00-05:00
duration: 4w                       # w = weeks, d = days, h = hours
seed: 1                            # the same seed gives the same run
replications: 4

arrivals:
  - kind: poisson                  # steady inbound MQLs
    mqls_per_week: 25
    mix:
      tier: {hot: 0.3, warm: 0.7}

work:                              # how reps behave; minutes
  touch_minutes: {distribution: lognormal, mean: 12, sd: 6}
  start_delay_minutes: {distribution: exponential, mean: 10}
  connect_rate: 0.3                # chance that a touch reaches the lead
  after_connect:
    accepted: 0.5
    rejected: {wrong_persona: 0.3, no_budget: 0.2}
  unresponsive_after_touches: 3

report:
  targets:                         # share within the first-touch window, per tier
    first_touch_within_sla: {hot: 0.9, warm: 0.9}
"""

FILES = {"policy.yaml": POLICY, "team.yaml": TEAM, "scenario.yaml": SCENARIO}
