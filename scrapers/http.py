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
Timeouts, connection errors and resets, bodies cut short (a Content-Length not met, a chunked
stream without its last chunk), 5xx, 408 and 429 are retried with exponential backoff, honouring
`Retry-After`; any other 4xx is final at once, so a 404 is requested exactly once. A page, its
retries, the waits between them and its redirects included, gets at most `deadline` seconds from
its first request (`PageBudget`; a server dripping bytes is cut when it runs out); after
`max_host_failures` connection failures in a row, a host is given up: its remaining pages are
"skipped" with reason HOST_GIVEN_UP (`scrapers/faults.py`). `FetchResult.framing` says how the end
of the body was known (`scrapers/transport.py`). No setting, however large, makes a wait overflow.
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

from scrapers.faults import (DEADLINE_REASON, HOST_GIVEN_UP, INTERRUPTED, Deadline, PageBudget, backoff_seconds,
                             capped, network_reason, retry_after_seconds, sleep_until)
from scrapers.robots import read_robots
from scrapers.response import FetchResult, read_response, result as _result
from scrapers.transport import watched_session
from scrapers.urls import host_key

USER_AGENT = "scriptlm/0.1 (+https://github.com/scriptlm; research scraper)"
MAX_REDIRECTS = 5
# requests wraps most transport errors, but a body cut short surfaces unwrapped from urllib3 or
# http.client (the body is read from urllib3 directly); any of them is a broken connection, worth
# another attempt.
RETRIED_REQUESTS_ERRORS = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
RETRIED_TRANSPORT_ERRORS = (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)
# A server asking us to come back later than this is treated as a failure, not waited for.
MAX_RETRY_AFTER = 300.0


