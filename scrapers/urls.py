"""URLs as the scrapers need them: IMSDb's hrefs made requestable, hosts told apart, the offline
site's server put in place of a site's host.

In:  page URLs and hrefs as they stand in the pages.
Out: `quote_url(page_url, href)`, `host_key(url)` and `rebase(url, base)`.
"""
from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit

_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ORIGIN = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:)?//[^/]*")


def quote_url(page_url: str, href: str) -> str:
    """Join `href` to `page_url`, percent-quoting everything after the host as one path.

    IMSDb file names contain literal `?`, `#`, `&`, `'`, `%` and spaces (docs/sites.md §2.2), so
    nothing after the host is a query or fragment. The href is quoted *before* it is joined, so a
    trailing `?`, an href starting with `#` and `..` after a `#` all behave as path characters; an
    existing `%xx` is kept as it is and a lone `%` becomes `%25`.
    """
    href = href.strip()
    origin = _ORIGIN.match(href)
    head = origin.group() if origin else ""
    return urljoin(page_url, head + quote(_LONE_PERCENT.sub("%25", href[len(head):]), safe="/%"))


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def host_key(url: str) -> str:
    """What tells hosts apart for politeness and robots.txt: scheme, name and port."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def rebase(url: str, base: str) -> str:
    """`url` with its scheme and host replaced by those of `base` (the offline site's server)."""
    parts = urlsplit(url)
    return base.rstrip("/") + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
