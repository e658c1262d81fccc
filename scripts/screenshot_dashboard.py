"""Screenshots of a running dashboard, live and in TV mode, in headless Chromium.

    bash scripts/demo.sh            # in a terminal: it prints the URL and token, and waits
    python scripts/screenshot_dashboard.py --url http://127.0.0.1:16066 --token TOKEN

Writes docs/img/dashboard-live.png (the whole page, 1400 px wide) and
docs/img/dashboard-tv.png (1920x1080, on the rep board). The browser is driven over the
DevTools protocol (tests/chromium.py).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.chromium import Chromium  # noqa: E402


async def shoot(url: str, token: str, out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="leadflow-shot-") as tmp:
        async with Chromium(Path(tmp) / "profile") as browser:
            page = await browser.page(1400, 1000)
            await page.goto(f"{url}/?token={token}")
            await page.until("!!document.querySelector('#conn.up')", 15, "the page live")
            await page.screenshot(out / "dashboard-live.png", 1400)
            tv = await browser.page(1920, 1080)
            await tv.goto(f"{url}/?tv=1&rotate=2")
            await tv.until("document.body.dataset.shown === 'board'", 40, "TV on the board")
            await tv.screenshot(out / "dashboard-tv.png", 1920, 1080)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="the worker, e.g. http://127.0.0.1:16066")
    ap.add_argument("--token", required=True, help="a read token of the worker")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = ap.parse_args()
    asyncio.run(shoot(args.url.rstrip("/"), args.token, args.out))
    print(f"{args.out}/dashboard-live.png, {args.out}/dashboard-tv.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
