"""The weekly summary: from the scorecard JSON to the rows with trend arrows and the
ladder's actions (routing/summary.py), to both sides as chat blocks and an HTML email
received by a real SMTP server, rendered in real headless Chromium (docs/img/)."""

from __future__ import annotations

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
from routing.summary import weekly_summary
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


def test_the_summary_has_trends_against_the_week_before_and_the_ladder(scorecard) -> None:  # type: ignore[no-untyped-def]
    s = weekly_summary(scorecard, "2026-W04")
    assert s is not None and s["event_id"] == "summary:2026-W04"
    rows = {r["commitment"]: r for r in s["rows"]}
    tier1 = rows["first_touch:tier1"]
    assert tier1["trend"] == "down" and tier1["arrow"] == "▼"
    assert rows["mql_volume"]["trend"] == "down"  # 287 -> 0
    assert rows["data_completeness"]["trend"] is None  # n/a this week: no arrow
    assert {"commitment": "first_touch:tier1", "side": "sales", "action": "leadership_review",
            "consecutive": 2} in s["actions"]
    assert s["judged"] == 5 and s["met"] == 0
    assert weekly_summary(scorecard)["period"] == "2026-W05"  # default: the last closed week
    # H2's `trends` win over the computed ones when the scorecard has them
    scorecard["weeks"][1]["trends"] = {"mql_volume": "up"}
    assert weekly_summary(scorecard, "2026-W04")["rows"][0]["trend"] == "up"
    del scorecard["weeks"][1]["trends"]


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
    assert any("first_touch:tier1: 0% ▼" in b.get("text", {}).get("text", "") for b in blocks)
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
