"""`leadflow scorecard --format text|json|csv|markdown [--periods N]`: CSV that Python's csv
module reads back (one row per commitment and period, header first), Markdown tables with
as many cells as their header, `--json` as an alias, and trends with their direction."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from leadflow.cli import main
from routing.commitments import Commitments
from routing.outputs import Emitter, TimeFormat
from routing.policy.loader import load_policy
from routing.scorecard_formats import CSV_COLUMNS
from routing.trends import Point, direction, trends
from tests.test_periods import at

GOLDEN = Path(__file__).resolve().parent / "golden"
EVENTS = GOLDEN / "generated.events.jsonl"
UNTIL = "2026-02-10T00:00:00-05:00"  # five weeks, two months


@pytest.fixture(scope="module")
def monthly_policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = yaml.safe_load((GOLDEN / "overloaded.policy.yaml").read_text())
    raw["marketing_commits"]["mql_volume"] = {"per": "month", "min": 500}
    path = tmp_path_factory.mktemp("policy") / "policy.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def scorecard(capsys: pytest.CaptureFixture[str], policy: Path, *args: str) -> str:
    code = main(["scorecard", str(EVENTS), "--policy", str(policy), "--until", UNTIL, *args])
    assert code == 0
    return capsys.readouterr().out


def test_csv_parses_one_row_per_commitment_and_period(
    capsys: pytest.CaptureFixture[str], monthly_policy: Path
) -> None:
    data = json.loads(scorecard(capsys, monthly_policy, "--format", "json"))
    text = scorecard(capsys, monthly_policy, "--format", "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(CSV_COLUMNS)
    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    expected = [
        (card["per"], card["label"], row["commitment"])
        for key in ("weeks", "months")
        for card in data[key]
        for row in card["rows"]
    ]
    assert sorted((r["per"], r["period"], r["commitment"]) for r in body) == sorted(expected)
    assert len(set(expected)) == len(expected)  # one row per commitment and period
    months = [r for r in body if r["per"] == "month"]
    assert [(r["period"], r["commitment"]) for r in months] == [
        ("2026-01", "mql_volume"),
        ("2026-02", "mql_volume"),
    ]
    assert {r["period"] for r in body if r["per"] == "week"} == {
        "2026-W03", "2026-W04", "2026-W05", "2026-W06", "2026-W07",
    }  # fmt: skip
    w03 = {r["commitment"]: r for r in body if r["period"] == "2026-W03"}
    json_w03 = {r["commitment"]: r for r in data["weeks"][0]["rows"]}
    for name, row in w03.items():
        assert int(row["n"]) == json_w03[name]["n"]
        actual = json_w03[name]["actual"]
        assert (float(row["actual"]) if row["actual"] else None) == (
            pytest.approx(actual) if actual is not None else None
        )


def test_periods_keeps_the_last_n_of_each_kind(
    capsys: pytest.CaptureFixture[str], monthly_policy: Path
) -> None:
    text = scorecard(capsys, monthly_policy, "--format", "csv", "--periods", "2")
    body = list(csv.DictReader(io.StringIO(text)))
    assert sorted({(r["per"], r["period"]) for r in body}) == [
        ("month", "2026-01"), ("month", "2026-02"), ("week", "2026-W06"), ("week", "2026-W07"),
    ]  # fmt: skip
    data = json.loads(scorecard(capsys, monthly_policy, "--json", "--periods", "1"))
    assert [w["label"] for w in data["weeks"]] == ["2026-W07"]
    assert [m["label"] for m in data["months"]] == ["2026-02"]
    assert len(data["trends"]["handoff"]) == 5  # trends keep their (up to) 12 periods


def test_json_alias_and_shape(capsys: pytest.CaptureFixture[str], monthly_policy: Path) -> None:
    assert scorecard(capsys, monthly_policy, "--json") == scorecard(
        capsys, monthly_policy, "--format", "json"
    )
    data = json.loads(scorecard(capsys, monthly_policy, "--json"))
    funnel = data["weeks"][0]["funnel"]
    for key in (
        "mqls", "sal", "sql", "opportunity", "won", "won_amount", "mql_to_sal", "sal_to_sql",
        "mql_to_opportunity", "opportunity_to_won",
    ):  # fmt: skip
        assert key in funnel
    assert funnel["mqls"] == data["weeks"][0]["mqls"]
    for name in ("mql_volume", "handoff", "mql_to_opportunity", "quality_acceptance"):
        points = data["trends"][name]
        assert points and all(set(p) == {"period", "actual", "n", "status"} for p in points)
    assert [p["period"] for p in data["trends"]["mql_volume"]] == ["2026-01", "2026-02"]
    weekly = json.loads(scorecard(capsys, GOLDEN / "overloaded.policy.yaml", "--json"))
    assert "months" not in weekly and "quarters" not in weekly
    assert weekly["trends"]["mql_volume"][0]["period"] == "2026-W03"


def test_markdown_tables_have_a_cell_per_header_column(
    capsys: pytest.CaptureFixture[str], monthly_policy: Path
) -> None:
    text = scorecard(capsys, monthly_policy, "--format", "markdown")
    assert "### Month 2026-02" in text and "### Week 2026-W03" in text and "### Trends" in text
    lines = text.splitlines()
    tables = 0
    for i, line in enumerate(lines):
        if line.startswith("|---") or line.startswith("|--"):
            tables += 1
            width = lines[i - 1].count(" | ") + 1
            assert line.count("|") == width + 1
            j = i + 1
            while j < len(lines) and lines[j].startswith("|"):
                cells = [c for c in lines[j].strip("|").split(" | ")]
                assert len(cells) == width, lines[j]
                j += 1
    assert tables >= 2 * 7 + 1  # commitments and funnel per period, then the trends
    assert "**mql_to_opportunity**" in text


def test_text_shows_each_trend_with_its_direction(
    capsys: pytest.CaptureFixture[str], monthly_policy: Path
) -> None:
    text = scorecard(capsys, monthly_policy)
    assert "Month 2026-01" in text and "Week 2026-W03" in text
    trend = text[text.index("Trends (") :]
    lines = {line.split()[0]: line for line in trend.splitlines()[1:] if line}
    assert {"mql_volume", "handoff", "mql_to_opportunity", "mql_to_sal"} <= set(lines)
    assert all(any(a in line for a in "↑↓→·") for line in lines.values())


def test_directions() -> None:
    def pts(*values: float | None, last: str = "met") -> list[Point]:
        out = [Point(f"W{i}", v, 1, "met") for i, v in enumerate(values)]
        out[-1] = Point(out[-1].period, out[-1].actual, 1, last)
        return out

    assert direction(pts(0.5, 0.7)) == "up"
    assert direction(pts(0.7, None, 0.5)) == "down"
    assert direction(pts(0.5, 0.5)) == "flat"
    assert direction(pts(0.5)) == ""
    assert direction(pts(0.5, 0.7, 0.1, last="in progress")) == "up"  # not complete yet


def _reject(c: Commitments, t: float, counts: dict[str, int]) -> None:
    for reason, n in counts.items():
        for i in range(n):
            c.dispositioned(t + i, "rejected", reason)


def test_a_reason_topping_three_weeks_running_is_told_to_marketing() -> None:
    policy = load_policy(Path(__file__).resolve().parent.parent / "examples" / "policy.yaml")
    cal = policy.policy.calendar.build()
    c, em = Commitments(policy.policy, cal), Emitter(TimeFormat(cal.tz))
    c.observe(at(2026, 1, 5))
    weeks = [at(2026, 1, 6, 10), at(2026, 1, 13, 10), at(2026, 1, 20, 10), at(2026, 1, 27, 10)]
    _reject(c, weeks[0], {"wrong_persona": 3, "no_budget": 1})
    _reject(c, weeks[1], {"wrong_persona": 2})
    c.advance(at(2026, 1, 19), em)
    assert not [o for o in em.take() if o["type"] == "rejections.recurring"]
    _reject(c, weeks[2], {"wrong_persona": 5, "too_small": 4})
    _reject(c, weeks[3], {"wrong_persona": 2, "too_small": 2})  # a tie tops nothing
    c.advance(at(2026, 2, 2), em)
    out: list[dict[str, Any]] = [o for o in em.take() if o["type"] == "rejections.recurring"]
    assert out == [
        {
            "event_id": "period:2026-W04:rejections.recurring:wrong_persona",
            "type": "rejections.recurring",
            "at": "2026-01-26T00:00:00-05:00",
            "reason": "wrong_persona",
            "period": "2026-W04",
            "weeks": 3,
            "side": "marketing",
        }
    ]
    cards = {card.label: card for card in c.scorecard(at(2026, 2, 2))}
    assert cards["2026-W04"].recurring == ("wrong_persona", 3)
    assert cards["2026-W05"].recurring is None
    assert trends(list(cards.values()))["sal_rate"][-1].period == "2026-W06"  # in progress


def test_a_trend_keeps_the_last_twelve_periods() -> None:
    policy = load_policy(Path(__file__).resolve().parent.parent / "examples" / "policy.yaml")
    cal = policy.policy.calendar.build()
    c = Commitments(policy.policy, cal)
    c.observe(at(2026, 1, 5))
    for week in range(14):
        c.dispositioned(at(2026, 1, 6, 10) + week * 7 * 86400, "accepted", "accepted")
    cards = c.scorecard(at(2026, 4, 13))
    points = trends(cards)["sal_rate"]
    assert len(cards) == 15 and len(points) == 12
    assert [p.period for p in points] == [f"2026-W{w:02d}" for w in range(5, 17)]
    assert points[-1].status == "in progress" and points[0] == Point("2026-W05", 1.0, 1, "met")
