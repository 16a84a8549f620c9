"""How the polite client names and bounds network faults.

In:  transport errors and headers from `scrapers/http.py`, and the `scrape.deadline` and
     `scrape.max_host_failures` settings.
Out: `network_reason(error)` (a groupable name), `retry_after_seconds(header)`, `Deadline` (a
     watchdog that cuts one request's connection once its whole-response time is up) and
     `HOST_GIVEN_UP` (the reason of the pages of a host the circuit breaker gave up on).

Why a watchdog: requests' read timeout restarts with every byte received, so a server dripping one
byte a second never times out. The watchdog shuts the socket down from another thread, which ends
the blocked read at once; the client then sees `expired` and reports the deadline, not whatever
the cut connection looked like (an early end of the body, a reset). `watched_session()` is a
requests session whose connections hand their socket to the running request's deadline before
the headers are read, so a server dripping its headers is cut too.
"""
from __future__ import annotations

import email.utils
import socket
import threading
import time

import requests
import urllib3
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

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


_running = threading.local()   # the Deadline of the request this thread is making, if any


class _Watched:
    def getresponse(self, *args, **kwargs):
        deadline = getattr(_running, "deadline", None)
        if deadline is not None:
            deadline.watch_socket(self.sock)
        return super().getresponse(*args, **kwargs)


class _HTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def watched_session() -> requests.Session:
    """A requests session whose connections are cut by the deadline of the request using them."""
    session = requests.Session()
    for adapter in session.adapters.values():
        adapter.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return session


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

    Started before the request, and the running one of this thread until `cancel`; the
    connections of a `watched_session` name their socket to it before reading the headers, and
    `watch(response)` names the response's (for other sessions). When time is up, that socket is
    shut down (at once if it is named later).
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
        _running.deadline = self

    def watch(self, response: requests.Response) -> None:
        self.watch_socket(_socket_of(response))

    def watch_socket(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._socket = sock or self._socket
            if self.expired:
                self._cut()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if getattr(_running, "deadline", None) is self:
            _running.deadline = None

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
