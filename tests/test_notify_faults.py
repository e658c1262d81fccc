"""Must-show 2: 5,000 decisions; the notifier process is SIGKILLed three times and the chat
receiver answers 500 for a whole minute; afterwards every notification the policy asks
for was delivered exactly once (receiver-side, by event_id + recipient + channel, the
receiver de-duplicating by the delivery key the notifier sends), none twice, and the
dead-letter topic holds exactly the ones a permanently failing receiver refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from routing.notifications import Directory, plan
from routing.policy.loader import load_policy
from tests.kafka_harness import create_topic, poll_until, unique_name
from tests.notify_receivers import SMTP_PASSWORD, SMTP_USER, HttpReceiver, Seen, SmtpReceiver
from tests.test_notify_e2e import ENDPOINTS, POLICY, produce, read_all

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.filterwarnings("ignore:Session.login_data is deprecated"),
]
REPO = Path(__file__).resolve().parents[1]
N = 5000
OUTAGE_S = 60.0
REPS = [f"rep-{i:02d}" for i in range(1, 11)]


def decisions(n: int) -> list[dict[str, Any]]:
    """n decisions of the shapes the engine writes: four fifths from Tue 6 Jan 15:00 ET on,
    4 s apart (past 17:00 the reps' non-urgent messages wait for the morning, past 19:00
    rep-08's too), the rest from Wed 7 Jan 09:00 ET, 10 s apart, past 11:00 ET (08:00 in Los
    Angeles): the waiting ones go out, in batches."""
    out: list[dict[str, Any]] = []
    evening = 1767729600  # 2026-01-06T15:00:00-05:00
    morning = 1767794400  # 2026-01-07T09:00:00-05:00
    night = n * 4 // 5
    for i in range(n):
        rep = REPS[i % 10]
        t = evening + 4 * i if i < night else morning + 10 * (i - night)  # to 11:46 ET
        at = time.strftime("%Y-%m-%dT%H:%M:%S-05:00", time.gmtime(t - 5 * 3600))
        lead = f"L-{i:05d}"
        kind = (i // 10) % 10  # every rep gets every kind
        if kind <= 3:
            d = {"type": "lead.assigned", "rep_id": rep, "tier": "tier2", "pool": "commercial",
                 "first_touch_due": "2026-01-06T17:00:00-05:00"}
        elif kind <= 6:
            d = {"type": "sla.at_risk", "sla": "first_touch", "due": at, "rep_id": rep}
        elif kind <= 8:
            d = {"type": "sla.breached", "sla": "first_touch", "due": at, "rep_id": rep}
        else:
            tl = "tl-east" if rep in ("rep-01", "rep-02", "rep-03", "rep-09") else "tl-west"
            d = {"type": "sla.escalated", "sla": "first_touch", "level": 1,
                 "notify": [rep, tl], "action": None, "rep_id": rep}
        out.append({"event_id": f"f{i}:{d['type']}:{lead}", "at": at, "lead_id": lead, **d})
    return out


def start_notifier(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "leadflow", "notify", "--policy", str(env["POLICY"]),
         "--team", env["TEAM"], "--clock", "event"],
        env=env, stdout=subprocess.DEVNULL, stderr=log.open("ab"), cwd=REPO,
    )


async def test_kills_and_a_minute_of_500s_lose_nothing_and_send_nothing_twice(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    team = (POLICY.parent / "team.yaml").read_text()
    rep03 = 'mention: "<@rep03>", webhook: '
    team = team.replace(rep03 + "crm", rep03 + "broken")
    (tmp_path / "team.yaml").write_text(team)
    loaded = load_policy(POLICY, tmp_path / "team.yaml")
    directory = Directory(loaded)
    made = decisions(N)
    planned = [m for d in made for m in plan(d, directory)]
    refused = {m.key for m in planned if m.address == "broken"}
    expected = {(m.event_id, m.recipient, m.channel) for m in planned if m.key not in refused}
    assert len(made) >= 5000 and len(refused) > 100 and len(expected) > 8000
    assert sum(m.held for m in planned) > 1000  # many wait for the morning

    outage: dict[str, float] = {}

    def status(path: str) -> int | None:
        if path.startswith("/hook/broken"):
            return 410  # gone for good: refused, never retried
        began = outage.get("start")
        if path.startswith("/chat/") and began is not None and time.monotonic() < began + OUTAGE_S:
            return 500
        return None

    seen = Seen()
    http = HttpReceiver(seen, status)
    base = await http.start()
    smtp = SmtpReceiver(seen, tmp_path, tls=False)  # STARTTLS: test_notify_e2e
    port = smtp.start()
    prefix = unique_name("notify-faults")
    assignments, alerts = f"{prefix}-assignments", f"{prefix}-alerts"
    for topic in (assignments, alerts):
        await create_topic(kafka_bootstrap, topic, 4)
    await produce(kafka_bootstrap, assignments, alerts, made)
    env = {
        **os.environ, "POLICY": str(POLICY), "TEAM": str(tmp_path / "team.yaml"),
        "LEADFLOW_BROKER": kafka_bootstrap, "LEADFLOW_TOPIC_ASSIGNMENTS": assignments,
        "LEADFLOW_TOPIC_ALERTS": alerts, "LEADFLOW_NOTIFY_GROUP": f"{prefix}-group",
        "LEADFLOW_NOTIFY_TOPIC_DELIVERIES": f"{prefix}-deliveries",
        "LEADFLOW_NOTIFY_TOPIC_DEADLETTER": f"{prefix}-deadletter",
        "LEADFLOW_NOTIFY_CHAT_URLS": json.dumps({n: f"{base}/chat/{n}" for n in ENDPOINTS}),
        "LEADFLOW_NOTIFY_WEBHOOK_URLS": json.dumps(
            {"crm": f"{base}/hook/crm", "broken": f"{base}/hook/broken"}),
        "LEADFLOW_NOTIFY_WEBHOOK_SECRET": "test-secret-do-not-use",
        "LEADFLOW_NOTIFY_SMTP_HOST": "127.0.0.1", "LEADFLOW_NOTIFY_SMTP_PORT": str(port),
        "LEADFLOW_NOTIFY_SMTP_USERNAME": SMTP_USER, "LEADFLOW_NOTIFY_SMTP_PASSWORD": SMTP_PASSWORD,
        "LEADFLOW_NOTIFY_SMTP_STARTTLS": "false",
        "LEADFLOW_NOTIFY_BACKOFF_S": "0.25", "LEADFLOW_NOTIFY_BACKOFF_MAX_S": "4",
        "LEADFLOW_NOTIFY_MAX_TRIES": "40", "LEADFLOW_NOTIFY_SESSION_TIMEOUT_S": "6",
        "LEADFLOW_NOTIFY_CONCURRENCY": "64",
    }
    log = tmp_path / "notify.log"
    proc = start_notifier(env, log)
    kills = 0
    began = time.monotonic()
    phases: list[str] = []

    def mark(what: str) -> None:
        phases.append(f"{what} {time.monotonic() - began:.0f}s")

    def done_share() -> float:
        return len(expected & set(seen.by_item)) / len(expected)

    async def kill_restart() -> None:
        nonlocal proc, kills
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        kills += 1
        proc = start_notifier(env, log)

    try:
        await poll_until(lambda: done_share() > 0.15, 90, what="15% delivered")
        mark("15%")
        await kill_restart()  # 1: mid-stream
        await poll_until(lambda: done_share() > 0.30, 90, what="30% delivered")
        mark("30%, outage")
        outage["start"] = time.monotonic()  # the chat receiver answers 500 for a minute
        await poll_until(lambda: time.monotonic() > outage["start"] + 20, 30)
        await kill_restart()  # 2: during the outage, with deliveries retrying
        await poll_until(lambda: time.monotonic() > outage["start"] + OUTAGE_S + 2, 60)
        share = done_share()
        mark(f"outage over at {share:.0%}")
        await poll_until(lambda: done_share() > share + 0.1, 90, what="progress after")
        mark("+10%")
        await kill_restart()  # 3: after the outage, catching up
        dead: list[dict[str, Any]] = []

        async def finished() -> bool:
            if not set(seen.by_item) >= expected:
                return False
            dead[:] = await read_all(kafka_bootstrap, f"{prefix}-deadletter")
            return {d["key"] for d in dead} >= refused

        try:
            await poll_until(finished, 150, interval_s=1.0, what="everything delivered")
        except BaseException:
            missing = sorted(expected - set(seen.by_item))
            print(f"\nmissing {len(missing)}, e.g. {missing[:5]}; dead {len(dead)}; "
                  f"process exit {proc.poll()}; log tail:\n{log.read_text()[-3000:]}")
            raise
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        smtp.stop()
        await http.stop()
    elapsed = time.monotonic() - began
    print("\nphases: " + ", ".join(phases))
    print(f"\nfaults: {N} decisions, {len(expected)} notifications + {len(refused)} refused, "
          f"{kills} SIGKILLs, {OUTAGE_S:.0f}s of 500s, {elapsed:.0f}s; receiver absorbed "
          f"{seen.resends()} re-sends by delivery key; dead-letter records "
          f"{len(dead)} for {len({d['key'] for d in dead})} keys")
    assert kills == 3
    assert set(seen.by_item) == expected  # nothing dropped, nothing unasked-for
    assert all(len(keys) == 1 for keys in seen.by_item.values())  # none twice
    assert {d["key"] for d in dead} == refused  # exactly the refused ones (keyed, compacted)
    assert all("HTTP 410" in d["reason"] for d in dead)
    assert seen.rejected == 0
    batched = [c for c in seen.chats if c["blocks"][0]["type"] == "header"]
    print(f"faults: {len(batched)} morning batches on chat")
