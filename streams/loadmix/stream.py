"""Batches → one stream in arrival order: event ids, `at` text, late arrivals, duplicates
re-sent with the same event_id, and a few malformed lines (each kind of bad input)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

import numpy as np

from streams.loadmix.batch import Batch
from streams.loadmix.timekit import Clock, rng_for

DUPLICATE_SHARE = 0.005
MALFORMED_SHARE = 0.0005
LATE_SHARE = 0.003
DUPLICATE = "duplicate (same event_id re-sent)"
MALFORMED = "malformed"


@dataclass
class Mixed:
    """The stream, line by line: the JSON text, what it is (an event type, DUPLICATE or
    MALFORMED), the lead or rep id it concerns (its Kafka key) and its arrival time."""

    lines: list[str]
    kinds: list[str]
    keys: list[str]
    t: np.ndarray  # int64 Unix seconds: event time, plus the delay of a late arrival
    counts: dict[str, int]  # per kind; `late` is a part of the others


def assemble(
    batches: list[Batch], clock: Clock, seed: int, *, id_prefix: str = "ev-", noise: bool = True
) -> Mixed:
    """Order by arrival (event time, a few late), assign ids, add duplicates and bad lines
    (unless `noise` is off). The counts add up to the number of lines, except `late`."""
    rng = rng_for(seed, "noise")
    t = np.concatenate([b.t for b in batches])
    late_ok = np.concatenate([np.full(b.t.shape[0], b.may_arrive_late) for b in batches])
    types = [b.type for b in batches for _ in range(b.t.shape[0])]
    bodies = [s for b in batches for s in b.bodies]
    at = [s for b in batches for s in clock.format(b.t, b.tz)]
    late = late_ok & (rng.random(t.shape[0]) < LATE_SHARE)
    key = t + np.where(late, rng.integers(30, 900, t.shape[0]), 0)
    order = np.argsort(key, kind="stable")
    width = len(str(len(order)))
    lines = [
        f'{{"event_id":"{id_prefix}{pos:0{width}d}","type":"{types[i]}","at":"{at[i]}",'
        f"{bodies[i]}"
        for pos, i in enumerate(order.tolist())
    ]
    kinds = [types[i] for i in order.tolist()]
    subjects = [key_of(bodies[i]) for i in order.tolist()]
    counts = dict(sorted(Counter(types).items()))
    keys = key[order]
    if not noise:
        counts["late"] = int(late.sum())
        return Mixed(lines, kinds, subjects, keys, counts)
    n = len(lines)
    dup_pos = np.sort(rng.choice(n, size=round(n * DUPLICATE_SHARE), replace=False))
    dup_keys = keys[dup_pos] + rng.integers(1, 600, dup_pos.shape[0])
    dup_lines = [lines[p] for p in dup_pos.tolist()]
    bad_pos = np.sort(rng.choice(n, size=max(1, round(n * MALFORMED_SHARE)), replace=False))
    bad_lines = [_malformed(lines[p], k) for k, p in enumerate(bad_pos.tolist())]
    counts[DUPLICATE] = len(dup_lines)
    counts[MALFORMED] = len(bad_lines)
    counts["late"] = int(late.sum())
    all_keys = np.concatenate([keys, dup_keys, keys[bad_pos]])
    all_lines = lines + dup_lines + bad_lines
    all_kinds = kinds + [DUPLICATE] * len(dup_lines) + [MALFORMED] * len(bad_lines)
    all_subjects = (
        subjects + [subjects[p] for p in dup_pos.tolist()] + [subjects[p] for p in bad_pos.tolist()]
    )
    final = np.argsort(all_keys, kind="stable").tolist()
    return Mixed(
        [all_lines[i] for i in final],
        [all_kinds[i] for i in final],
        [all_subjects[i] for i in final],
        all_keys[final],
        counts,
    )


def key_of(body: str) -> str:
    """The lead or rep id of a generated body: its first field (`"lead_id":"L-1",...`)."""
    return body.partition('":"')[2].partition('"')[0]


def _malformed(line: str, k: int) -> str:
    """A broken variant of LINE: not JSON, a bad field, or not an event at all."""
    rec = json.loads(line)
    rec["event_id"] = f"bad-{k:06d}"
    kind = k % 6
    if kind == 0:  # cut off mid-write
        return line[: len(line) // 2]
    if kind == 1:
        rec["at"] = "not-a-time"
    elif kind == 2:
        rec = {"event_id": rec["event_id"], "type": "lead.upserted", "at": rec["at"],
               "lead_id": rec.get("lead_id", "L-unknown"), "score": "high"}  # fmt: skip
    elif kind == 3:
        rec.pop("lead_id", None)
        rec.pop("rep_id", None)
    elif kind == 4:
        rec["type"] = "lead.merged"
    else:
        return json.dumps(list(rec.values()), separators=(",", ":"))
    return json.dumps(rec, separators=(",", ":"))
