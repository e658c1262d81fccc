"""The weekly summary: from the scorecard JSON to the rows with trend arrows and the
ladder's actions (routing/summary.py), to both sides as chat blocks and an HTML email
received by a real SMTP server, rendered in real headless Chromium (docs/img/)."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest
from PIL import Image

from notifier.channels import Channels
from notifier.parcels import single
from notifier.settings import load_notify_settings
from routing.engine import Engine
from routing.notifications import Directory, plan
from routing.policy.loader import load_policy
from routing.replay import replay
from routing.summary import ARROWS, value_text, weekly_summary
from tests.notify_receivers import SMTP_PASSWORD, SMTP_USER, HttpReceiver, Seen, SmtpReceiver

REPO = Path(__file__).resolve().parents[1]
POLICY = REPO / "examples" / "notify" / "policy.yaml"
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data is deprecated")


@pytest.fixture(scope="module")
def scorecard() -> dict:  # type: ignore[type-arg]
    loaded = load_policy(REPO / "tests" / "golden" / "overloaded.policy.yaml",
                         POLICY.parent / "team.yaml")
    engine = Engine(loaded)
    # weeks 3, 4 and 5 have closed
    until = datetime.fromisoformat("2026-02-02T00:00:00-05:00").timestamp()
    with (REPO / "tests" / "golden" / "generated.events.jsonl").open() as lines:
        for _ in replay(engine, lines, until):
            pass
    return engine.commitments.to_json(until)


def _direction(now: object, then: object) -> str | None:
    if not isinstance(now, (int, float)) or not isinstance(then, (int, float)):
        return None  # nothing measured in one of the two weeks: no arrow
    return "flat" if now == then else ("up" if now > then else "down")


def test_the_summary_has_trends_against_the_week_before_and_the_ladder(scorecard) -> None:  # type: ignore[no-untyped-def]
    s = weekly_summary(scorecard, "2026-W04")
    assert s is not None and s["event_id"] == "summary:2026-W04"
    weeks = {w["label"]: w for w in scorecard["weeks"]}
    w03 = {r["commitment"]: r for r in weeks["2026-W03"]["rows"]}
    w04 = {r["commitment"]: r for r in weeks["2026-W04"]["rows"]}
    rows = {r["commitment"]: r for r in s["rows"]}
    assert list(rows) == list(w04)

    # Each arrow is the week's actual against the week before's, as the cards have them.
    for name, row in rows.items():
        expected = _direction(w04[name]["actual"], w03[name]["actual"])
        assert (row["trend"], row["arrow"]) == (expected, ARROWS.get(expected or "", "")), name
    assert rows["mql_volume"]["trend"] == "down"  # 287 -> 0
    assert rows["data_completeness"]["trend"] is None  # n/a this week: no arrow
    # No tier-1 first-touch verdict fell due in W04 (n=0): nothing to compare, no arrow.
    assert w04["first_touch:tier1"]["n"] == 0 and rows["first_touch:tier1"]["trend"] is None
    assert {"down", "up"} <= {r["trend"] for r in rows.values()}

    # The ladder's actions: every missed row's, the step its misses in a row have reached.
    ladder = sorted(load_policy(REPO / "tests" / "golden" / "overloaded.policy.yaml",
                                POLICY.parent / "team.yaml").policy.escalation.period,
                    key=lambda step: step.consecutive)
    for row in rows.values():
        if row["status"] == "missed":
            reached = [x.action for x in ladder if x.consecutive <= row["consecutive"]]
            assert row["action"] == (reached[-1] if reached else None), row
    assert s["actions"] == [
        {"commitment": r["commitment"], "side": r["side"], "action": r["action"],
         "consecutive": r["consecutive"]} for r in rows.values() if r["action"]
    ]
    assert any(a["action"] == "leadership_review" for a in s["actions"])
    judged = [r for r in w04.values() if r["status"] in ("met", "missed")]
    assert (s["judged"], s["met"]) == (len(judged), sum(r["status"] == "met" for r in judged))
    assert s["judged"] > 0
    assert weekly_summary(scorecard)["period"] == "2026-W05"  # default: the last closed week


def test_the_arrows_come_from_the_trends_and_from_the_weeks_without_them(scorecard) -> None:  # type: ignore[no-untyped-def]
    with_trends = weekly_summary(scorecard, "2026-W04")
    bare = {k: v for k, v in scorecard.items() if k != "trends"}
    assert "trends" in scorecard and weekly_summary(bare, "2026-W04") == with_trends

    # The scorecard's `trends` are what the arrows read when they are there.
    changed = copy.deepcopy(scorecard)
    points = {p["period"]: p for p in changed["trends"]["mql_volume"]}
    points["2026-W03"]["actual"] = 0
    assert weekly_summary(changed, "2026-W04")["rows"][0]["trend"] == "flat"
    points["2026-W03"]["actual"] = None  # nothing measured the week before: no arrow
    assert weekly_summary(changed, "2026-W04")["rows"][0]["arrow"] == ""
    # A week the trends no longer cover falls back to the cards.
    changed["trends"]["mql_volume"] = [points["2026-W05"]]
    assert weekly_summary(changed, "2026-W04")["rows"][0]["trend"] == "down"


async def test_both_sides_get_blocks_and_an_html_email_rendered_in_chromium(
    scorecard, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    summary = weekly_summary(scorecard, "2026-W04")
    msgs = plan(summary, Directory(load_policy(POLICY)))
    assert {(m.recipient, m.channel) for m in msgs} == {
        (p, c) for p in ("vp_marketing", "mkt-ops", "vp_sales") for c in ("chat", "email")}
    seen = Seen()
    http = HttpReceiver(seen)
    base = await http.start()
    smtp = SmtpReceiver(seen, tmp_path)
    port = smtp.start()
    settings = load_notify_settings(
        chat_urls={"leadership": f"{base}/chat/leadership", "marketing": f"{base}/chat/mkt"},
        smtp_host="127.0.0.1", smtp_port=port, smtp_username=SMTP_USER,
        smtp_password=SMTP_PASSWORD, smtp_cafile=smtp.cafile)
    try:
        async with aiohttp.ClientSession() as session:
            channels = Channels(settings, session)
            verdicts = [await channels.deliver(single(m)) for m in msgs]
    finally:
        smtp.stop()
        await http.stop()
    assert all(v.outcome == "sent" for v in verdicts), verdicts
    assert len(seen.chats) == 3 and len(seen.emails) == 3
    blocks = seen.chats[0]["blocks"]
    assert blocks[0]["type"] == "header" and "2026-W04" in blocks[0]["text"]["text"]
    down = [r for r in summary["rows"] if r["trend"] == "down"]
    assert down  # the week has rows that fell: each shows its value and a down arrow
    for r in down:
        line = f"{r['commitment']}: {value_text(r['actual'], r['unit'])} ▼"
        assert any(line in b.get("text", {}).get("text", "") for b in blocks), line
    email = seen.emails[0]
    html = next(p for p in email.walk() if p.get_content_type() == "text/html")
    page = html.get_payload(decode=True).decode()
    assert "leadership_review" in page and "▼" in page and "<script" not in page
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium for the screenshot")
    (tmp_path / "summary.html").write_text(page, encoding="utf-8")
    png = tmp_path / "weekly-summary.png"
    subprocess.run(
        [str(CHROMIUM), "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--screenshot={png}", "--window-size=860,720", (tmp_path / "summary.html").as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    image = Image.open(png).convert("RGB")
    assert image.size == (860, 720)
    colours = image.getcolors(1 << 20) or []
    assert len(colours) > 50  # text, table rules, red and green: not a blank page
    reds = sum(n for n, (r, g, b) in colours if r > 180 and g < 80 and b < 80)
    assert reds > 100  # the missed statuses and the down arrows are red
    if os.environ.get("LEADFLOW_WRITE_DOCS_IMG"):
        shutil.copy(png, REPO / "docs" / "img" / "weekly-summary.png")
