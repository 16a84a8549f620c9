"""How the polite client names and bounds network faults.

In:  transport errors and headers from `scrapers/http.py`, and the `scrape.deadline` and
     `scrape.max_host_failures` settings.
Out: `network_reason(error)` (a groupable name), `retry_after_seconds(header)`, `Deadline` (a
     watchdog that cuts one request's connection once its whole-response time is up) and
     `HOST_GIVEN_UP` (the reason of the pages of a host the circuit breaker gave up on).

Why a watchdog: requests' read timeout restarts with every byte received, so a server dripping one
byte a second never times out. The watchdog shuts the socket down from another thread, which ends
the blocked read at once; the client then sees `expired` and reports the deadline, not whatever
the cut connection looked like (an early end of the body, a reset).
"""
from __future__ import annotations

import email.utils
import socket
import threading
import time

import requests

HOST_GIVEN_UP = "host given up after repeated connection failures"
DEADLINE_REASON = "response deadline"


def network_reason(error: BaseException) -> str:
    """A groupable name for a transport error; the wrapped urllib3 cause only shows in the text."""
    text = repr(error)
    if isinstance(error, requests.ConnectTimeout):
        return "connect timeout"
    if isinstance(error, requests.ReadTimeout) or "Read timed out" in text:
        return "read timeout"
    if "IncompleteRead" in text or "ended prematurely" in text:
        return "truncated body"
    if "reset" in text.lower():
        return "connection reset"
    if "RemoteDisconnected" in text:
        return "connection closed without a response"
    return "connection error"


def retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _socket_of(response: requests.Response) -> socket.socket | None:
    # http.client forgets the connection's socket once the response says "Connection: close" (the
    # response then owns it, through its file object), so look there first.
    file = getattr(getattr(response.raw, "_fp", None), "fp", None)
    sock = getattr(getattr(file, "raw", None), "_sock", None)
    if sock is None:
        sock = getattr(getattr(response.raw, "_connection", None), "sock", None)
    return sock


class Deadline:
    """At most `seconds` for one request, headers and body together (0: no deadline).

    Started before the request; `watch(response)` names the connection to cut when time is up
    (at once if it already is). A server that drips its *headers* is bounded only by the read
    timeout per byte: the connection is not reachable before requests returns the response.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire) if seconds > 0 else None
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()

    def watch(self, response: requests.Response) -> None:
        with self._lock:
            self._socket = _socket_of(response)
            if self.expired:
                self._cut()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def describe(self) -> str:
        return f"no complete answer within scrape.deadline ({self.seconds:g} s)"

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._cut()

    def _cut(self) -> None:
        if self._socket is not None:
            try:
                self._socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass   # already closed: the request ended on its own
