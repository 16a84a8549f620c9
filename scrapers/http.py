"""A polite HTTP client shared by both scrapers.

In: page URLs, and the `scrape.*` settings (delay, timeout, retries, max_page_bytes, deadline,
max_host_failures).
Out: a `FetchResult` per URL: the exact and complete bytes of an HTML/text page plus the URL that
finally answered; or no bytes and why — "skipped" (our choice: robots.txt disallows it, it is too
large or not HTML/text, it or a redirect leads outside `only_hosts`) or "failed" (an HTTP error, or
a network error that outlasted the retries). `reason` is short, to group by; `error` adds details.
`fetch` never raises for a bad page.

Per host (docs/sites.md §4): one `requests.Session`, one request at a time, `delay` seconds
(plus up to 50% jitter) between the end of one request and the start of the next, and robots.txt
fetched once and obeyed. Redirects are followed here rather than by requests (at most
MAX_REDIRECTS hops) so that each hop obeys its own host's robots.txt, delay and `only_hosts`.
Timeouts, connection errors and resets, truncated bodies (fewer bytes than Content-Length), 5xx,
408 and 429 are retried with exponential backoff, honouring `Retry-After`; any other 4xx is final
at once, so a 404 is requested exactly once. A request that outlasts `deadline` in all (a server
dripping bytes) is cut and retried like a timeout; after `max_host_failures` connection failures
in a row, a host is given up: its remaining pages are "skipped" with reason HOST_GIVEN_UP
(`scrapers/faults.py`).
"""
from __future__ import annotations

import http.client
import random
import threading
import time
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import requests
import urllib3
from requests.utils import requote_uri

from scrapers.faults import (DEADLINE_REASON, HOST_GIVEN_UP, Deadline, network_reason, retry_after_seconds,
                             watched_session)
from scrapers.robots import read_robots
from scrapers.urls import host_key

USER_AGENT = "scriptlm/0.1 (+https://github.com/scriptlm; research scraper)"
ACCEPTED_CONTENT_TYPES = ("text/", "application/xhtml+xml")
RETRIED_STATUSES = {408, 429} | set(range(500, 600))
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 5
# requests wraps most transport errors, but a body cut short can surface unwrapped from urllib3
# or http.client; any of them is a broken connection, worth another attempt.
RETRIED_REQUESTS_ERRORS = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
RETRIED_TRANSPORT_ERRORS = (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)
# A server asking us to come back later than this is treated as a failure, not waited for.
MAX_RETRY_AFTER = 300.0
CHUNK_BYTES = 64 * 1024


class ScrapeError(Exception):
    """An expected failure that stops the scrape; the message names the cause and what to do."""


@dataclass(frozen=True)
class FetchResult:
    url: str
    outcome: str                    # "ok", "skipped" (our choice) or "failed" (the server's or network's)
    status: int | None = None
    final_url: str | None = None    # the URL that answered, after redirects (or the one refused)
    content: bytes | None = None
    reason: str | None = None       # short and groupable: "HTTP 404", "read timeout", ...
    error: str | None = None        # the reason with its details

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def _result(url: str, outcome: str, reason: str, details: str = "", **fields) -> FetchResult:
    return FetchResult(url, outcome, reason=reason, error=f"{reason}: {details}" if details else reason, **fields)


@dataclass
class _Host:
    session: requests.Session
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_request_at: float = 0.0    # time.monotonic() before which we do not send
    robots: RobotFileParser | None = None
    robots_refusal: str = ""
    failures: int = 0               # connection failures in a row (any HTTP answer resets it)
    given_up: str = ""              # why the circuit breaker stopped contacting this host


