"""The worker's web views: `/health`, `/metrics` (Prometheus text), `/sla` (scorecard JSON).

Every route the worker serves is registered here (`add_views`); Faust's own views (its
index, `/router/`, `/table/`, statistics, graph) are switched off (`drop_faust_views`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from faust.web import Request, Response, View

from routing.scorecard import render_scorecard
from streams.stages import POOL_PARTITION

if TYPE_CHECKING:
    from streams.app import Worker

PROMETHEUS_TEXT = "text/plain; version=0.0.4"  # aiohttp adds the charset itself


def drop_faust_views(worker: Worker) -> None:
    """Serve none of Faust's built-in blueprints (the settings switch off all but its
    production index at `/`, which has no setting)."""
    manager = worker.app.web.blueprints
    manager._enabled = [(p, bp) for p, bp in manager._enabled if not _faust_blueprint(bp)]


def _faust_blueprint(blueprint: Any) -> bool:
    return isinstance(blueprint, str) and blueprint.startswith("faust.")


def add_views(worker: Worker) -> None:
    app = worker.app
    drop_faust_views(worker)

    @app.page("/health", name="health")
    async def health(web: View, request: Request) -> Response:
        """200 while the worker runs; says whether it holds the pool stage and where it is,
        and per stage the consumer lag and when it last applied a record; 503 when a
        stage it holds has input waiting and has applied nothing for `stall_after_s`."""
        engine = worker.engine()
        stage = worker.stage()
        stages = worker.stage_watch()
        stalled = [name for name, watch in stages.items() if watch["stalled"]]
        body: dict[str, Any] = {
            "status": "stalled" if stalled else "ok",
            "stages": stages,
            "app_id": worker.settings.app_id,
            "clock": worker.options.clock,
            "pool_stage": "here" if engine is not None else "elsewhere",
            "input_partitions": worker.input_partitions(),
            "lead_stage": worker.lead_stats(),
        }
        if engine is not None and stage is not None:
            body["routing_offset"] = stage.offset
            body["recovered_records"] = stage.recovered
            body["recovered_from"] = stage.recovered_from
            body["recovered_format"] = stage.recovered_format  # docs/state-format.md
            shipper = worker.pools.shipper if worker.pools is not None else None
            published = shipper.last.get(POOL_PARTITION) if shipper is not None else None
            body["published_snapshot_offset"] = published.offset if published else None
            body["engine"] = dict(engine.stats)
        return web.json(body, status=503 if stalled else 200)

    @app.page("/metrics", name="metrics")
    async def metrics(web: View, request: Request) -> Response:
        return web.bytes(worker.metrics.render(), content_type=PROMETHEUS_TEXT)

    @app.page("/sla", name="sla")
    async def sla(web: View, request: Request) -> Response:
        """This week's scorecard (and the weeks before it), from the pool stage's engine;
        JSON, or the `leadflow scorecard` text with `?format=text`."""
        engine = worker.engine()
        if engine is None:
            return web.json(
                {"error": "the pool stage (and its scorecard) is on another worker"}, status=503
            )
        now = worker.pool_now()
        if request.query.get("format") == "text":
            return web.text(render_scorecard(engine.commitments.scorecard(now)))
        return web.json(engine.commitments.to_json(now))
