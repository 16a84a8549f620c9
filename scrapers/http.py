"""A polite HTTP client shared by both scrapers, and a network preflight.

In: page URLs, and the `scrape.*` politeness settings (delay, timeout, retries, max_page_bytes).
Out: a `FetchResult` per URL: the exact bytes of an HTML/text page, or why there are none
("skipped": robots.txt disallows it, or it is too large or not HTML/text; "failed": an HTTP error
or a network error that outlasted the retries). `fetch` never raises for a bad page.

Per host: one `requests.Session`, one request at a time, `delay` seconds (plus up to 50% jitter)
between the end of one request and the start of the next, and robots.txt fetched once and obeyed.
Timeouts, connection errors, 5xx, 408 and 429 are retried with exponential backoff (a 429/503
`Retry-After` is honoured); any other 4xx is final at once. A client built with `only_hosts`
contacts no other host and follows no redirect (the sample-site run stays on loopback).

`check_reachable(url)` resolves the host and opens a TCP connection within a few seconds, so a
machine without network fails at once with a `ScrapeError` saying what to do instead.
"""
from __future__ import annotations

import email.utils
import random
import socket
import threading
import time
import urllib.robotparser
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit

import requests

USER_AGENT = "scriptlm/0.1 (+https://github.com/scriptlm; research scraper)"
OFFLINE_HINT = "No network? Try the whole pipeline offline on the bundled sample site with `make demo`."
ACCEPTED_CONTENT_TYPES = ("text/", "application/xhtml+xml")
RETRIED_STATUSES = {408, 429} | set(range(500, 600))
RETRIED_ERRORS = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
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
    final_url: str | None = None
    content: bytes | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def decode_page(content: bytes) -> str:
    """Both sites serve cp1252/Latin-1 whatever they declare; cp1252 leaves 5 bytes undefined."""
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        return content.decode("latin-1")


def quote_url(page_url: str, href: str) -> str:
    """Join `href` to `page_url` and percent-quote everything after the host as one path.

    IMSDb file names contain literal `?`, `#`, `&`, `'` and spaces, so nothing after the host is a
    query or fragment; `%` stays safe so an href that is already quoted is not quoted twice.
    """
    joined = urljoin(page_url, href.strip())
    parts = urlsplit(joined)
    origin = f"{parts.scheme}://{parts.netloc}"
    return origin + quote(joined[len(origin):], safe="/%")


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _retry_after_seconds(value: str | None) -> float | None:
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


@dataclass
class _Host:
    session: requests.Session
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_request_at: float = 0.0    # time.monotonic() before which we do not send
    robots: urllib.robotparser.RobotFileParser | None = None
    robots_note: str = ""            # why a whole host is disallowed, for the record


