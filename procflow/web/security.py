"""Request hardening: the :class:`Guard` middleware and the :class:`LoginLimiter`."""

import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi.responses import JSONResponse

from procflow.web.deps import LANG_COOKIE

MiB = 1024 * 1024
FORM_LIMIT = 1 * MiB
LOGIN_FAILURES = 5
LOGIN_WINDOW = 15 * 60
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


class LoginLimiter:
    """At most :data:`LOGIN_FAILURES` failed logins per user name and address per window."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] < time.monotonic() - LOGIN_WINDOW:
            times.popleft()
        return times

    def blocked(self, key: tuple[str, str]) -> bool:
        with self._lock:
            return len(self._recent(key)) >= LOGIN_FAILURES

    def failed(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._recent(key).append(time.monotonic())

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.pop(key, None)


Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
                   Awaitable[None]]


class Guard:
    """ASGI middleware: security headers, the language cookie, and a body cap on forms."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        length = headers.get("content-length", "")
        if (not path.endswith("/upload") and length.isdigit() and int(length) > FORM_LIMIT):
            response = JSONResponse({"error": {"code": 413, "message": "request too large."}},
                                    status_code=413)
            await response(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        lang = re.search(r"(?:^|&)lang=(id|en)(?:&|$)", query)
        report = path.endswith("/report.html")

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                extra = [(b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"same-origin"),
                         (b"x-frame-options", b"DENY"),
                         (b"content-security-policy", (REPORT_CSP if report else CSP).encode())]
                if lang:
                    extra.append((b"set-cookie", f"{LANG_COOKIE}={lang.group(1)}; Path=/; "
                                  "Max-Age=31536000; SameSite=Lax".encode()))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
