"""The live worker emits the daily digest and the weekly summary itself, and the notifier
delivers them (no `--digests`, no `--publish-summary`): `leadflow worker --clock event`
on a real broker, the notifier on its decision topics, a real aiohttp receiver for chat
and webhooks and a real SMTP server. The Los Angeles rep gets the digest at 08:00 local;
the closed week's summary reaches marketing and sales leadership on chat and as an HTML
email; the worker's digest and summary records are the ones `leadflow replay` makes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import orjson
import pytest

from notifier.service import Notifier
from routing.engine import Engine
from routing.notifications import Directory, plan
from routing.policy.loader import load_policy
from routing.replay import dumps, replay
from tests.kafka_harness import poll_until
from tests.notify_receivers import HttpReceiver, Seen, SmtpReceiver
from tests.test_notify_e2e import POLICY, settings_for
from tests.worker_process import WorkerRig, worker_rig_fixture  # noqa: F401

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.filterwarnings("ignore:Session.login_data is deprecated"),
]
TOLD = ("digest.due", "summary.weekly")


def events() -> list[str]:
    """Everyone but rep-08 (Los Angeles, 08:00-16:00) and rep-09 is away; a lead arrives
    at noon New York on Tue 6 Jan and goes to rep-08, who does not touch it; then input
    on Wed 7 Jan and on Tue 20 Jan (week 2026-W03 has closed in between)."""
    away = [{"event_id": f"p{r}", "type": "rep.status", "at": "2026-01-06T08:00:00-05:00",
             "rep_id": r, "status": "pto"}
            for r in ("rep-01", "rep-02", "rep-03", "rep-04", "rep-05", "rep-06", "rep-07",
                      "rep-10")]
    lead = [
        {"event_id": "u1", "type": "lead.upserted", "at": "2026-01-06T12:00:00-05:00",
         "lead_id": "L-7", "name": "A", "email": "a@b.example", "company": "C", "role": "VP",
         "source": "web", "score": 65, "fit": 80, "segment": "smb", "region": "na"},
        {"event_id": "g1", "type": "lead.engaged", "at": "2026-01-06T12:01:00-05:00",
         "lead_id": "L-7", "activity": "email_open"},
    ]
    later = [{"event_id": f"s{i}", "type": "rep.status", "at": at, "rep_id": "rep-09",
              "status": "available"}
             for i, at in enumerate(("2026-01-07T12:00:00-05:00", "2026-01-20T10:00:00-05:00"))]
    return [json.dumps(e) for e in away + lead + later]


async def test_the_worker_emits_digests_and_the_summary_and_they_reach_people(
    worker_rig: WorkerRig, tmp_path: Path
) -> None:
    rig = worker_rig
    loaded = load_policy(POLICY)
    directory = Directory(loaded)
    lines = events()
    expected_all = list(replay(Engine(loaded), lines))
    told = [d for d in expected_all if d["type"] in TOLD]
    la = next(d for d in told if d["event_id"] == "digest:rep-08:2026-01-07")
    assert la["at"] == "2026-01-07T11:00:00-05:00"  # 08:00 in Los Angeles
    assert [d["event_id"] for d in told if d["type"] == "summary.weekly"] == ["summary:2026-W03"]

    seen = Seen()
    http = HttpReceiver(seen)
    base = await http.start()
    smtp = SmtpReceiver(seen, tmp_path)
    port = smtp.start()
    await rig.create_input()
    rig.start("--clock", "event", policy=POLICY)
    settings = settings_for(base, port, smtp.cafile, rig.app_id)
    notifier = Notifier(directory, settings, {"bootstrap_servers": rig.bootstrap},
                        [rig.assignments, rig.alerts])
    stop = asyncio.Event()
    task: asyncio.Task[None] | None = None
    try:
        await rig.ready()
        await rig.produce(line.encode() for line in lines)
        records = await rig.read([rig.assignments, rig.alerts],
                                 lambda rs: len(rs) >= len(expected_all))
        published = [orjson.loads(r.value or b"{}") for r in records]
        # The worker's digests and summary: the replay's, byte for byte, on the alerts topic.
        ours = [r for r in records if orjson.loads(r.value or b"{}")["type"] in TOLD]
        assert {r.topic for r in ours} == {rig.alerts}
        assert [(r.value or b"").decode() for r in ours] == [dumps(d) for d in told]

        last = max(m.at for d in published for m in plan(d, directory))
        wanted = {(m.event_id, m.recipient, m.channel) for d in published
                  for m in plan(d, directory) if m.deliver_at <= last}
        task = asyncio.create_task(notifier.run(stop))
        await poll_until(lambda: set(seen.by_item) >= wanted or task.done(), 45,
                         what="every message of the worker's decisions delivered")
    finally:
        stop.set()
        if task is not None:
            await asyncio.wait_for(task, 30)
        await http.stop()
        smtp.stop()

    assert set(seen.by_item) == wanted
    assert all(len(keys) == 1 for keys in seen.by_item.values())  # none twice
    # The Los Angeles rep's digest, on the digest's channels.
    assert {(i[1], i[2]) for i in seen.by_item if i[0] == la["event_id"]} == {
        ("rep-08", "email"), ("rep-08", "chat")}
    # The summary reaches both sides, on chat and as an HTML email.
    summary = {(i[1], i[2]) for i in seen.by_item if i[0] == "summary:2026-W03"}
    assert {who for who, _ in summary} == {"vp_marketing", "mkt-ops", "vp_sales"}
    assert {ch for _, ch in summary} == {"chat", "email"}
    mails = [m for m in seen.emails if "summary:2026-W03" in str(m["X-Leadflow-Delivery"])]
    assert mails and all(m.is_multipart() and any(
        part.get_content_type() == "text/html" for part in m.walk()) for m in mails)
