"""Serving the app with uvicorn, with the connection time-outs it needs on an open network: an
idle keep-alive connection closes after ``keep_alive`` seconds, and the head of each request
(request line and headers) must arrive within ``header`` seconds however slowly it trickles in
(slowloris), counted from the connection's opening or from the previous response. The body's
own time-out is the app's (:class:`procflow.web.limits.Body`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

_TOO_SLOW = b"the request headers took too long to arrive; send them at once.\r\n"
REQUEST_TIMEOUT = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                   b"content-length: %d\r\nconnection: close\r\n\r\n%s"
                   % (len(_TOO_SLOW), _TOO_SLOW))


@dataclass(frozen=True)
class Timeouts:
    """Seconds allowed for a request's head, a stalled body, and an idle keep-alive."""

    header: float = 20.0
    body: float = 30.0
    keep_alive: int = 5


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for each request's head."""

    header_timeout: ClassVar[float] = Timeouts.header
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_head()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _watch_head(self) -> None:
        """Start the clock when a request's head is awaited; stop it once it has come."""
        awaiting = self.conn.their_state is h11.IDLE and not self.transport.is_closing()
        if awaiting and self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_too_slow)
        elif not awaiting:
            self._stop_head_timer()

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.write(REQUEST_TIMEOUT)
            self.transport.close()


def protocol(header_timeout: float) -> type[HeaderTimeoutProtocol]:
    """:class:`HeaderTimeoutProtocol` with ``header_timeout`` seconds for a request's head."""
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,),
                {"header_timeout": header_timeout})


def config(app: Any, *, host: str, port: int, timeouts: Timeouts = Timeouts(),
           log_level: str = "info") -> uvicorn.Config:
    """uvicorn's configuration for ``app``: the time-outs above, and proxy headers left to the
    app (``create_app(trusted_proxies=…)``)."""
    return uvicorn.Config(app, host=host, port=port, http=protocol(timeouts.header),
                          timeout_keep_alive=timeouts.keep_alive, proxy_headers=False,
                          log_level=log_level)
