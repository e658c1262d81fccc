"""`leadflow loadgen`: synthetic live load, or a recorded stream, into the events topic."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from routing.errors import LeadflowError


def register(sub: Any) -> None:
    """Add the `loadgen` command to the `leadflow` sub-command parsers."""
    from leadflow.helptext import command

    p = command(
        sub,
        "loadgen",
        help="produce a realistic live mix (or replay a recorded stream) into Kafka",
        examples="""\
leadflow loadgen --policy examples/policy.yaml --rate 200 --duration 60
leadflow loadgen --replay examples/events.sample.jsonl --speed max --shift-to-now""",
        description="Live mode (--rate with --duration and/or --count): lead, engagement, "
        "touch, disposition and rep events for the policy's team, stamped with the wall "
        "clock when sent, with campaign bursts. Replay mode (--replay FILE): the file's "
        "valid events on their own timing scaled by --speed.",
    )
    p.add_argument("--broker", help="kafka://host:port (default: LEADFLOW_BROKER)")
    p.add_argument("--topic", help="target topic (default: LEADFLOW_TOPIC_EVENTS)")
    live = p.add_argument_group("live mode")
    live.add_argument("--rate", type=float, help="events per second (token bucket)")
    live.add_argument("--duration", type=float, help="seconds to run")
    live.add_argument("--count", type=int, help="events to send (stops at whichever comes first)")
    live.add_argument("--policy", help="policy whose team and reasons the events use "
                      "(default: LEADFLOW_POLICY)")  # fmt: skip
    live.add_argument("--team", help="team file (overrides the policy's `team`)")
    live.add_argument("--seed", type=int, default=7, help="the same seed gives the same events")
    live.add_argument("--run-id", help="tag of this run's lead and event ids (default: time)")
    live.add_argument(
        "--clean", action="store_true", help="no duplicates and no malformed lines in the mix"
    )
    live.add_argument(
        "--bursts", action=argparse.BooleanOptionalAction, default=True,
        help="campaign spikes: the rate times --burst-x for --burst-for seconds, about every "
        "--burst-every seconds (default: on)",
    )  # fmt: skip
    live.add_argument(
        "--burst-every", type=float, default=30.0, metavar="S",
        help="seconds between campaign spikes, about (default 30)",
    )  # fmt: skip
    live.add_argument(
        "--burst-for", type=float, default=3.0, metavar="S",
        help="seconds each spike lasts (default 3)",
    )  # fmt: skip
    live.add_argument(
        "--burst-x", type=float, default=4.0, metavar="X",
        help="the rate during a spike, as a multiple of --rate (default 4)",
    )  # fmt: skip
    rep = p.add_argument_group("replay mode")
    rep.add_argument("--replay", metavar="FILE", help="a .jsonl stream to replay")
    rep.add_argument(
        "--speed", default="1",
        help="time scale of the file's own timing: 2 = twice as fast; 0 or max = no waiting",
    )  # fmt: skip
    rep.add_argument(
        "--shift-to-now", action="store_true",
        help="move every timestamp by one offset so the first event happens now",
    )  # fmt: skip
    rep.add_argument(
        "--include-invalid", action="store_true",
        help="send lines that are not valid events too (unkeyed), to exercise the dead letters",
    )  # fmt: skip
    p.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=True,
        help="a progress line on stderr (default: on)",
    )  # fmt: skip
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from routing.policy.loader import load_policy
    from streams.loadgen import produce_mix, produce_replay
    from streams.pacing import Bursts
    from streams.settings import load_settings

    settings = load_settings(broker=args.broker)
    progress = sys.stderr if args.progress else None
    if args.replay is not None:
        if args.rate is not None or args.duration is not None or args.count is not None:
            raise LeadflowError(
                "loadgen: --replay paces by the file; drop --rate/--duration/--count"
            )
        from leadflow.files import check_input

        speed = _speed(args.speed)
        check_input(args.replay, "events")  # before the broker is asked anything
        report = asyncio.run(
            produce_replay(
                settings, Path(args.replay), speed=speed,
                shift_to_now=args.shift_to_now, include_invalid=args.include_invalid,
                topic=args.topic, progress=progress,
            )
        )  # fmt: skip
    else:
        if args.rate is None or (args.duration is None and args.count is None):
            raise LeadflowError(
                "loadgen: give --rate N with --duration SECONDS and/or --count N, or --replay FILE"
            )
        if args.rate <= 0:
            raise LeadflowError(f"loadgen: --rate must be positive, got {args.rate}")
        policy = args.policy or (str(settings.policy) if settings.policy else None)
        if policy is None:
            raise LeadflowError("loadgen: --policy (or LEADFLOW_POLICY) names the team to use")
        team = args.team or (str(settings.team) if settings.team else None)
        try:
            bursts = (
                Bursts(args.burst_every, args.burst_for, args.burst_x, args.seed)
                if args.bursts
                else None
            )
        except ValueError as exc:
            raise LeadflowError(f"loadgen: {exc}") from None
        report = asyncio.run(
            produce_mix(
                settings, load_policy(policy, team), rate=args.rate, count=args.count,
                duration_s=args.duration, seed=args.seed, run_id=args.run_id, topic=args.topic,
                noise=not args.clean, bursts=bursts, progress=progress,
            )
        )  # fmt: skip
    print(report.summary())
    return 0


def _speed(text: str) -> float:
    if text.strip().lower() in ("max", "0"):
        return 0.0
    try:
        value = float(text)
    except ValueError:
        raise LeadflowError(f"loadgen: --speed must be a number or `max`, got {text!r}") from None
    if value < 0:
        raise LeadflowError(f"loadgen: --speed must not be negative, got {text!r}")
    return value
