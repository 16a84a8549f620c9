"""How the polite client names and bounds network faults and waits.

In:  transport errors and headers from `scrapers/http.py`, and the `scrape.deadline`,
     `scrape.delay` and `scrape.max_host_failures` settings.
Out: `network_reason(error)` (a groupable name), `retry_after_seconds(header)`, `PageBudget` (the
     `scrape.deadline` of one page, retries and redirects included), `Deadline` (a watchdog that
     cuts one request's connection when the page's budget runs out), `sleep_until` and
     `capped` (waits and timeouts that never overflow, whatever the settings, and end when the
     run is stopped), `HOST_GIVEN_UP` (the reason of the pages of a host the circuit breaker gave
     up on) and `INTERRUPTED` (of a page not fetched because the run was stopped).

Why a watchdog: requests' read timeout restarts with every byte received, so a server dripping one
byte a second never times out, and its headers are read inside urllib3 where no loop of ours
runs. The watchdog shuts the socket down from another thread, which ends the blocked read at
once; the client then sees `expired` and reports the deadline, not whatever the cut connection
looked like (an early end of the body, a reset). The socket comes from the connection that sends
the request (`scrapers/transport.py`); the body is also read in a loop that checks the page's
budget on a monotonic clock between reads.
"""
from __future__ import annotations

import email.utils
import math
import socket
import threading
import time

import requests

HOST_GIVEN_UP = "host given up after repeated connection failures"
DEADLINE_REASON = "response deadline"
INTERRUPTED = "run interrupted"
# Longer than any run, short enough for every timer and socket timeout of the platform
# (threading.TIMEOUT_MAX, a C timeval): a delay or deadline beyond it waits "for ever" in
# pieces instead of overflowing.
LONGEST_WAIT = min(86_400.0 * 365, threading.TIMEOUT_MAX)


def capped(seconds: float) -> float:
    """`seconds` as a wait the platform accepts: not negative, not NaN, at most LONGEST_WAIT."""
    return 0.0 if not seconds > 0 else min(float(seconds), LONGEST_WAIT)


def sleep_until(moment: float, stop: threading.Event) -> None:
    """Sleep until time.monotonic() reaches `moment`, however far off (in pieces the clock
    accepts), or until `stop` is set."""
    while (left := moment - time.monotonic()) > 0 and not stop.is_set():
        stop.wait(capped(left))


def backoff_seconds(first: float, attempt: int) -> float:
    """`first` doubled `attempt` times, without overflow however many retries there are."""
    if not first > 0:
        return 0.0
    return capped(first * 2.0 ** min(attempt, 64)) if first < LONGEST_WAIT else LONGEST_WAIT


def network_reason(error: BaseException) -> str:
    """A groupable name for a transport error; the wrapped urllib3 cause only shows in the text."""
    text = repr(error)
    if isinstance(error, requests.ConnectTimeout):
        return "connect timeout"
    if isinstance(error, requests.ReadTimeout) or "Read timed out" in text:
        return "read timeout"
    if "IncompleteRead" in text or "ended prematurely" in text or "InvalidChunkLength" in text:
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
    except (TypeError, ValueError, OverflowError):
        return None
    return max(0.0, when.timestamp() - time.time())


class PageBudget:
    """`scrape.deadline` seconds for one page (0: no limit), counted from its first request:
    every attempt, the waits between them and every redirect hop come out of it (the politeness
    delay before the first request does not)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._ends_at: float | None = None

    def start(self) -> None:
        if self._ends_at is None and self.seconds > 0:
            self._ends_at = time.monotonic() + capped(self.seconds)

    def remaining(self) -> float:
        """Seconds left (math.inf without a deadline, or before the first request)."""
        return math.inf if self._ends_at is None else max(0.0, self._ends_at - time.monotonic())

    def spent(self) -> bool:
        return self.remaining() <= 0

    def describe(self) -> str:
        return f"no complete answer within scrape.deadline ({self.seconds:g} s for the page, retries included)"


class Deadline:
    """The watchdog of one attempt: when the page's budget runs out, the socket the attempt uses
    is shut down (at once if it is named later). Started before the request, and this thread's
    running deadline (`running()`) until `cancel`."""

    _running = threading.local()

    def __init__(self, budget: PageBudget):
        self.budget = budget
        self.expired = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        seconds = budget.remaining()
        self._timer = threading.Timer(capped(seconds), self._expire) if math.isfinite(seconds) else None
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()
        Deadline._running.deadline = self

    @staticmethod
    def running() -> Deadline | None:
        """The deadline of the request this thread is making, if any."""
        return getattr(Deadline._running, "deadline", None)

    def watch_socket(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._socket = sock or self._socket
            if self.expired:
                self._cut()

    def cut_now(self) -> None:
        """Cut the connection now (the run is being stopped)."""
        self._expire()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if Deadline.running() is self:
            Deadline._running.deadline = None

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
