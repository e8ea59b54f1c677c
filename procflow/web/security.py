"""Request hardening: the :class:`Guard` middleware and the :class:`LoginLimiter`."""

import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request

from procflow.web.deps import LANG_COOKIE, error_response
from procflow.web.limits import FORM_LIMIT, Body, BodyLimits, BodyRefused, MiB

__all__ = ["FORM_LIMIT", "Guard", "LoginLimiter", "MiB"]

LOGIN_FAILURES = 5  # per user name and address
ADDRESS_FAILURES = 20  # per address, whatever the names
LOGIN_WINDOW = 15 * 60
KEYS_KEPT = 10_000  # past this many counters, the expired ones are dropped
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


class LoginLimiter:
    """Failed sign-ins: at most :data:`LOGIN_FAILURES` per user name and address, and at most
    :data:`ADDRESS_FAILURES` per address across names, in :data:`LOGIN_WINDOW` seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, ...], deque[float]] = {}

    def _recent(self, key: tuple[str, ...]) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] < time.monotonic() - LOGIN_WINDOW:
            times.popleft()
        return times

    def _prune(self) -> None:
        if len(self._failures) > KEYS_KEPT:
            for key in [k for k in self._failures if not self._recent(k)]:
                del self._failures[key]

    def blocked(self, name: str, address: str) -> bool:
        """Whether sign-ins as ``name`` (a name key) from ``address`` are refused for now."""
        with self._lock:
            return (len(self._recent(("name", name, address))) >= LOGIN_FAILURES
                    or len(self._recent(("address", address))) >= ADDRESS_FAILURES)

    def failed(self, name: str, address: str) -> None:
        with self._lock:
            self._prune()
            self._recent(("name", name, address)).append(time.monotonic())
            self._recent(("address", address)).append(time.monotonic())

    def succeeded(self, name: str, address: str) -> None:
        """Forget the name's failures from the address (the address's own count stays)."""
        with self._lock:
            self._failures.pop(("name", name, address), None)


Scope = MutableMapping[str, Any]
Message = dict[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
                   Awaitable[None]]


class Guard:
    """ASGI middleware: security headers, the language cookie, and the request body's cap,
    stall time and multipart completeness (:class:`~procflow.web.limits.Body`). A response
    sent before the body was read to its end closes the connection."""

    def __init__(self, app: ASGIApp, limits: BodyLimits | None = None):
        self.app = app
        self.limits = limits or BodyLimits()

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        cap, too_large = self.limits.cap(path)
        body = Body(receive, Headers(scope=scope), cap=cap, too_large=too_large,
                    stall=self.limits.stall)
        query = scope.get("query_string", b"").decode("latin-1")
        lang = re.search(r"(?:^|&)lang=(id|en)(?:&|$)", query)
        report = path.endswith("/report.html")
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                extra = [(b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"same-origin"),
                         (b"x-frame-options", b"DENY"),
                         (b"content-security-policy", (REPORT_CSP if report else CSP).encode())]
                if lang:
                    extra.append((b"set-cookie", f"{LANG_COOKIE}={lang.group(1)}; Path=/; "
                                  "Max-Age=31536000; SameSite=Lax".encode()))
                if not body.done:
                    extra.append((b"connection", b"close"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        if body.over_cap:
            await refuse(scope, receive, send_with_headers, BodyRefused(413, too_large))
            return
        try:
            await self.app(scope, body.receive, send_with_headers)
        except BodyRefused as err:
            if started:
                raise
            await refuse(scope, receive, send_with_headers, err)


async def refuse(scope: Scope, receive: Callable[[], Awaitable[Any]],
                 send: Callable[[Any], Awaitable[None]], err: BodyRefused) -> None:
    """Answer a refused body in the app's error shape (JSON for the API, else a page)."""
    response = error_response(Request(scope, receive), err.status_code, str(err.detail))
    await response(scope, receive, send)
