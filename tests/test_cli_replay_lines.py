"""`leadflow replay` reads any bytes: a line that is not UTF-8 is one `event.rejected`
naming its line and the rest is applied; every line of the file is accounted for; an
input far ahead of the stream's time is refused; the text format marks late inputs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli_corpus import SAMPLE, run_cli
from tests.replaying import EXAMPLES

POLICY = str(EXAMPLES / "policy.yaml")
BAD = b'{"event_id":"e-bad","type":"lead.engaged","at":"2026-01-06T11:40:00-05:00",' \
      b'"lead_id":"L-1002","activity":"caf\xe9 \xff\xfe visit"}\n'  # fmt: skip


def _decisions(path: Path) -> list[dict[str, object]]:
    ran = run_cli(["replay", "--policy", POLICY, str(path)])
    assert ran.code == 0, ran.err
    return [json.loads(line) for line in ran.out.splitlines()]


def _renumber(output: dict[str, object], inserted: int) -> dict[str, object]:
    """A rejection's line number as it is in the file without the inserted line."""
    def shift(text: str) -> str:
        return re.sub(
            r"line (\d+)",
            lambda m: f"line {int(m[1]) - 1 if int(m[1]) > inserted else int(m[1])}",
            text,
        )

    return {k: shift(v) if isinstance(v, str) else v for k, v in output.items()}


def test_a_line_of_bad_bytes_is_one_rejection_and_every_other_decision_stands(
    tmp_path: Path,
) -> None:
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    at = 12  # the bad line becomes line 13 of the file
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"".join(lines[:at]) + BAD + b"".join(lines[at:]))

    clean = _decisions(SAMPLE)
    dirty = _decisions(bad)

    rejected = [o for o in dirty if o["type"] == "event.rejected" and o["source"] == "line 13"]
    assert len(rejected) == 1
    assert "not valid JSON" in str(rejected[0]["reason"])
    assert "\ufffd" in str(rejected[0]["raw"])  # the bad bytes, shown as replacements
    rest = [_renumber(o, at + 1) for o in dirty if o is not rejected[0]]
    assert rest == clean


def test_the_summary_accounts_for_every_line(tmp_path: Path) -> None:
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"".join(lines) + b"\n  \n" + BAD)
    ran = run_cli(["replay", "--policy", POLICY, "--until", "2026-01-07T10:30:00-05:00",
                   str(path)])  # fmt: skip
    assert ran.code == 0
    # 27 sample lines (one after --until, one malformed), two blank lines, one of bad bytes
    expected = "30 lines: 24 applied, 1 duplicate (ignored), 2 malformed, 2 blank, 1 after --until"
    assert expected in ran.err


def test_an_input_decades_ahead_is_refused_and_fires_no_timers(tmp_path: Path) -> None:
    text = SAMPLE.read_text()
    e10 = '"e10","type":"lead.engaged","at":"20'
    typo = text.replace(e10 + "26", e10 + "62")
    assert typo != text
    path = tmp_path / "typo.jsonl"
    path.write_text(typo)

    out = _decisions(path)

    refused = [o for o in out if "implausible" in str(o.get("reason"))]
    assert len(refused) == 1
    assert "36.0 years ahead" in str(refused[0]["reason"])
    assert "inputs.max_ahead" in str(refused[0]["reason"])
    assert not [o for o in out if str(o["at"]) > "2027"]  # time never jumped
    assert not [o for o in out if o["type"] == "period.breached"]


def test_the_limit_is_the_policys_inputs_max_ahead(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text((EXAMPLES / "policy.yaml").read_text() + "\ninputs: {max_ahead: 10h}\n")
    (tmp_path / "team.yaml").write_text((EXAMPLES / "team.yaml").read_text())
    ran = run_cli(["replay", "--policy", str(policy), str(SAMPLE)])
    assert ran.code == 0
    # e10 (Jan 7 09:30) comes 18.5 h after e9 (Jan 6 15:00): more than 10 h ahead; so do
    # e17 and e18, as the stream's time stays at Jan 6 17:21.
    reasons = [json.loads(x)["reason"] for x in ran.out.splitlines() if "implausible" in x]
    assert len(reasons) == 3 and "18 hours ahead" in reasons[0]
    assert all("the limit is 10 hours" in r for r in reasons)
    assert "3 of the refused inputs were implausibly far ahead" in ran.err


def test_text_replay_is_in_event_time_with_late_inputs_marked() -> None:
    ran = run_cli(["replay", "--policy", POLICY, "--format", "text", str(SAMPLE)])
    assert ran.code == 0
    rows = ran.out.splitlines()
    golden = EXAMPLES.parent / "tests" / "golden" / "sample.decisions.jsonl"
    assert len(rows) == len(golden.read_text().splitlines())  # every decision, as in jsonl
    stamps = [row[:16] for row in rows]
    assert stamps == sorted(stamps)  # in event time
    late = [r for r in rows if "[late: the stream was at" in r]
    # e11-e16 (L-1003, L-1004, L-1005, Jan 6 afternoon) are read after e10 (Jan 7 09:30)
    assert any("lead.assigned      L-1003" in r for r in late)
    assert all("2026-01-07 09:30]" in r for r in late if "L-100" in r and "L-1001" not in r)
    assert not any("intent.spike" in r for r in late)  # e10's own decision is on time
