"""Drive Debian's headless Chromium over the Chrome DevTools protocol (aiohttp's WebSocket
client; no npm package at test time): open a page, evaluate JavaScript in it, take a
screenshot. `async with Chromium(tmp) as browser: page = await browser.page(url)`."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--force-device-scale-factor=1", "--remote-debugging-port=0",
    "--remote-allow-origins=*", "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
]  # fmt: skip


class PageError(RuntimeError):
    pass


class Page:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            future = self.pending.pop(data.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(data)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        i = next(self.ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[i] = future
        await self.ws.send_str(json.dumps({"id": i, "method": method, "params": params}))
        reply = await asyncio.wait_for(future, 30)
        if "error" in reply:
            raise PageError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    async def js(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = await self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise PageError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def goto(self, url: str, deadline_s: float = 20.0) -> None:
        await self.call("Page.navigate", url=url)
        end = time.monotonic() + deadline_s
        await asyncio.sleep(0.05)  # navigation starts (polling, not waiting for a result)
        while await self.js("document.readyState") != "complete":
            if time.monotonic() > end:
                raise PageError(f"{url} did not load within {deadline_s}s")
            await asyncio.sleep(0.05)

    async def until(self, expression: str, deadline_s: float, what: str) -> Any:
        """Poll a JavaScript expression until it is truthy; its value."""
        end = time.monotonic() + deadline_s
        while True:
            value = await self.js(expression)
            if value:
                return value
            if time.monotonic() > end:
                raise AssertionError(f"{what}: not within {deadline_s}s (last: {value!r})")
            await asyncio.sleep(0.05)

    async def screenshot(self, path: Path, width: int, height: int | None = None) -> None:
        await self.call(
            "Emulation.setDeviceMetricsOverride", width=width, height=height or 900,
            deviceScaleFactor=1, mobile=False,
        )  # fmt: skip
        if height is None:
            height = int(await self.js("document.documentElement.scrollHeight"))
            await self.call(
                "Emulation.setDeviceMetricsOverride", width=width, height=height,
                deviceScaleFactor=1, mobile=False,
            )  # fmt: skip
        await asyncio.sleep(0.3)  # the page re-lays out and redraws its charts
        await self.js("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        shot = await self.call("Page.captureScreenshot", format="png")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))


class Chromium:
    def __init__(self, profile: Path) -> None:
        self.profile = profile
        self.proc: subprocess.Popen[bytes] | None = None
        self.session: aiohttp.ClientSession | None = None
        self.pages: list[Page] = []

    async def __aenter__(self) -> Chromium:
        self.profile.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        port_file = self.profile / "DevToolsActivePort"
        end = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > end or self.proc.poll() is not None:
                raise RuntimeError("chromium did not open its DevTools port")
            await asyncio.sleep(0.05)
        self.port = int(port_file.read_text().split()[0])
        self.session = aiohttp.ClientSession()
        return self

    async def page(self, width: int = 1400, height: int = 900) -> Page:
        assert self.session is not None
        base = f"http://127.0.0.1:{self.port}"
        async with self.session.put(f"{base}/json/new?about:blank") as resp:
            target = await resp.json()
        ws = await self.session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
        page = Page(ws)
        self.pages.append(page)
        await page.call("Page.enable")
        await page.call("Runtime.enable")
        await page.call(
            "Emulation.setDeviceMetricsOverride", width=width, height=height,
            deviceScaleFactor=1, mobile=False,
        )  # fmt: skip
        return page

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for page in self.pages:
            page.reader.cancel()
            await page.ws.close()
        if self.session is not None:
            await self.session.close()
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
