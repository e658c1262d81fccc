"""Benchmarks: a generated quarter of lead and rep events, replayed offline against a floor."""
