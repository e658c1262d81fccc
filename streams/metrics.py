"""Prometheus metrics of one worker (its own registry: several apps in one process, as in
tests, do not share counters).

Counters and the latency histogram are updated by the agents; the gauges (queue depth,
open leads, surge, timers pending) are read from the engine when `/metrics` is scraped,
so they cost nothing per event.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from routing.engine import Engine
from routing.lead import MQL

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
GC_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class EngineGauges(Collector):
    """Gauges read from the pool stage's engine at scrape time (none while it is elsewhere)."""

    def __init__(self, engine: Callable[[], Engine | None]) -> None:
        self._engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "leadflow_queue_depth", "Leads waiting for a rep, per pool", labels=["pool"]
        )
        open_ = GaugeMetricFamily(
            "leadflow_open_leads", "MQLs not yet dispositioned, per pool", labels=["pool"]
        )
        surge = GaugeMetricFamily(
            "leadflow_surge_active", "1 while the pool is in surge", labels=["pool"]
        )
        timers = GaugeMetricFamily("leadflow_timers_pending", "SLA and other timers scheduled")
        engine = self._engine()
        if engine is not None:
            per_pool: Tally[str] = Tally()
            for lead in engine.leads.values():
                if lead.state == MQL and lead.pool is not None:
                    per_pool[lead.pool] += 1
            for name, pool in engine.router.pools.items():
                depth.add_metric([name], pool.queue.depth)
                open_.add_metric([name], per_pool[name])
                surge.add_metric([name], 1.0 if pool.surge.active else 0.0)
            timers.add_metric([], engine.timers_pending)
        yield from (depth, open_, surge, timers)


class WorkerMetrics:
    def __init__(self, engine: Callable[[], Engine | None]) -> None:
        self.registry = CollectorRegistry()
        self.events_in = Counter(
            "leadflow_events_in",
            "Input messages read, per stage",
            ["stage"],
            registry=self.registry,
        )
        self.decisions_out = Counter(
            "leadflow_decisions_out",
            "Decisions published, per topic",
            ["topic"],
            registry=self.registry,
        )
        self.deadlettered = Counter(
            "leadflow_deadlettered",
            "Inputs sent to the dead-letter topic, per stage (lead: not a valid event; "
            "pool: refused by a rule)",
            ["stage"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "leadflow_decision_latency_seconds",
            "From the input message's timestamp to its decisions being handed to the producer",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.recovered = Counter(
            "leadflow_records_recovered",
            "Routing records re-applied after a restart (snapshot to first delivered offset)",
            registry=self.registry,
        )
        self.snapshots = Counter(
            "leadflow_snapshots", "Pool-stage snapshots started", registry=self.registry
        )
        self.gc_pauses = Histogram(
            "leadflow_gc_pause_seconds",
            "Pauses of the worker process's cyclic garbage collector, per generation "
            "(2: a full collection)",
            ["generation"],
            buckets=GC_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(EngineGauges(engine))

    def render(self) -> bytes:
        return generate_latest(self.registry)