class PoliteClient:
    """Fetch pages politely; safe to share between threads (requests to one host are serialised)."""

    def __init__(self, delay: float = 1.0, timeout: float = 10.0, retries: int = 3,
                 max_page_bytes: int = 5_000_000, *, backoff: float = 1.0, user_agent: str = USER_AGENT,
                 only_hosts: set[str] | None = None):
        """`only_hosts`, if given, is the complete set of host names this client may contact
        (redirects are then not followed): the sample site run must never leave loopback."""
        self.delay, self.timeout, self.retries = delay, timeout, retries
        self.max_page_bytes, self.backoff, self.user_agent = max_page_bytes, backoff, user_agent
        self.only_hosts = only_hosts
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()

    def fetch(self, url: str) -> FetchResult:
        if self.only_hosts is not None and urlsplit(url).hostname not in self.only_hosts:
            return FetchResult(url, "skipped", error=f"not fetched: host outside {sorted(self.only_hosts)}")
        host = self._host(url)
        with host.lock:
            if host.robots is None:
                self._load_robots(host, urljoin(url, "/robots.txt"))
            if not host.robots.can_fetch(self.user_agent, url):
                reason = host.robots_note or "disallowed by robots.txt"
                return FetchResult(url, "skipped", error=reason)
            return self._fetch_with_retries(host, url)

    def close(self) -> None:
        for host in self._hosts.values():
            host.session.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _host(self, url: str) -> _Host:
        key = _host_key(url)
        with self._hosts_lock:
            if key not in self._hosts:
                session = requests.Session()
                session.headers["User-Agent"] = self.user_agent
                self._hosts[key] = _Host(session)
            return self._hosts[key]

    def _load_robots(self, host: _Host, robots_url: str) -> None:
        """RFC 9309: unavailable (4xx) means allow all; unreachable (5xx, network) means disallow all."""
        robots = urllib.robotparser.RobotFileParser(robots_url)
        result = self._fetch_with_retries(host, robots_url)
        if result.ok:
            robots.parse(decode_page(result.content).splitlines())
        elif result.status in (401, 403):
            robots.disallow_all = True
            host.robots_note = f"robots.txt answered {result.status}: the host forbids crawling"
        elif result.status is not None and 400 <= result.status < 500 and result.status != 429:
            robots.allow_all = True
        elif result.outcome == "skipped":
            robots.allow_all = True   # served, but too large or not text: nothing to obey
        else:
            robots.disallow_all = True
            host.robots_note = f"robots.txt unreachable ({result.error}), so the host is not crawled"
        host.robots = robots

    def _fetch_with_retries(self, host: _Host, url: str) -> FetchResult:
        attempt = 0
        while True:
            result, retry_after = self._fetch_once(host, url)
            if result.outcome != "retry":
                return result
            if attempt == self.retries:
                tries = attempt + 1
                return FetchResult(url, "failed", result.status, error=f"{result.error} "
                                   f"(gave up after {tries} attempt{'s' * (tries > 1)})")
            if retry_after is not None and retry_after > MAX_RETRY_AFTER:
                return FetchResult(url, "failed", result.status, error=f"{result.error}; "
                                   f"Retry-After {retry_after:.0f} s is longer than we wait")
            wait = max(self.backoff * 2 ** attempt, retry_after or 0.0)
            host.next_request_at = max(host.next_request_at, time.monotonic() + wait)
            attempt += 1

    def _fetch_once(self, host: _Host, url: str) -> tuple[FetchResult, float | None]:
        """One request; outcome "retry" means a transient error worth another attempt."""
        pause = host.next_request_at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        try:
            with host.session.get(url, timeout=(self.timeout, self.timeout), stream=True,
                                  allow_redirects=self.only_hosts is None) as response:
                return self._read(url, response), _retry_after_seconds(response.headers.get("Retry-After"))
        except RETRIED_ERRORS as error:
            return FetchResult(url, "retry", error=f"{type(error).__name__}: {error}"), None
        except requests.RequestException as error:
            return FetchResult(url, "failed", error=f"{type(error).__name__}: {error}"), None
        finally:
            host.next_request_at = time.monotonic() + self.delay * (1 + 0.5 * random.random())

    def _read(self, url: str, response: requests.Response) -> FetchResult:
        status, final_url = response.status_code, response.url
        if status in RETRIED_STATUSES:
            return FetchResult(url, "retry", status, final_url, error=f"HTTP {status}")
        if not 200 <= status < 300:
            return FetchResult(url, "failed", status, final_url, error=f"HTTP {status}")
        content_type = response.headers.get("Content-Type", "")
        if content_type and not content_type.lower().startswith(ACCEPTED_CONTENT_TYPES):
            return FetchResult(url, "skipped", status, final_url,
                               error=f"refused: Content-Type {content_type!r} is not HTML or text")
        too_large = f"refused: larger than max_page_bytes ({self.max_page_bytes})"
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_page_bytes:
            return FetchResult(url, "skipped", status, final_url, error=too_large)
        body = bytearray()
        for chunk in response.iter_content(CHUNK_BYTES):
            body += chunk
            if len(body) > self.max_page_bytes:
                return FetchResult(url, "skipped", status, final_url, error=too_large)
        return FetchResult(url, "ok", status, final_url, bytes(body))


def check_reachable(url: str, timeout: float = 4.0) -> None:
    """Resolve the host of `url` and open a TCP connection to it within `timeout` seconds in all.

    Raises ScrapeError naming the host if either step fails. getaddrinfo runs in a daemon thread
    because it has no timeout of its own and can hang for a long time without a network.
    """
    parts = urlsplit(url)
    host = parts.hostname or url
    port = parts.port or (443 if parts.scheme == "https" else 80)
    deadline = time.monotonic() + timeout

    def unreachable(reason: str) -> ScrapeError:
        return ScrapeError(f"cannot reach {host} ({reason}). {OFFLINE_HINT}")

    resolved: dict = {}

    def resolve() -> None:
        try:
            resolved["addresses"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            resolved["error"] = error

    resolver = threading.Thread(target=resolve, name=f"resolve {host}", daemon=True)
    resolver.start()
    resolver.join(timeout)
    if resolver.is_alive():
        raise unreachable(f"no DNS answer within {timeout:g} s")
    if "error" in resolved:
        error = resolved["error"]
        raise unreachable(getattr(error, "strerror", None) or str(error))
    last_error = "no address"
    for family, kind, proto, _, address in resolved["addresses"]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            last_error = f"no connection within {timeout:g} s"
            break
        try:
            with socket.socket(family, kind, proto) as connection:
                connection.settimeout(remaining)
                connection.connect(address)
            return
        except socket.timeout:
            last_error = f"no connection within {timeout:g} s"
        except OSError as error:
            last_error = error.strerror or str(error)
    raise unreachable(last_error)
