"""`leadflow plan`: from a revenue goal to the MQLs needed per week and month, and the
headcount the simulator says they need."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from leadflow.helptext import command
from leadflow.review import ReviewError
from leadflow.review.doc import Doc, Section, Table
from leadflow.review.output import add_capacity_flags, add_output_flags, check_outputs, write_doc


def register(sub: Any) -> None:
    p = command(
        sub,
        "plan",
        help="MQLs (and headcount) a revenue goal needs, arithmetic shown",
        description="From a revenue goal to the MQLs needed per week and per month, with the "
        "arithmetic shown: goal / deal size / win rate / MQL-to-opportunity rate. The rates "
        "are given or measured from a recorded history (--history with --policy); with "
        "--headcount the simulator's staffing search says the reps the planned volume needs.",
        examples="""
leadflow plan --revenue 1200000 --deal-size 24000 --win-rate 0.25 --mql-to-opportunity 0.2
leadflow plan --revenue 1200000 --history events.jsonl --policy policy.yaml --headcount
""",
    )
    p.add_argument("--revenue", type=float, required=True, help="revenue goal for the period")
    p.add_argument("--period", default="quarter", choices=["month", "quarter", "half_year", "year"],
                   help="the goal's period (default quarter)")
    p.add_argument("--deal-size", type=float, help="average deal size (or measured: --history)")
    p.add_argument("--win-rate", type=float, help="opportunity -> won rate")
    p.add_argument("--mql-to-opportunity", type=float, help="MQL -> opportunity rate")
    p.add_argument("--history", help="measure the rates and tier mix from this events file")
    p.add_argument("--policy", help="the history's policy (with --history)")
    p.add_argument("--team", help="team file (overrides the policy's `team`)")
    p.add_argument("--by-tier", action="store_true", help="split the MQLs by the tier mix")
    p.add_argument("--tier-mix", help="tier=share,... (default with --history: measured)")
    p.add_argument("--headcount", action=argparse.BooleanOptionalAction, default=None,
                   help="staffing search at the planned volume (needs --history)")
    add_capacity_flags(p)
    add_output_flags(p)
    p.set_defaults(run=_plan)


def _mix(text: str) -> dict[str, float]:
    out = {}
    for part in text.split(","):
        name, _, share = part.partition("=")
        try:
            out[name.strip()] = float(share)
        except ValueError:
            raise ReviewError(f"--tier-mix: expected tier=share,..., got {part!r}") from None
    return out


def _measured(history: Any) -> dict[str, float]:
    """Funnel rates and deal size from the scorecard's funnel (when it has one): its counts
    summed over every week that has one (so the rates are pooled, as the review's), won of
    opportunities and opportunities of MQLs."""
    from leadflow.review.card import read_card

    card = read_card(history.card)
    weeks = [w for w in card.weeks if w.funnel]
    if not weeks:
        return {}
    total = {k: sum(float((w.funnel or {}).get(k) or 0) for w in weeks)
             for k in ("mqls", "opportunity", "won")}
    # won_amount: currency -> sum (never added across currencies); older cards: a number
    amounts: dict[str, float] = {}
    for w in weeks:
        won = (w.funnel or {}).get("won_amount") or {}
        for currency, amount in (won.items() if isinstance(won, dict) else [("", won)]):
            amounts[currency] = amounts.get(currency, 0.0) + float(amount or 0)
    out = {}
    if total["opportunity"] and total["won"]:
        out["win_rate"] = total["won"] / total["opportunity"]
        # a deal size only from one currency: amounts in several are not added up
        if len(amounts) == 1:
            out["deal_size"] = next(iter(amounts.values())) / total["won"]
    if total["mqls"] and total["opportunity"]:
        out["mql_to_opportunity"] = total["opportunity"] / total["mqls"]
    return {k: v for k, v in out.items() if v}


def _plan(args: argparse.Namespace) -> int:
    from leadflow.review.plan import plan

    history = pack = None
    measured: dict[str, float] = {}
    if args.headcount and not args.history:
        raise ReviewError("--headcount needs --history (the staffing search replays it)")
    check_outputs([args.out], [args.history or "", args.policy or "", args.team or ""])
    if args.history:
        if not args.policy:
            raise ReviewError("--history needs --policy (the policy the history ran under)")
        from leadflow.review.history import load, run
        from leadflow.review.pack import build_pack

        print(f"replaying {args.history} under {args.policy} ...", file=sys.stderr)
        history = run(load(args.policy, args.team), args.history)
        pack = build_pack(history)
        measured = _measured(history)
    sources = {}
    values = {}
    for key in ("deal_size", "win_rate", "mql_to_opportunity"):
        given = getattr(args, key)
        if given is not None:
            values[key], sources[key] = given, "given"
        elif key in measured:
            values[key], sources[key] = measured[key], f"measured from {args.history}"
        else:
            flag = "--" + key.replace("_", "-")
            raise ReviewError(
                f"{flag}: not given, and not measured (needs --history whose scorecard has a "
                "funnel: won opportunities and amounts)")
    mix = None
    if args.tier_mix:
        mix = _mix(args.tier_mix)
    elif args.by_tier:
        if pack is None:
            raise ReviewError("--by-tier: give --tier-mix, or --history to measure it")
        mix = {k: float(v) for k, v in pack["arrivals"]["tier"].items()}
    p = plan(args.revenue, values["deal_size"], values["win_rate"],
             values["mql_to_opportunity"], args.period, mix, sources)
    cap = None
    if history is not None and pack is not None and args.headcount is not False:
        from leadflow.review.capacity import capacity

        cap = capacity(history, pack, target=args.capacity_target, weeks=args.capacity_weeks,
                       replications=args.replications, pools=args.capacity_pool,
                       say=lambda line: print(line, file=sys.stderr), volume=p["per_week"])
    write_doc(_doc(p, cap), args, [args.history or "", args.policy or "", args.team or ""])
    return 0


def _doc(p: dict[str, Any], cap: dict[str, Any] | None) -> Doc:
    s = Section("plan", "MQLs needed")
    s.parts.append(Table(["", "value", "from"], [
        ["revenue goal", f"{p['revenue']:,.0f} per {p['period'].replace('_', ' ')}", "given"],
        ["average deal size", f"{p['deal_size']:,.0f}", p["sources"]["deal_size"]],
        ["opportunity -> won", f"{100 * p['win_rate']:.1f}%", p["sources"]["win_rate"]],
        ["MQL -> opportunity", f"{100 * p['mql_to_opportunity']:.1f}%",
         p["sources"]["mql_to_opportunity"]],
        ["MQLs needed", f"{p['mqls']:,.0f}", "computed"],
        ["per week", f"{p['per_week']:,.1f}", "computed"],
        ["per month", f"{p['per_month']:,.1f}", "computed"],
    ]))
    s.parts.append(p["steps"])
    sections = [s]
    if p["tiers"]:
        sections.append(Section("tiers", "By tier", [Table(
            ["tier", "share", "per week", "per month"],
            [[t, f"{100 * v['share']:.1f}%", f"{v['per_week']:,.1f}", f"{v['per_month']:,.1f}"]
             for t, v in p["tiers"].items()])]))
    c = Section("headcount", "Headcount at that volume")
    if cap is None:
        c.parts.append("Not computed: give --history (and --policy) for the simulator's staffing "
                       "search on the history's arrival pattern at the planned volume.")
    else:
        c.parts.append(cap["how"])
        c.parts.append(Table(["pool", "reps now", "needed", "targets staffing cannot reach"],
                             [[x["pool"], str(x["current"]), str(x["headcount"] or "-"),
                               ", ".join(x["unreachable"]) or "-"] for x in cap["pools"]]))
    sections.append(c)
    return Doc(title="Revenue plan", sub="from a revenue goal back to MQLs and headcount",
               sections=sections, footer="leadflow plan")
