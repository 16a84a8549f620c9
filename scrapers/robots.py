"""robots.txt, read once per host and obeyed (docs/sites.md §4).

In:  a fetch function of the polite client and the robots.txt URL of a host.
Out: `read_robots(...)` -> (the host's rules as a `RobotFileParser`, the reason to give for a page
     they refuse).
"""
from __future__ import annotations

from typing import Callable
from urllib.robotparser import RobotFileParser

from scrapers.decode import decode_bytes
from scrapers.urls import host_key


def read_robots(fetch: Callable[[str], object], robots_url: str,
                max_redirects: int) -> tuple[RobotFileParser, str]:
    """The rules of one host's robots.txt, and why a page they refuse is refused.

    `fetch(url)` is the client's fetch of one hop, with retries (a `FetchResult`; redirects are
    not followed by it). RFC 9309: unavailable (4xx) means allow all; unreachable (5xx, network)
    means disallow all. Redirects within the host are followed. One to another host counts as
    unavailable: in the usual case (http -> https, bare name -> www) the pages redirect too, and
    each of those redirects meets the target host's own robots.txt.
    """
    robots = RobotFileParser(robots_url)
    refusal = "disallowed by robots.txt"
    url = robots_url
    for _ in range(max_redirects + 1):
        result = fetch(url)
        if result.outcome != "redirect" or host_key(result.final_url) != host_key(robots_url):
            break
        url = result.final_url
    unavailable = result.status is not None and 400 <= result.status < 500 and result.status != 429
    if result.ok:
        robots.parse(decode_bytes(result.content).splitlines())
    elif result.status in (401, 403):
        robots.disallow_all = True
        refusal = f"robots.txt answered {result.status}: the host forbids crawling"
    elif unavailable or result.outcome in ("redirect", "skipped"):
        robots.allow_all = True   # no robots.txt we can read: nothing to obey
    else:
        robots.disallow_all = True
        refusal = f"robots.txt unreachable ({result.error}), so the host is not crawled"
    return robots, refusal
