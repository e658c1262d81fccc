"""The backtest (data from :func:`leadflow.review.backtest.compare`) as a document."""

from __future__ import annotations

from typing import Any

from leadflow.review.doc import Doc, Section, Table
from leadflow.review.pack_doc import change, value

CANNOT_KNOW = (
    "A backtest replays the recorded touches and dispositions as they happened. It cannot "
    "know how reps would have behaved under other assignments or windows (a rep given a "
    "2-hour window may call sooner; a lead routed to another rep keeps the touches its "
    "recorded rep made). For behaviour under new terms, simulate both policies on the same "
    "random numbers: `leadflow compare CURRENT.yaml PROPOSED.yaml` (scenario files)."
)


def backtest_doc(bt: dict[str, Any]) -> Doc:
    s1 = Section("scorecard", "Every scorecard row, side by side")
    s1.parts.append(f"Over the {bt['weeks']} judged weeks of the history, under each policy: "
                    "each row's value as the review pack's baseline is (a share pooled over "
                    "the weeks' n: met of n; a count's weekly mean), and the weeks met / "
                    "missed.")
    rows, marks = [], []
    for r in bt["rows"]:
        a, b = r["current"] or {}, r["proposed"] or {}
        unit = a.get("unit") or b.get("unit") or "share"
        delta = None
        if a.get("value") is not None and b.get("value") is not None:
            delta = b["value"] - a["value"]
        targets = [value(a.get("target"), unit), value(b.get("target"), unit)]
        rows.append([
            r["commitment"], targets[0] if targets[0] == targets[1] else " -> ".join(targets),
            value(a.get("value"), unit), a.get("how", "-"),
            value(b.get("value"), unit), b.get("how", "-"), change(delta, unit),
            f"{a.get('met', 0)}/{a.get('missed', 0)} -> {b.get('met', 0)}/{b.get('missed', 0)}",
            str(len(r["weeks_differ"])),
        ])
        marks.append("bad" if r["weeks_differ"] else "")
    s1.parts.append(Table(
        ["commitment", "target", "now", "now is", "proposed", "proposed is", "change",
         "met/missed weeks (now -> proposed)", "weeks whose verdict differs"],
        rows, marks=marks, wrap=(3, 5, 7, 8)))
    if bt["funnel"]:
        f = bt["funnel"]
        s1.parts.append(Table(
            ["funnel rate", "now", "now is", "proposed", "proposed is"],
            [[k, value(f["current"][k]["value"]), f["current"][k]["how"],
              value(f["proposed"][k]["value"]), f["proposed"][k]["how"]] for k in f["current"]],
            caption="Funnel (each rate pooled over the weeks' MQL cohorts by its n)",
            wrap=(2, 4)))
    else:
        s1.parts.append("Funnel rates: not in this scorecard.")

    s2 = Section("leads", "Per lead: what the decisions say differently")
    n = len(bt["changed"])
    s2.parts.append(f"{n:,} of {bt['leads']:,} leads differ in at least one way.")
    if bt["categories"]:
        s2.parts.append(Table(["difference", "leads"],
                              [[k, f"{v:,}"] for k, v in bt["categories"].items()]))
        s2.parts.append(Table(["tier (when the difference happened)", "leads that differ"],
                              [[k, f"{v:,}"] for k, v in bt["by_tier"].items()]))
        s2.parts.append(
            "Routing differences are knock-on effects: a different verdict can move the "
            "escalation ladder (e.g. `reassign` at twice the window), which frees or fills "
            "reps' capacity, and the next leads go to other reps.")
    s3 = Section("examples", "Examples (now || proposed: pool/first rep->last rep; verdicts; "
                 "escalations)")
    for cat, items in bt["examples"].items():
        s3.parts += [cat, items]
    if not bt["examples"]:
        s3.parts.append("No lead differs.")
    return Doc(
        title=f"Backtest: {bt['agreement']}",
        sub=f"now {bt['current']} || proposed {bt['proposed']}, both replayed on {bt['history']}",
        sections=[s1, s2, s3],
        banner=CANNOT_KNOW,
        footer="Every number comes from two replays of the same history by the engine. "
        "leadflow backtest",
    )
