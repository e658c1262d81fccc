"""The pool stage's state on one routing partition: one engine, applying routing records
in offset order (streams.records), snapshotted and recovered as `streams.stage_state`
describes."""

from __future__ import annotations

from routing.engine import Engine
from routing.outputs import Output
from streams.records import apply_record
from streams.stage_state import ReadRange, Remote, StageState

__all__ = ["PoolStage", "ReadRange", "Remote"]


class PoolStage(StageState[Engine]):
    """State of the pool stage on one routing partition."""

    kind = Engine

    def fresh(self) -> Engine:
        return Engine(self.loaded)

    def step(
        self, state: Engine, offset: int, record: bytes, timestamp_ms: int | None = None
    ) -> list[Output]:
        return apply_record(state, record)

    @property
    def engine(self) -> Engine | None:
        return self.state

    @property
    def loaded_engine(self) -> Engine:
        return self.loaded_state
