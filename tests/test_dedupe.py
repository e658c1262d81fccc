"""The de-duplication memory (routing.dedupe.SeenInputs): repeats, conflicts, where the
first copy was read, and a window that forgets old ids and keeps its columns bounded."""

from __future__ import annotations

from routing.dedupe import CONFLICT, NEW_INPUT, NO_DIGEST, REPEAT, SeenInputs, content_digest


def test_a_repeat_with_the_same_content_is_silent_and_with_other_content_a_conflict() -> None:
    seen = SeenInputs(window_s=3600.0)
    a, b = content_digest('{"x":1}'), content_digest(b'{"x":2}')
    assert seen.check("e1", 0.0, 0.0, a, "line 1") == NEW_INPUT
    assert seen.check("e1", 5.0, 5.0, a, "line 7") == REPEAT
    assert seen.check("e1", 6.0, 6.0, b, "line 9") == CONFLICT
    assert seen.first_read("e1") == "line 1"  # the first copy, not a later one
    # A digest unknown on either side cannot tell content apart: a repeat.
    assert seen.check("e1", 7.0, 7.0, NO_DIGEST, "") == REPEAT
    assert seen.check("e2", 8.0, 8.0, NO_DIGEST, "") == NEW_INPUT
    assert seen.check("e2", 9.0, 9.0, b, "line 12") == REPEAT
    assert seen.first_read("nope") == ""


def test_old_ids_are_forgotten_and_the_order_list_stays_bounded() -> None:
    """One id a second for ten windows: the memory holds about a window of ids (checked
    every 1024 new ones), forgotten ids leave the order list too, and an id still
    remembered knows its own digest and where it was read."""
    window = 2000.0
    seen = SeenInputs(window_s=window)
    n = 20_000
    for i in range(n):
        assert seen.check(f"e{i}", float(i), float(i), i, f"line {i + 1}") == NEW_INPUT
        assert len(seen.order) - seen.head == len(seen)  # the order list and dict agree
    assert window <= len(seen) <= window + 1024
    assert len(seen.order) <= 2 * (window + 1024)  # forgotten slots were dropped, not kept
    last = n - 1
    assert seen.first_read(f"e{last}") == f"line {n}"
    assert seen.check(f"e{last}", float(n), float(n), last, "x") == REPEAT
    assert seen.check(f"e{last}", float(n), float(n), last + 1, "x") == CONFLICT
    # An id older than the window was forgotten: it is new again.
    assert seen.check("e0", float(n), float(n), 0, "again") == NEW_INPUT
    assert seen.first_read("e0") == "again"
