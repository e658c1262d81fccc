"""Random streams: one numpy Generator per (replication, source), from one seed.

Every stream is `SeedSequence(seed, spawn_key=(replication, kind, key))`, so a stream
depends only on what it is for: arrivals of source 2 in replication 5 are the same
whatever the staffing, and a rep's work times are the same whoever else is on the team
(keys of reps come from their ids). Replications are independent children of the seed.
"""

from __future__ import annotations

import zlib

import numpy as np

ARRIVALS, OUTCOMES, WORK, ABSENCE = 0, 1, 2, 3


def rep_key(rep_id: str) -> int:
    return zlib.crc32(rep_id.encode("utf-8"))


class Streams:
    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication

    def _rng(self, kind: int, key: int) -> np.random.Generator:
        seq = np.random.SeedSequence(self.seed, spawn_key=(self.replication, kind, key))
        return np.random.Generator(np.random.PCG64(seq))

    def arrivals(self, source: int) -> np.random.Generator:
        """Arrival times and lead mix of one source."""
        return self._rng(ARRIVALS, source)

    def outcomes(self, source: int) -> np.random.Generator:
        """Per-lead draws (connects, disposition outcome) of one source's leads."""
        return self._rng(OUTCOMES, source)

    def work(self, rep_id: str) -> np.random.Generator:
        """One rep's start delays and touch times."""
        return self._rng(WORK, rep_key(rep_id))

    def absence(self, rep_id: str) -> np.random.Generator:
        """One rep's absent days."""
        return self._rng(ABSENCE, rep_key(rep_id))