class ScrapeError(Exception):
    """An expected failure that stops the scrape; the message names the cause and what to do."""


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
        connecting and each wait for data, `deadline` a whole page, retries and redirects included
        (0: none); after `max_host_failures` connection failures in a row (0: never) a host is
        given up for the rest of the run. `backoff` is the first retry's wait, doubled at each
        further retry. `only_hosts`, if given, is the complete set of host names this client may
        contact, redirects included (the offline site's run must never leave loopback)."""
        self.delay, self.timeout, self.retries = delay, timeout, retries
        self.deadline, self.max_host_failures = deadline, max_host_failures
        self.max_page_bytes, self.backoff, self.user_agent = max_page_bytes, backoff, user_agent
        self.only_hosts = only_hosts
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()
        self._stopping = threading.Event()
        self._running: set[Deadline] = set()   # of the requests in flight, guarded by _hosts_lock

    def interrupt(self) -> None:
        """Stop the run: waits end and requests in flight are cut at once, and no request is sent
        any more; each fetch returns "skipped" with reason INTERRUPTED."""
        self._stopping.set()
        with self._hosts_lock:
            running = list(self._running)
        for deadline in running:
            deadline.cut_now()

    def fetch(self, url: str) -> FetchResult:
        budget = PageBudget(self.deadline)
        current = url
        for hop in range(MAX_REDIRECTS + 1):
            result = self._fetch_hop(current, budget, redirected=hop > 0)
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

    def _fetch_hop(self, url: str, budget: PageBudget, redirected: bool) -> FetchResult:
        """One URL of a redirect chain: outcome "redirect" carries the next URL as `final_url`."""
        if self.only_hosts is not None and urlsplit(url).hostname not in self.only_hosts:
            reason = "redirect outside the allowed hosts" if redirected else "host outside the allowed hosts"
            return _result(url, "skipped", reason, f"{url} (allowed: {', '.join(sorted(self.only_hosts))})",
                           final_url=url)
        host = self._host(url)
        with host.lock:
            if host.given_up:
                return _result(url, "skipped", HOST_GIVEN_UP, host.given_up, final_url=url)
            if host.robots is None:   # robots.txt is a page of its own, with its own deadline
                host.robots, host.robots_refusal = read_robots(
                    lambda hop: self._fetch_with_retries(host, hop, PageBudget(self.deadline)),
                    urljoin(url, "/robots.txt"), MAX_REDIRECTS)
            if not host.robots.can_fetch(self.user_agent, url):
                return _result(url, "skipped", host.robots_refusal, final_url=url)
            return self._fetch_with_retries(host, url, budget)

    def _host(self, url: str) -> _Host:
        key = host_key(url)
        with self._hosts_lock:
            if key not in self._hosts:
                session = watched_session()
                session.headers["User-Agent"] = self.user_agent
                self._hosts[key] = _Host(session)
            return self._hosts[key]

    def _fetch_with_retries(self, host: _Host, url: str, budget: PageBudget) -> FetchResult:
        attempt = 0
        while True:
            if self._stopping.is_set():
                return _result(url, "skipped", INTERRUPTED, "the run was stopped before this page was fetched")
            if budget.spent():   # a redirect hop after the page's time ran out
                return _result(url, "failed", DEADLINE_REASON, budget.describe())
            result, retry_after = self._fetch_once(host, url, budget)
            if result.outcome == "retry" and self._stopping.is_set():
                continue   # cut by `interrupt`: INTERRUPTED, above
            if result.outcome != "retry":
                return result
            tries = f"{attempt + 1} attempt{'s' * (attempt > 0)}"
            if self.max_host_failures and host.failures >= self.max_host_failures:
                host.given_up = (f"{host_key(url)} failed {host.failures} times in a row ({result.reason}); "
                                 f"its remaining pages are not requested in this run (scrape.max_host_failures "
                                 f"{self.max_host_failures}); run again once it answers")
                return replace(result, outcome="failed", error=f"{result.error}; {host.given_up}")
            if attempt == self.retries:
                return replace(result, outcome="failed", error=f"{result.error} (gave up after {tries})")
            if retry_after is not None and retry_after > MAX_RETRY_AFTER:
                return replace(result, outcome="failed",
                               error=f"{result.error}; Retry-After {retry_after:.0f} s is longer than we wait")
            wait = max(backoff_seconds(self.backoff, attempt), capped(retry_after or 0.0))
            host.next_request_at = max(host.next_request_at, time.monotonic() + wait)
            if host.next_request_at - time.monotonic() >= budget.remaining():
                why = result.error if result.reason == DEADLINE_REASON else f"{result.error}; {budget.describe()}"
                return replace(result, outcome="failed", reason=DEADLINE_REASON, error=f"{why} (gave up after {tries})")
            attempt += 1

    def _fetch_once(self, host: _Host, url: str, budget: PageBudget) -> tuple[FetchResult, float | None]:
        """One request; outcome "retry" means a transient error worth another attempt."""
        sleep_until(host.next_request_at, self._stopping)
        if self._stopping.is_set():
            return FetchResult(url, "retry"), None   # the loop returns INTERRUPTED
        budget.start()
        deadline = Deadline(budget)
        with self._hosts_lock:
            self._running.add(deadline)
        # The page's budget bounds each wait for data too, should the watchdog not reach the socket.
        timeout = capped(min(self.timeout, budget.remaining()))
        try:
            with host.session.get(url, timeout=(timeout, timeout), stream=True,
                                  allow_redirects=False) as response:
                result = read_response(url, response, budget, self.max_page_bytes)
                if deadline.expired or budget.spent():   # a cut connection may look like the end of a body
                    raise requests.ConnectionError(budget.describe())
                host.failures = 0
                return result, retry_after_seconds(response.headers.get("Retry-After"))
        except RETRIED_REQUESTS_ERRORS as error:
            return self._connection_failed(host, url, error, budget), None
        except requests.RequestException as error:   # before OSError, of which it is a subclass
            return _result(url, "failed", type(error).__name__, str(error)), None
        except RETRIED_TRANSPORT_ERRORS as error:
            return self._connection_failed(host, url, error, budget), None
        finally:
            deadline.cancel()
            with self._hosts_lock:
                self._running.discard(deadline)
            host.next_request_at = time.monotonic() + capped(self.delay * (1 + 0.5 * random.random()))

    @staticmethod
    def _connection_failed(host: _Host, url: str, error: BaseException, budget: PageBudget) -> FetchResult:
        host.failures += 1
        if budget.spent():
            return _result(url, "retry", DEADLINE_REASON, budget.describe())
        return _result(url, "retry", network_reason(error), f"{type(error).__name__}: {error}")