class PoliteClient:
    """Fetch pages politely; safe to share between threads (requests to one host are serialised)."""

    def __init__(self, *, delay: float, timeout: float, retries: int, max_page_bytes: int,
                 backoff: float = 1.0, user_agent: str = USER_AGENT, only_hosts: set[str] | None = None,
                 deadline: float = 0.0, max_host_failures: int = 0):
        """The politeness settings come from `scrape.delay`, `scrape.timeout`, `scrape.retries`,
        `scrape.max_page_bytes`, `scrape.deadline` and `scrape.max_host_failures`. `timeout` bounds
        connecting and each wait for data, `deadline` a whole request (0: none); after
        `max_host_failures` connection failures in a row (0: never) a host is given up for the rest
        of the run. `backoff` is the first retry's wait, doubled at each further retry.
        `only_hosts`, if given, is the complete set of host names this client may contact,
        redirects included (the sample site run must never leave loopback)."""
        self.delay, self.timeout, self.retries = delay, timeout, retries
        self.deadline, self.max_host_failures = deadline, max_host_failures
        self.max_page_bytes, self.backoff, self.user_agent = max_page_bytes, backoff, user_agent
        self.only_hosts = only_hosts
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()

    def fetch(self, url: str) -> FetchResult:
        current = url
        for hop in range(MAX_REDIRECTS + 1):
            result = self._fetch_hop(current, redirected=hop > 0)
            if result.outcome != "redirect":
                return replace(result, url=url, final_url=result.final_url or current)
            current = result.final_url
        return _result(url, "failed", "too many redirects", f"more than {MAX_REDIRECTS}, the last to {current}",
                       final_url=current)

    def close(self) -> None:
        for host in self._hosts.values():
            host.session.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _fetch_hop(self, url: str, redirected: bool) -> FetchResult:
        """One URL of a redirect chain: outcome "redirect" carries the next URL as `final_url`."""
        if self.only_hosts is not None and urlsplit(url).hostname not in self.only_hosts:
            reason = "redirect outside the allowed hosts" if redirected else "host outside the allowed hosts"
            return _result(url, "skipped", reason, f"{url} (allowed: {', '.join(sorted(self.only_hosts))})",
                           final_url=url)
        host = self._host(url)
        with host.lock:
            if host.given_up:
                return _result(url, "skipped", HOST_GIVEN_UP, host.given_up, final_url=url)
            if host.robots is None:
                host.robots, host.robots_refusal = read_robots(
                    lambda hop: self._fetch_with_retries(host, hop), urljoin(url, "/robots.txt"), MAX_REDIRECTS)
            if not host.robots.can_fetch(self.user_agent, url):
                return _result(url, "skipped", host.robots_refusal, final_url=url)
            return self._fetch_with_retries(host, url)

    def _host(self, url: str) -> _Host:
        key = host_key(url)
        with self._hosts_lock:
            if key not in self._hosts:
                session = watched_session()
                session.headers["User-Agent"] = self.user_agent
                self._hosts[key] = _Host(session)
            return self._hosts[key]

    def _fetch_with_retries(self, host: _Host, url: str) -> FetchResult:
        attempt = 0
        while True:
            result, retry_after = self._fetch_once(host, url)
            if result.outcome != "retry":
                return result
            if self.max_host_failures and host.failures >= self.max_host_failures:
                host.given_up = (f"{host_key(url)} failed {host.failures} times in a row ({result.reason}); "
                                 f"its remaining pages are not requested in this run (scrape.max_host_failures "
                                 f"{self.max_host_failures}); run again once it answers")
                return replace(result, outcome="failed", error=f"{result.error}; {host.given_up}")
            if attempt == self.retries:
                tries = attempt + 1
                return replace(result, outcome="failed",
                               error=f"{result.error} (gave up after {tries} attempt{'s' * (tries > 1)})")
            if retry_after is not None and retry_after > MAX_RETRY_AFTER:
                return replace(result, outcome="failed",
                               error=f"{result.error}; Retry-After {retry_after:.0f} s is longer than we wait")
            wait = max(self.backoff * 2 ** attempt, retry_after or 0.0)
            host.next_request_at = max(host.next_request_at, time.monotonic() + wait)
            attempt += 1

    def _fetch_once(self, host: _Host, url: str) -> tuple[FetchResult, float | None]:
        """One request; outcome "retry" means a transient error worth another attempt."""
        pause = host.next_request_at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        deadline = Deadline(self.deadline)
        try:
            with host.session.get(url, timeout=(self.timeout, self.timeout), stream=True,
                                  allow_redirects=False) as response:
                deadline.watch(response)
                result = self._read(url, response)
                if deadline.expired:   # the cut connection may have looked like the end of the body
                    raise requests.ConnectionError(deadline.describe())
                host.failures = 0
                return result, retry_after_seconds(response.headers.get("Retry-After"))
        except RETRIED_REQUESTS_ERRORS as error:
            return self._connection_failed(host, url, error, deadline), None
        except requests.RequestException as error:   # before OSError, of which it is a subclass
            return _result(url, "failed", type(error).__name__, str(error)), None
        except RETRIED_TRANSPORT_ERRORS as error:
            return self._connection_failed(host, url, error, deadline), None
        finally:
            deadline.cancel()
            host.next_request_at = time.monotonic() + self.delay * (1 + 0.5 * random.random())

    @staticmethod
    def _connection_failed(host: _Host, url: str, error: BaseException, deadline: Deadline) -> FetchResult:
        host.failures += 1
        if deadline.expired:
            return _result(url, "retry", DEADLINE_REASON, deadline.describe())
        return _result(url, "retry", network_reason(error), f"{type(error).__name__}: {error}")

    def _read(self, url: str, response: requests.Response) -> FetchResult:
        status = response.status_code
        if status in REDIRECT_STATUSES:
            location = response.headers.get("Location", "").strip()
            if not location:
                return _result(url, "failed", "redirect without a Location", status=status)
            return FetchResult(url, "redirect", status, final_url=requote_uri(urljoin(url, location)))
        outcome = "retry" if status in RETRIED_STATUSES else "failed" if not 200 <= status < 300 else None
        if outcome:
            return _result(url, outcome, f"HTTP {status}", status=status)
        content_type = response.headers.get("Content-Type", "")
        if content_type and not content_type.lower().startswith(ACCEPTED_CONTENT_TYPES):
            return _result(url, "skipped", "not HTML or text", f"Content-Type {content_type!r}", status=status)
        too_large = _result(url, "skipped", "larger than max_page_bytes", str(self.max_page_bytes), status=status)
        declared = response.headers.get("Content-Length", "").strip()
        # With chunked encoding a Content-Length means nothing (RFC 9112 6.3); urllib3 checks the chunks.
        chunked = "chunked" in response.headers.get("Transfer-Encoding", "").lower()
        expected = int(declared) if declared.isdigit() and not chunked else None
        if expected is not None and expected > self.max_page_bytes:
            return too_large
        body = bytearray()
        for chunk in response.iter_content(CHUNK_BYTES):
            body += chunk
            if len(body) > self.max_page_bytes:
                return too_large
        # urllib3 normally raises on a short body; this catches the versions and paths that don't.
        # `raw.tell()` counts bytes on the wire, which is what Content-Length counts, even if gzipped.
        received = response.raw.tell() if hasattr(response.raw, "tell") else len(body)
        if expected is not None and received < expected:
            return _result(url, "retry", "truncated body", f"{received} of {expected} bytes", status=status)
        return FetchResult(url, "ok", status, content=bytes(body))
