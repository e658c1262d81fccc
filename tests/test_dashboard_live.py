"""The live dashboard in real headless Chromium against a wall-clock worker on the real
broker: refused without a token and loaded with one; while leads flow, each newly
assigned lead shows on its rep's board within 2 s of its decision, without a reload; a
lead passing its due time turns to breached; the page's numbers are /sla's; a page that
loses its worker says so and comes back when the worker does.

Screenshots of the live page and of TV mode go to the test's directory, and to docs/img/
with LEADFLOW_SCREENSHOTS=1 (the README's pictures are of the demo's worker, which has a
quarter of history: scripts/screenshot_dashboard.py).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka.structs import ConsumerRecord

from benchmarks.bench_kafka import fast_policy
from tests.chromium import CHROMIUM, Chromium, Page
from tests.worker_process import TOKEN, WorkerRig, worker_rig_fixture  # noqa: F401

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"needs Debian's Chromium at {CHROMIUM}"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def lead_events(i: int, engagements: tuple[str, ...] = ("content_download",)) -> list[bytes]:
    """A demo request (first touch within 10 s in the fast policy): an MQL at once."""
    lead = f"L-{i:04d}"
    upsert = {
        "event_id": f"u{i}", "type": "lead.upserted", "at": _now(), "lead_id": lead,
        "name": f"Person {i}", "email": f"p{i}@example.com", "company": "Acme",
        "role": "VP Sales", "source": "website", "score": 90, "fit": 90,
        "segment": "enterprise", "region": "na", "demo_requested": True,
    }  # fmt: skip
    out = [json.dumps(upsert).encode()]
    for n, activity in enumerate(engagements):
        engaged = {"event_id": f"g{i}-{n}", "type": "lead.engaged", "at": _now(),
                   "lead_id": lead, "activity": activity}  # fmt: skip
        out.append(json.dumps(engaged).encode())
    return out


def assigned(records: list[ConsumerRecord[bytes, bytes]]) -> dict[str, tuple[str, float]]:
    """lead id -> (rep, Kafka timestamp of its lead.assigned, seconds)"""
    out = {}
    for r in records:
        d = json.loads(r.value or b"")
        if d["type"] == "lead.assigned":
            out[d["lead_id"]] = (d["rep_id"], r.timestamp / 1000.0)
    return out


SHOWN_ON = (
    '(() => {{ const li = document.querySelector(\'article[data-rep="{rep}"] '
    'li[data-lead="{lead}"]\'); return li ? li.dataset.state : null; }})()'
)
ROWS = (
    "[...document.querySelectorAll('#headline tr[data-commitment]')].map(tr => "
    "({commitment: tr.dataset.commitment, target: JSON.parse(tr.dataset.target), "
    "actual: JSON.parse(tr.dataset.actual), status: JSON.parse(tr.dataset.status), "
    "consecutive: JSON.parse(tr.dataset.consecutive), action: JSON.parse(tr.dataset.action)}))"
)


async def _page_matches_sla(rig: WorkerRig, page: Page) -> bool:
    status, _, body = rig.get("/sla")
    assert status == 200
    week = json.loads(body)["weeks"][-1]
    want = [
        {k: row[k] for k in ("commitment", "target", "actual", "status", "consecutive", "action")}
        for row in week["rows"]
    ]
    return bool(await page.js(ROWS) == want)


async def test_live_page(worker_rig: WorkerRig, tmp_path: Path) -> None:
    rig = worker_rig
    policy = fast_policy(tmp_path)
    await rig.create_input()
    rig.start("--clock", "wall", policy=policy)
    await rig.ready()
    base = f"http://127.0.0.1:{rig.web_port}"

    # Access: /health is open; every other view asks for the token.
    assert rig.get("/health", token=None)[0] == 200
    for path in ("/", "/sla", "/metrics", "/dashboard/state", "/dashboard/events"):
        assert rig.get(path, token=None)[0] == 401, path
        assert rig.get(path + "?token=wrong-token-0123456789", token=None)[0] == 401, path
    assert rig.get("/", token="not-the-token-0123456789")[0] == 401

    async with Chromium(tmp_path / "profile") as browser:
        page = await browser.page(1400, 1000)
        await page.goto(f"{base}/")
        assert "read token is needed" in await page.js("document.body.innerText")
        await page.goto(f"{base}/?token={TOKEN}")  # sets the cookie, then drops the token
        assert await page.js("location.search") == ""
        await page.until("!!document.querySelector('#conn.up')", 10, "the event stream open")
        await page.js("window.__loaded_once = true")

        # A stream flows: leads one after another; each shows on its rep's board.
        seen_after: dict[str, float] = {}
        for i in range(1, 6):
            engagements = ("content_download",)
            if i == 1:  # an intent spike too: a pricing page visit and three email opens
                engagements += ("pricing_page_visit", "email_open", "email_open", "email_open")
            await rig.produce(lead_events(i, engagements), key=f"L-{i:04d}".encode())
            records = await rig.read(
                [rig.assignments], lambda rs, i=i: f"L-{i:04d}" in assigned(rs), 20
            )
            rep, decided_at = assigned(records)[f"L-{i:04d}"]
            state = await page.until(
                SHOWN_ON.format(rep=rep, lead=f"L-{i:04d}"), 5, f"L-{i:04d} on {rep}'s board"
            )
            seen_after[f"L-{i:04d}"] = time.time() - decided_at
            assert state in ("ok", "at_risk")
        assert max(seen_after.values()) <= 2.0, seen_after
        assert await page.js("window.__loaded_once === true")  # pushed, never reloaded

        # No personal data by default: lead ids only.
        text = await page.js("document.body.innerText")
        assert "Person 1" not in text and "p1@example.com" not in text

        # The first lead's first touch is due 10 s after its MQL: it turns to breached.
        rep1 = assigned(await rig.read([rig.assignments], lambda rs: True, 5))["L-0001"][0]
        await page.until(
            SHOWN_ON.format(rep=rep1, lead="L-0001") + " === 'breached'", 20, "L-0001 breached"
        )
        alerts = await rig.read([rig.alerts], lambda rs: len(rs) > 0, 10)
        kinds = {(d["type"], d.get("lead_id")) for d in map(json.loads, (r.value for r in alerts))}
        assert ("sla.breached", "L-0001") in kinds
        await page.until(
            "document.querySelector('#intent td') && "
            "[...document.querySelectorAll('#intent td')].some(td => td.textContent === 'L-0001')",
            10,
            "the intent spike listed",
        )

        # The numbers on the page are /sla's (polled: a push may be on its way).
        end = time.monotonic() + 10
        while not await _page_matches_sla(rig, page):
            assert time.monotonic() < end, "the page's rows never equalled /sla's"
        await page.screenshot(tmp_path / "dashboard-live.png", 1400)

        tv = await browser.page(1920, 1080)
        await tv.goto(f"{base}/?tv=1&rotate=3")
        await tv.until("!!document.querySelector('#conn.up')", 10, "TV page live")
        assert await tv.js("document.body.classList.contains('tv')")
        first = await tv.js("document.body.dataset.shown")
        await tv.until(f"document.body.dataset.shown !== '{first}'", 8, "TV rotation")
        await tv.until("document.body.dataset.shown === 'board'", 30, "TV shows the board")
        await tv.screenshot(tmp_path / "dashboard-tv.png", 1920, 1080)

        # The worker goes away: the page says so; it comes back: the page is live again.
        stopping = time.monotonic()
        rig.stop_all()
        # Open pages do not hold the worker up: it stopped by itself (not killed after 15 s).
        assert rig.procs[-1].returncode in (0, -15), rig.procs[-1].returncode
        assert time.monotonic() - stopping < 15
        await page.until("document.body.classList.contains('disconnected')", 20, "lost shown")
        assert "connection to the worker is lost" in await page.js("document.body.innerText")
        rig.start("--clock", "wall", policy=policy)
        await rig.ready()
        await page.until("!!document.querySelector('#conn.up')", 30, "reconnected")
        assert await page.js("window.__loaded_once === true")

    if os.environ.get("LEADFLOW_SCREENSHOTS") == "1":
        for name in ("dashboard-live.png", "dashboard-tv.png"):
            shutil.copy(tmp_path / name, REPO / "docs" / "img" / name)
