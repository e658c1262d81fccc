"""Synthetic lead and rep event streams: the one generator behind `leadflow loadgen` (live
Kafka load) and `benchmarks/generate.py` (recorded quarters for the replay benchmark)."""
