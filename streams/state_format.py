"""The versioned state format: its number, its history, and the migrations that let a
newer leadflow read the state an older one wrote (docs/state-format.md).

A snapshot's body is the stage's state as a tree (streams.state_tree) in format `FORMAT`.
When the shape of the state changes (a field renamed, split, packed; a kind added), the
format number goes up by one and `MIGRATIONS[n]` turns a tree of format n into one of
format n + 1: a pure function of the tree (`Node`s, `Value`s, `Ref`s and plain values),
written once and kept. A reader applies every migration from the snapshot's format to
its own, then builds the state. A snapshot of a format newer than the reader's is
refused (`NewerFormat`): the stage is rebuilt from its input log instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from streams import state_tree
from streams.state_tree import Node, Ref, StateFormatError, Value

FORMAT = 3
# What each format changed, for docs/state-format.md and for errors.
HISTORY: dict[int, str] = {
    1: "the state as a tree of plain values by field name (replaces the pickled engine)",
    2: "the lead desk's de-duplication memory is one record per id (routing.dedupe)",
    3: "policy versions (routing.versions) on the engine and the desk, the daily digests' "
    "timer (routing.briefings) and the weekly summary's switch",
}
Migration = Callable[[Any], Any]


class NewerFormat(StateFormatError):
    """A snapshot written by a newer leadflow, in a format this one does not know."""


@functools.cache
def leadflow_version() -> str:
    try:
        return version("leadflow")
    except PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


def dump(state: Any, template: Any) -> bytes:
    """`state` in the current format; `template`: the same stage built from the policy."""
    return state_tree.dumps(state, template)


def load(body: bytes, fmt: int, template: Any, where: str, writer: str = "?") -> Any:
    """The state `body` (in format `fmt`, written by leadflow `writer`) holds, migrated to
    the current format and built on `template` (a fresh stage from the same policy)."""
    if fmt > FORMAT:
        raise NewerFormat(
            f"{where}: state format {fmt} (written by leadflow {writer}) is newer than the "
            f"formats this leadflow {leadflow_version()} reads (1 to {FORMAT}); the state is "
            "rebuilt from the input log instead"
        )
    if fmt < 1:
        raise StateFormatError(f"{where}: state format {fmt} does not exist (1 to {FORMAT})")
    if fmt < FORMAT:
        body = state_tree.dumps_tree(migrate(state_tree.loads_tree(body), fmt))
    state = state_tree.loads(body, template)
    if fmt < 3:
        _start_briefings(state)
    return state


def migrate(tree: Any, fmt: int) -> Any:
    """A tree of format `fmt` brought to the current format."""
    for n in range(fmt, FORMAT):
        tree = MIGRATIONS[n](tree)
    return tree


def only(tree: Any, kind: str) -> list[Node]:
    """The nodes of `kind` in a tree (for migrations)."""
    return list(state_tree.nodes(tree, kind))


# --- the migrations: never changed once released ------------------------------------------
NO_DIGEST = -1  # routing.dedupe.NO_DIGEST, as format 1 wrote it


def _seen_inputs(tree: Any) -> Any:
    """1 -> 2: `LeadDesk._seen` (id -> time), `_digest` and `_where` (id -> digest, where it
    was read; only for ids whose content was known), `_seen_order`, `_seen_head` and
    `dedupe_window_s` become `LeadDesk.seen`, a `SeenInputs` (`window_s`; `first`: id ->
    a `FirstCopy` value (t, digest, where), in arrival order; `order`; `head`). An id seen
    without its content kept no `where` in format 1: "" (read only for a conflict, which
    needs a digest on both sides)."""
    for desk in only(tree, "LeadDesk"):
        old = desk.fields
        digests: dict[str, int] = old.pop("_digest")
        wheres: dict[str, str] = old.pop("_where")
        first = {
            event_id: Value(
                "FirstCopy", (t, digests.get(event_id, NO_DIGEST), wheres.get(event_id, ""))
            )
            for event_id, t in old.pop("_seen").items()
        }
        seen = {
            "window_s": old.pop("dedupe_window_s"),
            "first": first,
            "order": old.pop("_seen_order"),
            "head": old.pop("_seen_head"),
        }
        old["seen"] = Node("SeenInputs", seen)
    return tree


def _versions_and_briefings(tree: Any) -> Any:
    """2 -> 3: the engine and the desk hold the policy's versions (`versions`, made from
    the policy: a ref, at its shortest path in the stage), the desk caches the span of the
    terms in force (`terms_from`, `terms_until`) instead of holding `follow_up` (now in the
    versions' terms), the engine holds the daily digests' timer (`day_starts`: None, or
    the policy's fresh one, started by `_start_briefings` once loaded) and the
    commitments whether to emit weekly summaries (`_summaries`, from the policy). A
    format-2 state was decided under one version: every new field is what a stage freshly
    built from the policy holds, so each is a ref into that stage."""
    root = "" if tree.kind == "Engine" else "desk"  # the pool stage's root, or a DeskHost
    for desk in only(tree, "LeadDesk"):
        old = desk.fields
        old.pop("follow_up", None)
        old["versions"] = Ref(("versions",) if root == "" else ("desk", "versions"))
        old["terms_from"] = Ref(("desk", "terms_from"))
        old["terms_until"] = Ref(("desk", "terms_until"))
    for engine in only(tree, "Engine"):
        engine.fields["versions"] = Ref(("versions",))
        engine.fields["day_starts"] = Ref(("day_starts",))
    for commitments in only(tree, "Commitments"):
        commitments.fields["_summaries"] = Ref(("commitments", "_summaries"))
    return tree


def _start_briefings(state: Any) -> None:
    """After 2 -> 3: an engine that had seen inputs before digests existed starts its
    digest timer now (when its policy asks for digests), from the state's event time: the
    digests come from the next working-day start on, as they would have from a worker
    started at that instant."""
    day_starts = getattr(state, "day_starts", None)
    if day_starts is not None and day_starts.version == 0 and state._observed:
        day_starts.start(state, state.now)


MIGRATIONS: dict[int, Migration] = {  # n -> the function from format n to n + 1
    1: _seen_inputs,
    2: _versions_and_briefings,
}
