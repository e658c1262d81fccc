"""Read tokens on every view of the worker except `/health`: an aiohttp middleware.

A request is let through with `Authorization: Bearer TOKEN`, or the cookie that
`?token=TOKEN` sets (once: the page then redirects to its address without the token, so
it is not left in the address bar or the history). Anything else gets 401. Tokens are
compared in constant time.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

COOKIE = "leadflow_token"
OPEN_PATHS = frozenset({"/health"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Tokens:
    def __init__(self, tokens: Iterable[str]) -> None:
        self._tokens = [t.encode() for t in tokens]
        if not self._tokens:
            raise ValueError("at least one read token is needed")

    def valid(self, given: str | None) -> bool:
        if not given:
            return False
        raw = given.encode()
        ok = False
        for token in self._tokens:  # no early exit: the time does not tell which matched
            ok |= hmac.compare_digest(raw, token)
        return ok


def _refused() -> web.Response:
    return web.json_response(
        {"error": "a read token is needed: `Authorization: Bearer TOKEN`, or open the page "
         "once with ?token=TOKEN (see docs/dashboard.md)"},
        status=401,
        headers={"WWW-Authenticate": 'Bearer realm="leadflow"'},
    )  # fmt: skip


def middleware(tokens: Tokens) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    @web.middleware
    async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in OPEN_PATHS:
            return await handler(request)
        given = request.query.get("token")
        if given is not None:
            if not tokens.valid(given):
                return _refused()
            if request.path == "/" and request.method == "GET":
                query = request.rel_url.query.copy()
                del query["token"]
                response: web.StreamResponse = web.HTTPSeeOther(
                    location=str(request.rel_url.with_query(query))
                )
            else:
                response = await handler(request)
            if not response.prepared:
                response.set_cookie(
                    COOKIE, given, httponly=True, samesite="Strict", path="/",
                    max_age=30 * 86400,
                )  # fmt: skip
            return response
        header = request.headers.get("Authorization", "")
        scheme, _, credential = header.partition(" ")
        if scheme.lower() == "bearer" and tokens.valid(credential.strip()):
            return await handler(request)
        if tokens.valid(request.cookies.get(COOKIE)):
            return await handler(request)
        return _refused()

    return require_token
