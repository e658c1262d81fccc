"""The worker's declared topics carry pydantic-backed codecs (streams.codecs): a Faust agent
on `leads.events` gets the core's validated event models, one on `leads.assignments`
gets `Decision` models; tested with `agent.test_context()`, no broker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from faust.exceptions import ValueDecodeError

from routing.engine import Engine
from routing.errors import EventError
from routing.events import LeadEngaged, LeadUpserted
from routing.policy.loader import load_policy
from routing.replay import dumps, replay
from streams.app import build_worker
from streams.codecs import DECISION_CODEC, EVENT_CODEC, Decision, parse_decision
from streams.settings import load_settings

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SAMPLE = EXAMPLES / "events.sample.jsonl"


@pytest.fixture
def worker(tmp_path: Path) -> Any:
    loaded = load_policy(EXAMPLES / "policy.yaml")
    settings = load_settings(app_id="codec-test", state_dir=tmp_path)
    w = build_worker(settings, loaded)
    w.app.finalize()
    w.app.flow_control.resume()
    return w


def _topic(worker: Any, name: str) -> Any:
    return next(t for t in worker.topics if t.get_topic_name() == name)


def test_the_declared_topics_name_the_codecs(worker: Any) -> None:
    names = worker.names
    assert _topic(worker, names.events).value_serializer == EVENT_CODEC
    assert _topic(worker, names.assignments).value_serializer == DECISION_CODEC
    assert _topic(worker, names.alerts).value_serializer == DECISION_CODEC
    assert _topic(worker, names.deadletter).value_serializer == "raw"  # bytes as received


async def test_an_agent_on_the_events_topic_routes_the_sample_as_replay_does(worker: Any) -> None:
    """Each line of the sample, put as raw bytes through the topic's codec into an agent
    that drives the core, gives the decisions `leadflow replay` gives, byte for byte; the
    malformed line is refused by the codec with the parser's reason, which the caller
    hands to the core as replay does."""
    loaded = load_policy(EXAMPLES / "policy.yaml")
    engine = Engine(loaded)
    numbered = [(n, line) for n, line in enumerate(SAMPLE.read_bytes().splitlines(), 1)]
    numbered = [(n, line.strip()) for n, line in numbered if line.strip()]
    decisions: list[str] = []
    kinds: list[type] = []

    @worker.app.agent(_topic(worker, worker.names.events))
    async def route(stream: Any) -> Any:
        async for event in stream.events():
            number = numbered[event.message.offset][0]
            kinds.append(type(event.value))
            out = engine.apply(event.value, f"line {number}", event.message.value)
            decisions.extend(dumps(d) for d in out)
            yield len(out)

    refused: list[str] = []
    async with route.test_context(channel=_topic(worker, worker.names.events)) as agent:
        for number, line in numbered:
            try:
                await agent.put(line)
            except ValueDecodeError as exc:  # not an event: the core records the rejection
                refused.append(str(exc))
                agent.sent_offset += 1  # the next line keeps its own offset
                decisions.extend(
                    dumps(d) for d in engine.reject(line.decode(), f"line {number}", str(exc))
                )
    decisions.extend(dumps(d) for d in engine.advance(engine.now))

    oracle = [dumps(d) for d in replay(Engine(loaded), [line for _, line in numbered])]
    assert decisions == oracle
    assert len(refused) == 1
    assert {LeadUpserted, LeadEngaged} <= set(kinds)


def test_the_event_codec_round_trips_and_names_what_is_wrong() -> None:
    from faust.serializers import codecs

    line = SAMPLE.read_bytes().splitlines()[0]
    event = codecs.loads(EVENT_CODEC, line)
    assert codecs.loads(EVENT_CODEC, codecs.dumps(EVENT_CODEC, event)) == event
    with pytest.raises(EventError, match="lead_id"):
        codecs.loads(
            EVENT_CODEC,
            b'{"event_id":"x","type":"lead.engaged","at":"2026-01-05T10:00:00Z","activity":"a"}',
        )


def test_decisions_go_through_their_codec_as_the_worker_publishes_them(worker: Any) -> None:
    from faust.serializers import codecs

    loaded = load_policy(EXAMPLES / "policy.yaml")
    out = list(replay(Engine(loaded), SAMPLE.read_bytes().splitlines()))
    assert len(out) > 20
    for decision in out:
        published = orjson.dumps(decision)  # what streams.stages.Publisher sends
        assert codecs.dumps(DECISION_CODEC, decision) == published
        model = codecs.loads(DECISION_CODEC, published)
        assert isinstance(model, Decision) and model.type == decision["type"]
        assert codecs.dumps(DECISION_CODEC, model) == published  # byte for byte back
        assert model.moment.tzinfo is not None


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        (b'{"type":"lead.assigned","at":"2026-01-05T10:00:00-05:00"}', "event_id"),
        (b'{"event_id":"a","type":"lead.assigned","at":"2026-01-05T10:00:00"}', "UTC offset"),
        (b'{"event_id":"","type":"lead.assigned","at":"2026-01-05T10:00:00Z"}', "at least 1 char"),
        (b"not json", "JSON"),
    ],
)
def test_a_bad_decision_is_refused_with_the_field_named(raw: bytes, named: str) -> None:
    with pytest.raises(EventError, match=named):
        parse_decision(raw)


async def test_an_agent_on_the_assignments_topic_gets_decision_models(worker: Any) -> None:
    loaded = load_policy(EXAMPLES / "policy.yaml")
    out = [
        d
        for d in replay(Engine(loaded), SAMPLE.read_bytes().splitlines())
        if d["type"] == "lead.assigned"
    ]
    owners: dict[str, str] = {}

    @worker.app.agent(_topic(worker, worker.names.assignments))
    async def track(stream: Any) -> Any:
        async for decision in stream:
            owners[decision.lead_id] = decision.rep_id  # the extra fields are kept
            yield decision.event_id

    async with track.test_context(channel=_topic(worker, worker.names.assignments)) as agent:
        for decision in out:
            event = await agent.put(orjson.dumps(decision))
            assert agent.results[event.message.offset] == decision["event_id"]
    assert owners == {d["lead_id"]: d["rep_id"] for d in out}
