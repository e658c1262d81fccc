"""Figures for the report: matplotlib without pyplot (no global state), rendered to SVG.

Each figure ends up as an ``<img>`` with an SVG data URI and an alt text, so the page is
one self-contained file and every picture has words for a screen reader. Output is
deterministic (fixed SVG ids, no date in the metadata): the same result gives the same page.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

import matplotlib
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999")
OK = "#2E8B57"
BAD = "#C0392B"
SURGE = "#F4A261"
INK = "#222222"

_RC: dict[Any, Any] = {
    "svg.hashsalt": "leadflow-report",
    "svg.fonttype": "path",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e3e3e3",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "legend.frameon": False,
    "legend.fontsize": 9,
}

# Tick positions for durations in calendar minutes, with their names.
DURATION_TICKS = (
    (1, "1 min"), (5, "5 min"), (15, "15 min"), (60, "1 h"), (240, "4 h"),
    (1440, "1 d"), (10080, "1 w"), (40320, "4 w"),
)
SPARSE_DURATION_TICKS = (
    (1, "1 min"), (15, "15 min"), (60, "1 h"), (480, "8 h"), (2880, "2 d"), (10080, "1 w"),
    (40320, "4 w"),
)


@dataclass(frozen=True)
class Plot:
    """A rendered figure: what it shows (alt text) and the SVG bytes."""

    key: str
    alt: str
    svg: bytes

    def img(self) -> str:
        data = base64.b64encode(self.svg).decode("ascii")
        return (
            f'<img class="plot" data-plot="{html.escape(self.key)}" '
            f'alt="{html.escape(self.alt)}" src="data:image/svg+xml;base64,{data}">'
        )


def render(key: str, alt: str, width: float, height: float,
           draw: Callable[[Figure], None]) -> Plot:
    """Draw into a fresh figure of ``width`` x ``height`` inches and render it as SVG."""
    with _style():
        fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
        draw(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return Plot(key, alt, buf.getvalue())


@contextmanager
def _style() -> Iterator[None]:
    with matplotlib.rc_context(_RC):
        yield


def colours(names: Sequence[str]) -> dict[str, str]:
    """A stable colour per name, in the order given."""
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def percent_axis(ax: Axes, axis: str = "y", top: float = 100.0) -> None:
    """An axis of shares drawn in percent, 0 to ``top``."""
    fmt = FuncFormatter(lambda v, _pos: f"{v:.0f}%")
    if axis == "y":
        ax.set_ylim(0, top)
        ax.yaxis.set_major_formatter(fmt)
    else:
        ax.set_xlim(0, top)
        ax.xaxis.set_major_formatter(fmt)


def duration_axis(ax: Axes, low: float, high: float, axis: str = "y",
                  linthresh: float | None = None, sparse: bool = False) -> None:
    """A log axis of calendar minutes with ticks named '15 min', '4 h', '1 d'.

    With ``linthresh`` the axis is symlog (linear below it), so that it can start at 0;
    ``sparse`` keeps every other tick for narrow panels.
    """
    named = SPARSE_DURATION_TICKS if sparse else DURATION_TICKS
    ticks = [(v, s) for v, s in ((0.0, "0"), *named)
             if low <= v <= high and (linthresh is None or v == 0 or v >= linthresh)]
    scale, limits = (ax.set_yscale, ax.set_ylim) if axis == "y" else (ax.set_xscale, ax.set_xlim)
    if linthresh is None:
        scale("log")
    else:
        scale("symlog", linthresh=linthresh)
    limits(low, high)
    names = dict(ticks)
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(FixedLocator([v for v, _ in ticks]))
    target.set_major_formatter(FuncFormatter(lambda v, _pos: names.get(v, "")))
    target.set_minor_locator(NullLocator())


def share_log_axis(ax: Axes, low: float) -> None:
    """A log y axis of shares in percent from ``low`` (a share) up to 100%."""
    ax.set_yscale("log")
    bottom = max(min(low, 1.0) * 100 / 1.5, 1e-3)
    ax.set_ylim(bottom, 130)
    ticks = [v for v in (0.01, 0.1, 0.5, 1, 2, 5, 10, 20, 50, 100) if v >= bottom]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}%"))
    ax.yaxis.set_minor_locator(NullLocator())


def date_axis(ax: Axes, tz: tzinfo | None) -> None:
    """A time axis (matplotlib date numbers) in the scenario's own UTC offset."""
    locator = mdates.AutoDateLocator(tz=tz, maxticks=10)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(  # type: ignore[no-untyped-call]
        locator, tz=tz,
        formats=["%Y", "%b", "%b %d", "%H:%M", "%H:%M", "%S.%f"],
        offset_formats=["", "%Y", "%Y", "%Y-%m-%d", "%Y-%m-%d", "%Y-%m-%d %H:%M"],
    )
    ax.xaxis.set_major_formatter(formatter)


def datenums(times: Sequence[datetime]) -> list[float]:
    """Times as matplotlib date numbers (days since the epoch)."""
    return [float(mdates.date2num(t)) for t in times]  # type: ignore[no-untyped-call]


def offset_name(t: datetime) -> str:
    """'UTC-05:00' for a time's offset (the report's time axis label)."""
    z = t.strftime("%z")
    return f"UTC{z[:3]}:{z[3:5]}" if z else "local time"
