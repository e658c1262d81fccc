"""The review pack's figure: every commitment's weekly value against its target (the
simulator report's figure helpers and palette)."""

from __future__ import annotations

import math
from typing import Any

from matplotlib.figure import Figure

from simulator.report.figure import BAD, INK, OK, PALETTE, render


def trend_plot(pack: dict[str, Any]) -> Any:
    rows = [b for b in pack["commitments"] if any(s["actual"] is not None for s in b["series"])]
    if not rows:
        return None
    cols = 4
    nrows = math.ceil(len(rows) / cols)

    def draw(fig: Figure) -> None:
        axes = fig.subplots(nrows, cols, squeeze=False)
        for k, ax in enumerate(axes.flat):
            if k >= len(rows):
                ax.set_visible(False)
                continue
            b = rows[k]
            scale = 1.0 if b["unit"] == "count" else 100.0
            xs = list(range(len(b["series"])))
            ys = [math.nan if s["actual"] is None else s["actual"] * scale for s in b["series"]]
            ax.plot(xs, ys, color=PALETTE[0], marker="o", markersize=3, linewidth=1.5)
            ax.axhline(b["target"] * scale, color=INK, linestyle="--", linewidth=1)
            for x, y in zip(xs, ys, strict=True):
                if not math.isnan(y):
                    good = y >= b["target"] * scale - 1e-9
                    ax.plot([x], [y], marker="o", markersize=4, color=OK if good else BAD)
            ax.set_title(b["commitment"], fontsize=9)
            ax.set_xticks(xs[:: max(1, len(xs) // 4)])
            ax.set_xticklabels([b["series"][i]["period"][5:] for i in xs[:: max(1, len(xs) // 4)]],
                               fontsize=7)
            if b["unit"] != "count":
                ax.set_ylim(0, 105)
                ax.set_ylabel("%", fontsize=8)
            else:
                ax.set_ylim(bottom=0)
                ax.set_ylabel("MQLs", fontsize=8)

    alt = ("Weekly value of each commitment over the weeks used (dots: green met, red "
           "missed) against its target (dashed line)")
    return render("trends", alt, 11.5, 2.3 * nrows, draw)
