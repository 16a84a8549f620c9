"""One HTTP answer judged: what the polite client makes of a response to one request.

In:  the URL asked for, a streamed `requests.Response`, the page's `PageBudget` and
     `scrape.max_page_bytes`.
Out: `read_response(...)` -> a `FetchResult`: "ok" with the exact, complete bytes of an HTML or
     text page and how the end of its body was known (`framing`, `scrapers/transport.py`);
     "redirect" with the next URL; "retry" (a status or a body cut short worth another attempt:
     5xx, 408, 429, fewer bytes than the Content-Length); "skipped" (not HTML or text, larger than
     max_page_bytes); or "failed" (any other status). `result(...)` builds one with its `error`.
Transport errors while reading (a reset, a chunked stream cut short) propagate to the client.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

import requests
from requests.utils import requote_uri

from scrapers.faults import PageBudget
from scrapers.transport import framing, read_body

ACCEPTED_CONTENT_TYPES = ("text/", "application/xhtml+xml")
RETRIED_STATUSES = {408, 429} | set(range(500, 600))
REDIRECT_STATUSES = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class FetchResult:
    url: str
    outcome: str                    # "ok", "skipped" (our choice) or "failed" (the server's or network's)
    status: int | None = None
    final_url: str | None = None    # the URL that answered, after redirects (or the one refused)
    content: bytes | None = None
    reason: str | None = None       # short and groupable: "HTTP 404", "read timeout", ...
    error: str | None = None        # the reason with its details
    framing: str | None = None      # how the body's end was known (scrapers/transport.py)

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def result(url: str, outcome: str, reason: str, details: str = "", **fields) -> FetchResult:
    return FetchResult(url, outcome, reason=reason, error=f"{reason}: {details}" if details else reason, **fields)


def read_response(url: str, response: requests.Response, budget: PageBudget, max_page_bytes: int) -> FetchResult:
    status = response.status_code
    if status in REDIRECT_STATUSES:
        location = response.headers.get("Location", "").strip()
        if not location:
            return result(url, "failed", "redirect without a Location", status=status)
        return FetchResult(url, "redirect", status, final_url=requote_uri(urljoin(url, location)))
    outcome = "retry" if status in RETRIED_STATUSES else "failed" if not 200 <= status < 300 else None
    if outcome:
        return result(url, outcome, f"HTTP {status}", status=status)
    content_type = response.headers.get("Content-Type", "")
    if content_type and not content_type.lower().startswith(ACCEPTED_CONTENT_TYPES):
        return result(url, "skipped", "not HTML or text", f"Content-Type {content_type!r}", status=status)
    too_large = result(url, "skipped", "larger than max_page_bytes", str(max_page_bytes), status=status)
    expected = framing(response.headers)[1]
    if expected is not None and expected > max_page_bytes:
        return too_large
    body = read_body(response, budget, max_page_bytes)
    if body.content is None:
        return too_large
    # urllib3 2 raises on a short body itself; this catches the paths and versions that don't.
    if body.cut_short:
        return result(url, "retry", "truncated body", f"{body.received} of {body.expected} bytes", status=status)
    return FetchResult(url, "ok", status, content=body.content, framing=body.framing)
