"""Which inputs were seen already: the de-duplication memory of a lead desk.

An input id is remembered for a window of event time (`DEDUPE_WINDOW_S` by default) with
its content's digest (`content_digest`: a CRC-32 of the bytes it was received as) and
where its first copy was read. A repeat of an id with the same content (or with a digest
unknown on either side) is a silent duplicate; with other content it is a conflict, and
the caller refuses it naming where the first copy was read.

The shape is chosen for the replay's speed, because the window holds every input of a
week (about 80,000 ids for 100,000 leads a quarter): one dict from id to one small
record of its first copy (a native class when compiled: its time and digest unboxed),
plus the ids in arrival order, forgotten from the oldest on, now and then. Three dicts
(id -> time, id -> digest, id -> where) cost a dict insert and a delete each per input,
and the columns tried next (`array`) a Python method call per append: both made the
replay measurably slower (docs/benchmarks.md, "The scorecard both teams trust").
"""

from __future__ import annotations

import zlib
from typing import Final

from mypy_extensions import mypyc_attr

DEDUPE_WINDOW_S: Final = 7 * 86400.0
NEW_INPUT: Final = 0  # `SeenInputs.check`: not seen (now remembered)
REPEAT: Final = 1  # seen, with the same content (or content unknown): a silent duplicate
CONFLICT: Final = 2  # seen with different content: refused (`SeenInputs.first_read`)
NO_DIGEST: Final = -1
_PRUNE_EVERY: Final = 1023  # forget old ids when the count of new ones is a multiple of 1024


def content_digest(raw: str | bytes) -> int:
    """A compact, deterministic digest (CRC-32) of an input's content: the bytes it was
    received as (every redelivery, a Kafka message read again, a file replayed, a webhook
    retried, gives the same bytes). The same in every process (Python's own `hash` of
    text is not), so a snapshot's digests compare with a later process's. Hashing the
    validated fields instead (orjson + CRC-32) costs ~10% of the replay's time; the
    bytes cost ~1% (docs/benchmarks.md)."""
    return zlib.crc32(raw.encode() if isinstance(raw, str) else raw)


# allow_interpreted_subclasses: compiled, a serializable class built from interpreted code
# (the snapshot format's reader) does not run its __init__ otherwise (as routing.lead.Lead).
@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class FirstCopy:
    """What is remembered of an input id: when its first copy came, its content's digest,
    and where it was read."""

    __slots__ = ("digest", "t", "where")

    def __init__(self, t: float, digest: int, where: str) -> None:
        self.t = t
        self.digest = digest
        self.where = where


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class SeenInputs:
    """The ids seen within the window, each with its first copy's time, digest and where."""

    def __init__(self, window_s: float = DEDUPE_WINDOW_S) -> None:
        self.window_s = window_s
        self.first: dict[str, FirstCopy] = {}  # id -> its first copy
        self.order: list[str] = []  # ids in arrival order, from `head` on
        self.head = 0

    def __len__(self) -> int:
        return len(self.first)

    def check(self, event_id: str, t: float, now: float, digest: int = NO_DIGEST,
              where: str = "") -> int:  # fmt: skip
        """Seen before (within the window)? NEW_INPUT (now remembered, with its content's
        `digest` and `where` it was read), REPEAT (the same content, or a digest unknown on
        either side) or CONFLICT (other content: `first_read` says where the first copy
        was read). `now`: the latest instant."""
        first = self.first
        n = len(first)
        copy = FirstCopy(t, digest, where)
        known = first.setdefault(event_id, copy)  # one lookup: adds the id unless it is there
        if known is not copy:
            if digest != NO_DIGEST and known.digest != NO_DIGEST and known.digest != digest:
                return CONFLICT
            return REPEAT
        order = self.order
        order.append(event_id)
        if n & _PRUNE_EVERY == _PRUNE_EVERY:  # forget ids older than the window, now and then
            horizon = max(now, t) - self.window_s
            head = self.head
            while head < len(order) and first[order[head]].t < horizon:
                del first[order[head]]
                head += 1
            if head * 2 > len(order):  # drop the forgotten ids' slots in one go
                del order[:head]
                head = 0
            self.head = head
        return NEW_INPUT

    def first_read(self, event_id: str) -> str:
        """Where the first copy of a remembered input was read ("" when not said)."""
        known = self.first.get(event_id)
        return "" if known is None else known.where


__all__ = [
    "CONFLICT", "DEDUPE_WINDOW_S", "NEW_INPUT", "NO_DIGEST", "REPEAT", "FirstCopy", "SeenInputs",
    "content_digest",
]  # fmt: skip
