"""Render a scenario's HTML report and check it in a real headless browser.

    python scripts/screenshot_report.py                       # the reference scenario
    python scripts/screenshot_report.py --scenario S.yaml --png /tmp/r.png --summary /tmp/s.json
    python scripts/screenshot_report.py --command compare --replications 2 \
        --scenario examples/scenario.yaml --scenario examples/scenario-no-surge.yaml
    python scripts/screenshot_report.py --command staff --scenario S.yaml

Steps: make sure Debian Chromium is there (apt-get installs it when missing and we are
root; --no-install forbids that), run `leadflow COMMAND SCENARIO... --html HTML`
(COMMAND: simulate, the default, staff or compare), load the
page in headless Chromium to read, from the browser itself, whether every plot image
decoded (naturalWidth > 0) and where it sits, then screenshot the whole page and check the
PNG: not blank, and every plot's region has ink in several colours. Exits 1 with the
problems when a check fails. Writes docs/img/report.png by default (staff.png and
compare.png for those commands).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
WIDTH = 1400
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--force-device-scale-factor=1",
]
# Runs in the browser after load: what each plot image decoded to, and the page height.
PROBE = """<script>
window.addEventListener("load", () => {
  const images = [...document.querySelectorAll("img")].map((img) => {
    const r = img.getBoundingClientRect();
    return {key: img.dataset.plot || "", alt: img.alt, complete: img.complete,
            natural_width: img.naturalWidth, natural_height: img.naturalHeight,
            x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height};
  });
  // tables wider than their box (cut off on a screenshot or a printout): first header cell
  const clipped = [...document.querySelectorAll(".scroll")]
    .filter((box) => box.scrollWidth > box.clientWidth + 1)
    .map((box) => ((box.querySelector("caption") || box.querySelector("th") || {}).textContent
                   || "").trim());
  const out = {height: document.documentElement.scrollHeight, images: images,
               clipped_tables: clipped};
  const pre = document.createElement("pre");
  pre.id = "leadflow-probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""
DEFAULTS = {  # the scenarios each command's page is made of when none is given
    "simulate": ["examples/scenario.yaml"],
    "staff": ["examples/scenario.yaml"],
    "compare": ["examples/scenario.yaml", "examples/scenario-no-surge.yaml"],
}
MIN_INK = 0.02  # share of a plot's pixels that must differ from white
MIN_COLOURS = 4  # distinct colours (ink, at least) in a plot's region
# Share of a plot's pixels in colour (not grey): the data, since axes and text are grey.
MIN_DATA = 0.003


def ensure_chromium(install: bool) -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if not install or os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(f"{CHROMIUM} is missing: install Debian's chromium "
                 "(apt-get update && apt-get install -y chromium), or run this as root")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
    return CHROMIUM


def simulate(command: str, scenarios: list[Path], html_path: Path,
             replications: int | None) -> None:
    cmd = [sys.executable, "-m", "leadflow", command, *map(str, scenarios),
           "--html", str(html_path), "--no-progress"]
    if replications:
        cmd += ["--replications", str(replications)]
    done = subprocess.run(cmd, check=False, cwd=ROOT, stdout=subprocess.DEVNULL)
    # `staff` exits 1 when no headcount meets the targets: its page says so, and is checked.
    if done.returncode not in ((0, 1) if command == "staff" else (0,)):
        sys.exit(f"leadflow {command} failed with exit code {done.returncode}")


def chromium(binary: str, *args: str, timeout_s: float = 180) -> str:
    with tempfile.TemporaryDirectory(prefix="leadflow-chromium-") as profile:
        done = subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout_s, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"chromium failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def probe(binary: str, page: Path) -> dict[str, Any]:
    """Load a copy of the page with the probe script and read what the browser measured."""
    text = page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>", 1)
    with tempfile.TemporaryDirectory(prefix="leadflow-probe-") as tmp:
        copy = Path(tmp) / "probe.html"
        copy.write_text(text, encoding="utf-8")
        dom = chromium(binary, f"--window-size={WIDTH},1000", "--virtual-time-budget=10000",
                       "--dump-dom", copy.as_uri())
    found = re.search(r'<pre id="leadflow-probe">(.*?)</pre>', dom, re.S)
    if not found:
        raise RuntimeError("the probe script did not run (no result in the dumped DOM)")
    result: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return result


def screenshot(binary: str, page: Path, png: Path, height: int) -> None:
    png.parent.mkdir(parents=True, exist_ok=True)
    chromium(binary, f"--window-size={WIDTH},{height}", f"--screenshot={png}", page.as_uri())


def check(png: Path, measured: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """Problems found in the screenshot, and per plot region: ink share and colours."""
    problems = []
    pixels = np.asarray(Image.open(png).convert("RGB"))
    flat = pixels.reshape(-1, 3)
    if len(np.unique(flat[:: max(1, len(flat) // 200_000)], axis=0)) < 8:
        problems.append(f"{png}: the screenshot is (nearly) blank")
    regions = []
    for image in measured["images"]:
        if not image["complete"] or image["natural_width"] <= 0:
            problems.append(f"plot {image['key']!r} did not decode in the browser")
        x0, y0 = int(image["x"]), int(image["y"])
        crop = pixels[y0 : y0 + int(image["h"]), x0 : x0 + int(image["w"])].reshape(-1, 3)
        ink = float(np.mean(np.any(crop < 235, axis=1))) if crop.size else 0.0
        colours = len(np.unique(crop // 16, axis=0)) if crop.size else 0
        spread = crop.max(axis=1).astype(int) - crop.min(axis=1) if crop.size else crop
        data = float(np.mean(spread > 60)) if crop.size else 0.0
        regions.append({"key": image["key"], "ink": round(ink, 4), "data": round(data, 4),
                        "colours": colours, "box": [x0, y0, int(image["w"]), int(image["h"])]})
        if ink < MIN_INK or colours < MIN_COLOURS or data < MIN_DATA:
            problems.append(f"plot {image['key']!r} looks empty in the screenshot (ink "
                            f"{ink:.3f}, coloured {data:.4f}, {colours} colours)")
    return problems, regions


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--command", choices=sorted(DEFAULTS), default="simulate",
                    help="the leadflow command whose page to check (default: simulate)")
    ap.add_argument("--scenario", type=Path, action="append",
                    help="relative paths are from the repository root; repeat for compare "
                    "(default: the reference scenario, and its no-surge twin for compare)")
    ap.add_argument("--html", type=Path,
                    help="default: out/report.html (simulate), out/staff.html, out/compare.html")
    ap.add_argument("--png", type=Path,
                    help="default: docs/img/report.png (simulate), staff.png, compare.png")
    ap.add_argument("--replications", type=int, help="override the scenario's replications")
    ap.add_argument("--no-simulate", action="store_true", help="use the existing --html page")
    ap.add_argument("--no-install", action="store_true", help="never apt-get chromium")
    ap.add_argument("--summary", type=Path, help="write what was measured here as JSON")
    args = ap.parse_args()

    name = "report" if args.command == "simulate" else args.command
    args.png = args.png or ROOT / "docs" / "img" / f"{name}.png"
    args.html = args.html or ROOT / "out" / f"{name}.html"
    binary = ensure_chromium(install=not args.no_install)
    if not args.no_simulate:
        scenarios = args.scenario or [Path(p) for p in DEFAULTS[args.command]]
        simulate(args.command, scenarios, args.html, args.replications)
    measured = probe(binary, args.html.resolve())
    screenshot(binary, args.html.resolve(), args.png, int(measured["height"]))
    problems, regions = check(args.png, measured)
    if not problems:  # a 256-colour palette: a third of the size, same look
        rgb = Image.open(args.png).convert("RGB")
        rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=256).save(args.png, optimize=True)
    summary = {"png": str(args.png), "height": measured["height"], "plots": regions,
               "images": measured["images"], "problems": problems}
    if args.summary:
        args.summary.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    for r in regions:
        print(f"  {r['key']:<14} ink {r['ink']:.1%}, in colour {r['data']:.2%}, "
              f"{r['colours']} colours, box {r['box']}")
    for p in problems:
        print(f"PROBLEM: {p}", file=sys.stderr)
    print(f"{args.png}: {len(regions)} plots, page height {measured['height']} px, "
          + ("OK" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
