"""Generated lead lifecycles: upserts, engagements, touches and dispositions.

Per lead: arrival shaped by weekday and hour; a first `lead.upserted` (about 3% missing a
required field, about 1% disqualified), 0-2 later upserts that update the score, several
`lead.engaged`; about 70% become MQLs, and MQLs are touched 1-8 times on 1-3 channels in
business hours by a rep of the matching pool, then dispositioned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from streams.loadmix.batch import Batch, body
from streams.loadmix.stages import stage_batch
from streams.loadmix.team import GenTeam
from streams.loadmix.timekit import DAY_S, HOUR_S, MIN_S, Clock, rng_for

SEGMENTS = ("enterprise", "mid_market", "smb")
SEGMENT_P = (0.25, 0.35, 0.40)
ACTIVITIES = ("email_open", "pricing_page_visit", "content_download", "webinar_attended")
ACTIVITY_P = (0.50, 0.15, 0.20, 0.15)
REQUIRED = ("name", "email", "company", "role", "source", "score")
SOURCES = ("website", "paid_search", "webinar", "content_syndication", "event", "referral",
           "organic_search", "partner")
SOURCE_P = (0.22, 0.18, 0.14, 0.12, 0.10, 0.08, 0.10, 0.06)
ROLES = ("VP Operations", "Director IT", "Head of Sales", "CTO", "CFO", "IT Manager",
         "Marketing Manager", "Sales Operations Lead", "Procurement Manager", "CEO",
         "Engineering Manager", "RevOps Analyst", "Data Analyst", "VP Marketing")
REGIONS = (("na", "US"), ("na", "US"), ("na", "US"), ("na", "CA"), ("emea", "GB"), ("emea", "DE"),
           ("emea", "FR"), ("apac", "AU"), ("apac", "JP"), ("apac", "SG"), ("latam", "BR"),
           ("latam", "MX"))
INDUSTRIES = ("software", "manufacturing", "financial_services", "healthcare", "retail",
              "logistics", "education", "media", "energy", "public_sector")
FIRST = ("Avery", "Sam", "Rio", "Kim", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie",
         "Alex", "Dana", "Quinn", "Robin", "Sasha", "Noor", "Mei", "Ravi", "Lena", "Omar",
         "Ines", "Tomas", "Yuki", "Priya", "Marek", "Elif", "Kofi", "Ana", "Lars", "Chloe")
LAST = ("Chen", "Patel", "Alvarez", "Novak", "Smith", "Garcia", "Müller", "Rossi", "Kowalski",
        "Nguyen", "Okafor", "Silva", "Dubois", "Tanaka", "Larsen", "Haddad", "Ivanova", "Byrne",
        "Moreau", "Schmidt", "Lopez", "Khan", "Weber", "Costa", "Jensen", "Ali", "Park", "Wood")
CO_HEAD = ("North", "Blue", "Fabri", "Contos", "Litware", "Tailspin", "Adventure", "Wide",
           "Alpine", "Coho", "Lucerne", "Margie", "Proseware", "Trey", "Woodgrove", "Fourth",
           "Graphic", "Humongous", "Wingtip", "Relecloud", "Southridge", "Datum", "Bellows",
           "Cascade")
CO_TAIL = ("wind", "yonder", "kam", "o", " Systems", " Labs", " Works", " Holdings", " Analytics",
           " Logistics", " Health", " Bank", " Media", " Energy", " Retail", " Group")
CHANNELS = ("call", "email", "linkedin", "sms", "meeting")
CHANNEL_P = (0.38, 0.38, 0.14, 0.07, 0.03)
# per channel: outcomes and probabilities
TOUCH_OUTCOMES: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "call": (("connected", "voicemail", "no_answer"), (0.22, 0.38, 0.40)),
    "email": (("replied", "no_answer", "bounced"), (0.15, 0.80, 0.05)),
    "linkedin": (("replied", "no_answer"), (0.20, 0.80)),
    "sms": (("replied", "no_answer"), (0.25, 0.75)),
    "meeting": (("connected",), (1.0,)),
}
SUCCESS = {"call": "connected", "email": "replied", "linkedin": "replied", "sms": "replied",
           "meeting": "connected"}
FAILURE = {"call": "voicemail", "email": "no_answer", "linkedin": "no_answer", "sms": "no_answer",
           "meeting": "no_answer"}
REJECT_REASONS = ("wrong_persona", "no_budget", "too_small", "wrong_industry", "competitor",
                  "duplicate", "bad_data")
REJECT_P = (0.28, 0.22, 0.18, 0.12, 0.05, 0.08, 0.07)
# disposition plans for routed MQLs
OUTCOMES = ("accepted", "rejected", "unresponsive", "deferred", "no_reason", "none")
OUTCOME_P = (0.55, 0.33, 0.03, 0.03, 0.01, 0.05)
WEEKDAY_HOURS = np.array([0.2, 0.15, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.6, 2.6, 3.0, 2.9,
                          2.4, 2.7, 2.9, 2.6, 2.1, 1.4, 1.0, 0.8, 0.7, 0.6, 0.45, 0.3])


@dataclass(frozen=True)
class Taxonomy:
    """The reason codes dispositions give (a policy's `sales_commits.disposition.reasons`):
    `rejected` drawn with `weights` (uniform when None); a lead closed after the whole
    cadence gets `unresponsive` (or a rejected reason when the policy has no such code)."""

    accepted: str = "accepted"
    rejected: tuple[str, ...] = REJECT_REASONS
    weights: tuple[float, ...] | None = REJECT_P
    unresponsive: str | None = "unresponsive"


@dataclass
class Leads:
    """Per-lead attributes the later stages need."""

    ids: list[str]
    t0: np.ndarray
    segment: np.ndarray  # index into SEGMENTS
    mql: np.ndarray  # bool: meets the MQL definition eventually
    disqualified: np.ndarray  # bool
    demo: np.ndarray  # bool
    t_mql: np.ndarray  # int64, when the MQL definition first holds (meaningful where mql)


def _seg_cumsum(gaps: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sums of GAPS restarting at each segment (segments of length COUNTS)."""
    cs = np.concatenate(([0], np.cumsum(gaps)))
    first = np.repeat(np.cumsum(counts) - counts, counts)
    out: np.ndarray = cs[1:] - cs[first]
    return out


def _arrivals(n: int, clock: Clock, start_idx: int, n_days: int, seed: int) -> np.ndarray:
    rng = rng_for(seed, "arrivals")
    days = np.arange(n_days)
    table_days = start_idx + days
    weekday = clock.weekday[table_days]
    w = np.where(clock.is_bday[table_days], 1.0, np.where(weekday < 5, 0.35, 0.0))
    w = np.where(weekday == 5, 0.12, np.where(weekday == 6, 0.10, w))
    w = w * (0.9 + 0.2 * days / max(1, n_days - 1))  # growth over the quarter
    open_days = np.flatnonzero(clock.is_bday[table_days])
    campaign = rng.choice(open_days, size=min(3, open_days.shape[0]), replace=False)
    w[campaign] *= 3.5  # campaign launches: surge days
    day = rng.choice(n_days, size=n, p=w / w.sum())
    weekend = clock.weekday[start_idx + day] >= 5
    hour = np.empty(n, dtype=np.int64)
    flat = np.sqrt(WEEKDAY_HOURS)
    busy = WEEKDAY_HOURS / WEEKDAY_HOURS.sum()
    hour[~weekend] = rng.choice(24, size=int((~weekend).sum()), p=busy)
    hour[weekend] = rng.choice(24, size=int(weekend.sum()), p=flat / flat.sum())
    local = clock.day_start_local(start_idx + day) + hour * HOUR_S + rng.integers(0, HOUR_S, size=n)
    t0: np.ndarray = np.sort(clock.to_utc(local))
    return t0


def make_leads(
    n: int,
    team: GenTeam,
    clock: Clock,
    start_idx: int,
    n_days: int,
    seed: int,
    *,
    id_prefix: str = "L-",
    taxonomy: Taxonomy = Taxonomy(),
) -> tuple[Leads, list[Batch]]:
    t0 = _arrivals(n, clock, start_idx, n_days, seed)
    width = max(6, len(str(n)))
    ids = [f"{id_prefix}{i + 1:0{width}d}" for i in range(n)]
    rng = rng_for(seed, "lead-attributes")
    segment = rng.choice(3, size=n, p=SEGMENT_P)
    demo = rng.random(n) < 0.08
    mql = np.where(demo, rng.random(n) < 0.9, rng.random(n) < 0.72)
    # why a non-MQL is not one: 0 no engagement, 1 low score, 2 low fit
    why_not = rng.choice(3, size=n, p=(0.15, 0.60, 0.25))
    tier_pick = rng.choice(3, size=n, p=(0.30, 0.40, 0.30))
    mql_score = np.choose(tier_pick, [rng.integers(80, 101, n), rng.integers(60, 80, n),
                                      rng.integers(50, 60, n)])
    score = np.where(mql, mql_score, np.where(why_not == 1, rng.integers(5, 50, n),
                                              rng.integers(20, 101, n)))
    fit = np.where(mql, rng.integers(70, 101, n), np.where(why_not == 2, rng.integers(20, 70, n),
                                                           rng.integers(40, 101, n)))
    missing = np.where(rng.random(n) < 0.03, rng.integers(0, len(REQUIRED), n), -1)
    disq_kind = np.where(rng.random(n) < 0.01, rng.integers(0, 2, n), -1)  # 0 email, 1 role
    missing_score = missing == REQUIRED.index("score")
    raiser = mql & ~missing_score & (rng.random(n) < 0.4)
    score0 = np.where(raiser, rng.integers(20, 50, n), score)
    demo_in_form = demo & (rng.random(n) < 0.5)
    n_co = max(50, n // 5)
    co_names = [f"{CO_HEAD[a]}{CO_TAIL[b]} {k}" if k else f"{CO_HEAD[a]}{CO_TAIL[b]}"
                for k, (a, b) in enumerate(zip(rng.integers(0, len(CO_HEAD), n_co).tolist(),
                                               rng.integers(0, len(CO_TAIL), n_co).tolist(),
                                               strict=True))]
    co_domain = [c.lower().replace(" ", "") + ".example" for c in co_names]
    company = rng.integers(0, n_co, n).tolist()
    first = rng.integers(0, len(FIRST), n).tolist()
    last = rng.integers(0, len(LAST), n).tolist()
    role = rng.integers(0, len(ROLES), n).tolist()
    source = rng.choice(len(SOURCES), size=n, p=SOURCE_P).tolist()
    region = rng.integers(0, len(REGIONS), n).tolist()
    industry = rng.integers(0, len(INDUSTRIES), n).tolist()

    upserts: list[str] = []
    seg_l, score0_l, fit_l = segment.tolist(), score0.tolist(), fit.tolist()
    miss_l, disq_l, form_l = missing.tolist(), disq_kind.tolist(), demo_in_form.tolist()
    values_of: list[dict[str, object]] = []
    for i in range(n):
        fn, ln = FIRST[first[i]], LAST[last[i]]
        domain = "competitor.example" if disq_l[i] == 0 else co_domain[company[i]]
        reg, country = REGIONS[region[i]]
        rec: dict[str, object] = {
            "lead_id": ids[i],
            "name": f"{fn} {ln}",
            "email": f"{fn.lower()}.{ln.lower()}{i % 97}@{domain}",
            "company": co_names[company[i]],
            "role": "student" if disq_l[i] == 1 else ROLES[role[i]],
            "source": SOURCES[source[i]],
            "score": score0_l[i],
            "fit": fit_l[i],
            "segment": SEGMENTS[seg_l[i]],
            "region": reg,
            "country": country,
            "industry": INDUSTRIES[industry[i]],
        }
        if form_l[i]:
            rec["demo_requested"] = True
        if miss_l[i] >= 0:
            field = REQUIRED[miss_l[i]]
            values_of.append({field: rec.pop(field)})
        else:
            values_of.append({})
        upserts.append(body(rec))
    batches = [Batch("lead.upserted", t0, upserts, may_arrive_late=False)]

    # -- engagements --------------------------------------------------------------------------
    rng = rng_for(seed, "engagement")
    n_eng = np.where(mql, 1 + rng.poisson(5.4, n),
                     np.where(why_not == 0, 0, 1 + rng.poisson(4.2, n)))
    n_eng = np.where(demo, np.maximum(n_eng, 1), n_eng)
    total = int(n_eng.sum())
    lead_of = np.repeat(np.arange(n), n_eng)
    first_gap = np.where(rng.random(n) < 0.55, rng.integers(5, 180, n),
                         rng.exponential(8 * HOUR_S, n).astype(np.int64) + 60)
    gaps = rng.exponential(30 * HOUR_S, total).astype(np.int64) + 30
    starts = np.cumsum(n_eng) - n_eng
    gaps[starts[n_eng > 0]] = first_gap[n_eng > 0]
    t_eng = t0[lead_of] + _seg_cumsum(gaps, n_eng)
    activity = rng.choice(len(ACTIVITIES), size=total, p=ACTIVITY_P).tolist()
    is_first = np.zeros(total, dtype=bool)
    is_first[starts[n_eng > 0]] = True
    demo_eng = (is_first & demo[lead_of]).tolist()
    lead_l = lead_of.tolist()
    eng_bodies = [
        f'"lead_id":"{ids[lead]}","activity":"demo_request"}}' if d
        else f'"lead_id":"{ids[lead]}","activity":"{ACTIVITIES[a]}"}}'
        for lead, a, d in zip(lead_l, activity, demo_eng, strict=True)
    ]
    batches.append(Batch("lead.engaged", t_eng, eng_bodies))
    t_first_eng = np.full(n, np.iinfo(np.int64).max // 4, dtype=np.int64)
    t_first_eng[n_eng > 0] = t_eng[starts[n_eng > 0]]

    # -- later upserts (score updates; sometimes filling the missing field) -------------------
    rng = rng_for(seed, "upserts")
    n_extra = rng.choice(3, size=n, p=(0.35, 0.45, 0.20))
    n_extra = np.where(raiser | missing_score, np.maximum(n_extra, 1), n_extra)
    total = int(n_extra.sum())
    lead_of = np.repeat(np.arange(n), n_extra)
    t_up = t0[lead_of] + _seg_cumsum(rng.exponential(20 * HOUR_S, total).astype(np.int64) + 60,
                                     n_extra)
    k_of = np.arange(total) - np.repeat(np.cumsum(n_extra) - n_extra, n_extra)
    is_last = k_of == n_extra[lead_of] - 1
    jitter = rng.integers(-5, 6, total)
    lo = lead_of
    new_score = np.where(
        raiser[lo],
        np.where(is_last, score[lo], np.clip(score0[lo] + rng.integers(0, 10, total), 0, 49)),
        np.where(mql[lo], np.clip(score[lo] + jitter, 50, 100),
                 np.where(why_not[lo] == 1, np.clip(score[lo] + jitter, 0, 49),
                          np.clip(score[lo] + jitter, 0, 100))),
    )
    fill = (k_of == 0) & (rng.random(total) < 0.5)
    up_bodies: list[str] = []
    for lead, s, f in zip(lo.tolist(), new_score.tolist(), fill.tolist(), strict=True):
        rec = {"lead_id": ids[lead], "score": s}
        if f and values_of[lead]:
            rec.update(values_of[lead])
        up_bodies.append(body(rec))
    batches.append(Batch("lead.upserted", t_up, up_bodies))
    t_score = t0.copy()
    last_idx = np.flatnonzero(is_last)
    raised = raiser[lo[last_idx]]
    t_score[lo[last_idx][raised]] = t_up[last_idx][raised]
    first_idx = np.flatnonzero(k_of == 0)
    scored = missing_score[lo[first_idx]]
    t_score[lo[first_idx][scored]] = t_up[first_idx][scored]
    t_mql = np.maximum(t_score, t_first_eng)

    leads = Leads(ids, t0, segment, mql, disq_kind >= 0, demo, t_mql)
    batches += _work(leads, team, clock, seed, taxonomy)
    return leads, batches


def _work(
    leads: Leads, team: GenTeam, clock: Clock, seed: int, taxonomy: Taxonomy
) -> list[Batch]:
    """Touches and dispositions of routed MQLs, by a rep of the lead's pool, in business hours."""
    rng = rng_for(seed, "touches")
    routed = np.flatnonzero(leads.mql & ~leads.disqualified)
    m = routed.shape[0]
    plan = rng.choice(len(OUTCOMES), size=m, p=OUTCOME_P)
    name = np.array(OUTCOMES)[plan]
    name_l: list[str] = name.tolist()
    n_touch = np.select(
        [name == "accepted", name == "rejected", name == "unresponsive", name == "none"],
        [1 + rng.binomial(3, 0.35, m), 1 + rng.binomial(4, 0.3, m), 6 + rng.binomial(2, 0.4, m),
         rng.integers(1, 9, m)],
        1 + rng.binomial(3, 0.3, m),
    )
    untouched = (rng.random(m) < 0.03) & np.isin(name, ["rejected", "none"])
    n_touch = np.where(untouched, 0, n_touch)
    n_ch = rng.choice([1, 2, 3], size=m, p=(0.3, 0.5, 0.2))
    n_ch = np.where(name == "unresponsive", np.maximum(n_ch, 2), n_ch)
    # a random channel set per lead (Gumbel top-k: weighted sampling without replacement)
    keys = np.log(np.array(CHANNEL_P)) - np.log(-np.log(rng.random((m, len(CHANNELS)))))
    ch_set = np.argsort(-keys, axis=1)
    everyone = [r.id for r in team.reps]
    pools = [  # a roster without these pools: any rep touches
        [r.id for r in team.by_pool("enterprise")] or everyone,
        [r.id for r in team.by_pool("commercial")] or everyone,
    ]
    pool_of = np.where(leads.segment[routed] == 0, 0, 1)
    rep_pick = rng.random(m)
    rep_l = [pools[p][int(u * len(pools[p]))] for p, u in zip(pool_of.tolist(), rep_pick.tolist(),
                                                               strict=True)]
    median_gap = np.where(name == "unresponsive", 40 * HOUR_S, 20 * HOUR_S)

    times: list[np.ndarray] = []
    bodies: list[str] = []
    prev = leads.t_mql[routed].copy()
    last_touch = prev.copy()
    ids = leads.ids
    for k in range(int(n_touch.max(initial=0))):
        sel = np.flatnonzero(n_touch > k)
        if k == 0:
            delay = np.minimum(rng.lognormal(np.log(40 * MIN_S), 1.4, sel.shape[0]), 10 * DAY_S)
        else:
            delay = rng.lognormal(np.log(median_gap[sel]), 0.7)
        t_k = clock.snap_business(prev[sel] + delay.astype(np.int64) + 1, rng)
        prev[sel] = t_k
        last_touch[sel] = t_k
        times.append(t_k)
        pick = np.where(k < n_ch[sel], k, rng.integers(0, n_ch[sel]))
        channel = ch_set[sel, pick]
        u = rng.random(sel.shape[0])
        final = n_touch[sel] == k + 1
        for j, lead, ch, uu, fin in zip(sel.tolist(), routed[sel].tolist(), channel.tolist(),
                                        u.tolist(), final.tolist(), strict=True):
            cname = CHANNELS[ch]
            plan_name = name_l[j]
            if plan_name == "accepted" and fin:
                outcome = SUCCESS[cname]
            elif plan_name == "unresponsive":
                outcome = FAILURE[cname] if uu < 0.7 else "no_answer"
            else:
                outs, probs = TOUCH_OUTCOMES[cname]
                acc = 0.0
                outcome = outs[-1]
                for o, p in zip(outs, probs, strict=True):
                    acc += p
                    if uu < acc:
                        outcome = o
                        break
            bodies.append(f'"lead_id":"{ids[lead]}","rep_id":"{rep_l[j]}","channel":"{cname}",'
                          f'"outcome":"{outcome}"}}')
    out = [Batch("lead.touched", np.concatenate(times) if times else np.empty(0, np.int64), bodies)]

    # -- dispositions -------------------------------------------------------------------------
    rng = rng_for(seed, "dispositions")
    sel = np.flatnonzero(name != "none")
    median = np.where(name[sel] == "unresponsive", 24 * HOUR_S, 4 * HOUR_S)
    t_disp = clock.snap_business(
        last_touch[sel] + rng.lognormal(np.log(median), 0.9).astype(np.int64) + 1, rng
    )
    rejected = taxonomy.rejected
    reasons = rng.choice(len(rejected), size=sel.shape[0], p=taxonomy.weights).tolist()
    defer_days = rng.integers(14, 61, sel.shape[0])
    defer_local = clock.day_start_local(
        np.clip((clock.local(t_disp) - clock.epoch0) // DAY_S + defer_days, 0, None)
    ) + 9 * HOUR_S
    defer_text = clock.format(clock.to_utc(defer_local))
    disp_bodies: list[str] = []
    for n_i, j in enumerate(sel.tolist()):
        head = f'"lead_id":"{ids[routed[j]]}","rep_id":"{rep_l[j]}"'
        plan_name = name_l[j]
        if plan_name == "accepted":
            tail = f'"outcome":"accepted","reason":"{taxonomy.accepted}"}}'
        elif plan_name == "rejected" or (
            plan_name == "unresponsive" and taxonomy.unresponsive is None
        ):
            tail = f'"outcome":"rejected","reason":"{rejected[reasons[n_i]]}"}}'
        elif plan_name == "unresponsive":
            tail = f'"outcome":"rejected","reason":"{taxonomy.unresponsive}"}}'
        elif plan_name == "deferred":
            tail = f'"outcome":"deferred","defer_until":"{defer_text[n_i]}"}}'
        else:  # no_reason: refused by the policy
            tail = '"outcome":"rejected"}'
        disp_bodies.append(head + "," + tail)
    out.append(Batch("lead.dispositioned", t_disp, disp_bodies))
    took = np.array([name_l[j] == "accepted" for j in sel.tolist()], dtype=bool)
    accepted = [ids[routed[j]] for j in sel[took].tolist()]
    out.append(stage_batch(accepted, t_disp[took], clock, seed))
    return out
