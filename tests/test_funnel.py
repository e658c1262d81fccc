"""The funnel by MQL cohort (routing.funnel): `lead.stage_changed` and accepted dispositions
give each MQL its furthest stage; a period's funnel counts its MQLs, and the rates between
stages are exactly the shares of the stream. The worker's two stages count the same."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from routing.engine import Engine
from routing.errors import EventError
from routing.events import InputEvent, parse_event_object
from routing.funnel import Funnel, Share
from routing.policy.loader import LoadedPolicy
from streams.desk_records import apply_desk
from streams.lead_stage import DeskHost
from tests.builders import Events, at, policy, rep, run, tue

REPS = [rep(r, "commercial", capacity={"max_open": 60, "max_new_per_day": 60}) for r in "ab"]


def _policy() -> LoadedPolicy:
    return policy({"surge": None}, REPS)


def stage(ev: Events, lead_id: str, when: datetime, name: str, **money: Any) -> InputEvent:
    return ev.make("lead.stage_changed", when, lead_id=lead_id, stage=name, **money)


def funnel_stream() -> list[InputEvent]:
    """20 MQLs on Tuesday 2026-01-06 (week 2026-W02), sources web/event, then:
    SAL 10 (L01-L05 accepted, L06-L10 `sal`), SQL 5 (L01-L04 `sql`, L05 straight to
    `opportunity`), opportunities 4 (L01-L03, L05), won 2 (L01 in USD, L02 in EUR),
    L03 lost; repeats and stages out of order change nothing; one stage of a lead that
    never was an MQL."""
    ev = Events()
    out: list[InputEvent] = []
    ids = [f"L{i:02d}" for i in range(1, 21)]
    for i, lead in enumerate(ids):
        source = "web" if i % 2 == 0 else "event"
        out += ev.mql(lead, tue(10, i), score=60 + i, source=source, segment="smb")
    for lead in ids[:5]:
        out.append(ev.disposition(lead, tue(12), "a", "accepted"))
    for lead in ids[5:10]:
        out.append(stage(ev, lead, tue(13), "sal"))
    for lead in ids[:4]:
        out.append(stage(ev, lead, tue(14), "sql"))
    out.append(stage(ev, "L05", tue(14), "opportunity"))  # no sql first: it passed sql
    for lead in ids[:3]:
        out.append(stage(ev, lead, tue(15), "opportunity", amount=100.0, currency="USD"))
    out.append(stage(ev, "L01", tue(16), "won", amount=1000.0, currency="USD"))
    out.append(stage(ev, "L01", tue(16, 30), "won", amount=1200.0, currency="USD"))  # corrected
    out.append(stage(ev, "L01", tue(16, 40), "sql"))  # backwards: changes nothing
    out.append(stage(ev, "L02", tue(16), "won", amount=500.0, currency="EUR"))
    out.append(stage(ev, "L03", tue(16), "lost"))
    out.append(stage(ev, "L99", tue(16), "sql"))  # never an MQL
    out.append(stage(ev, "L11", at(2026, 1, 13, 10), "sal"))  # next week: still W02's cohort
    return out


def _funnel(engine: Engine) -> dict[str, Any]:
    weeks = engine.commitments.to_json(engine.now)["weeks"]
    assert [w["label"] for w in weeks] == ["2026-W02", "2026-W03"]
    assert weeks[1]["funnel"]["mqls"] == 0 and weeks[1]["funnel"]["sal"] == 0
    assert weeks[1]["funnel"]["outside_cohorts"] == 0
    funnel: dict[str, Any] = weeks[0]["funnel"]
    return funnel


def test_known_shares_of_mqls_at_each_stage_give_exactly_those_rates() -> None:
    engine = Engine(_policy())
    out = run(engine, funnel_stream())
    assert not [o for o in out if o["type"] == "event.rejected"]
    f = _funnel(engine)
    counts = {k: f[k] for k in ("mqls", "sal", "sql", "opportunity", "won", "lost")}
    assert counts == {"mqls": 20, "sal": 11, "sql": 5, "opportunity": 4, "won": 2, "lost": 1}
    assert f["mql_to_sal"] == 11 / 20
    assert f["sal_to_sql"] == 5 / 11
    assert f["sql_to_opportunity"] == 4 / 5
    assert f["mql_to_opportunity"] == 4 / 20
    assert f["opportunity_to_won"] == 2 / 4
    assert f["n"]["mql_to_opportunity"] == 20 and f["n"]["opportunity_to_won"] == 4
    # Never added across currencies; a correction replaces the amount.
    assert f["won_amount"] == {"EUR": 500.0, "USD": 1200.0}
    assert f["pipeline_amount"] == {"USD": 300.0}
    assert f["outside_cohorts"] == 1
    assert f["quality_acceptance"] == 1.0 and f["n"]["quality_acceptance"] == 5
    assert f["avg_score_at_handoff"] == sum(60 + i for i in range(20)) / 20
    web, event = f["by"]["source"]["web"], f["by"]["source"]["event"]
    assert (web["mqls"], event["mqls"]) == (10, 10)
    assert web["opportunity"] == 3 and web["conversion"] == 0.3  # L01, L03, L05
    assert event["opportunity"] == 1 and event["conversion"] == 0.1  # L02
    assert f["by"]["segment"] == {"smb": {**f["by"]["segment"]["smb"], "mqls": 20}}


def test_the_worker_stages_count_what_one_process_counts() -> None:
    loaded = _policy()
    oracle = Engine(loaded)
    run(oracle, funnel_stream())
    host, pool = DeskHost(loaded), Engine(loaded)
    for offset, event in enumerate(funnel_stream()):
        for record in host.apply(
            event, f"leads.events:0:{offset}", event.model_dump_json().encode()
        ):
            apply_desk(pool, record)
    pool.advance(oracle.now)
    assert pool.commitments.to_json(pool.now) == oracle.commitments.to_json(oracle.now)


def test_follow_up_completion_and_disposition_within_window_by_cohort() -> None:
    ev = Events()
    engine = Engine(policy({"surge": None, "sales_commits": {"follow_up": {"touches": 2}}}, REPS))
    stream: list[Any] = [ev.mql("L1", tue(10)), ev.mql("L2", tue(10, 5))]
    stream += [ev.touched("L1", tue(11), "a"), ev.touched("L1", tue(12), "a", channel="email")]
    stream += [ev.touched("L2", tue(11), "b")]
    stream += [ev.disposition("L1", tue(13), "a")]
    stream += [ev.disposition("L2", at(2026, 1, 20, 10), "b", "rejected", reason="no_budget")]
    run(engine, stream)
    f = engine.commitments.to_json(engine.now)["weeks"][0]["funnel"]
    assert (f["follow_up_completion"], f["n"]["follow_up_completion"]) == (0.5, 2)
    assert (f["disposition_within_window"], f["n"]["disposition_within_window"]) == (0.5, 2)
    assert (f["quality_acceptance"], f["n"]["quality_acceptance"]) == (0.5, 2)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"stage": "won", "amount": 10}, "amount and currency go together"),
        ({"stage": "won", "currency": "USD"}, "amount and currency go together"),
        ({"stage": "won", "amount": 10, "currency": "usd"}, "currency"),
        ({"stage": "won", "amount": -1, "currency": "USD"}, "amount"),
        ({"stage": "closed"}, "stage"),
    ],
)
def test_a_stage_event_breaking_the_contract_is_refused(
    fields: dict[str, Any], reason: str
) -> None:
    raw = {"event_id": "s1", "type": "lead.stage_changed", "at": "2026-01-06T10:00:00-05:00"}
    with pytest.raises(EventError, match=reason):
        parse_event_object({**raw, "lead_id": "L1", **fields})


def test_an_mql_inside_its_window_or_disqualified_is_not_judged_yet() -> None:
    ev = Events()
    engine = Engine(_policy())
    stream: list[Any] = [ev.mql("L1", tue(10)), ev.mql("L2", tue(10, 5)), ev.mql("L3", tue(10, 9))]
    stream += [ev.disposition("L1", tue(13), "a")]
    stream += [ev.upsert("L3", tue(14), email="x@competitor.example")]  # disqualified
    run(engine, stream, until=tue(15))  # L2's 3-business-day window is still open
    f = engine.commitments.to_json(engine.now)["weeks"][0]["funnel"]
    assert (f["disposition_within_window"], f["n"]["disposition_within_window"]) == (1.0, 1)
    run(engine, [], until=at(2026, 1, 12, 10))  # L2's window ended without a disposition
    f = engine.commitments.to_json(engine.now)["weeks"][0]["funnel"]
    assert (f["disposition_within_window"], f["n"]["disposition_within_window"]) == (0.5, 2)
    assert f["mqls"] == 3 and f["quality_acceptance"] == 1.0


def test_lost_closes_at_the_stage_reached_and_a_later_stage_reopens() -> None:
    f = Funnel()
    for lead in ("A", "B", "C"):
        f.mql(lead, 100.0, "tier1", {"source": "web", "segment": "smb", "score": 80})
    f.stage("A", 110.0, "sql", None, None)
    f.stage("A", 120.0, "lost", None, None)  # lost after SQL: still passed SAL and SQL
    f.stage("B", 110.0, "opportunity", 50.0, "GBP")
    f.stage("B", 120.0, "lost", None, None)
    f.stage("B", 130.0, "won", None, None)  # re-opened and won, without an amount
    f.stage("C", 110.0, "lost", None, None)
    (card,) = f.cards([(100.0, 200.0)], now=200.0)
    assert card.counts == {"mqls": 3, "sal": 2, "sql": 2, "opportunity": 1, "won": 1}
    assert card.lost == 2  # A and C; B's last stage is won
    assert card.won_amount == {} and card.pipeline_amount == {"GBP": 50.0}
    assert card.rate("opportunity_to_won").actual == 1.0


def test_a_new_mql_cycle_is_a_new_member_of_its_own_cohort() -> None:
    f = Funnel()
    f.mql("A", 100.0, "tier1", {})
    f.dispositioned("A", 105.0, "deferred")
    f.mql("A", 300.0, "tier2", {"source": "event"})  # back from its deferral: a second MQL
    f.stage("A", 310.0, "sql", None, None)  # the latest MQL's
    first, second = f.cards([(0.0, 200.0), (200.0, 400.0)], now=400.0)
    assert (first.counts["mqls"], first.counts["sql"]) == (1, 0)
    assert (second.counts["mqls"], second.counts["sql"]) == (1, 1)
    assert first.by["source"] == {"(none)": first.by["source"]["(none)"]}
    assert first.rate("quality_acceptance") == Share(0, 1)  # deferred: not accepted
