"""Is a fetched page usable? The test a page passes before it enters the store.

In:  the bytes of a page, whether only the server's close ended its body (no Content-Length, not
     chunked: `scrapers/transport.py`), and the site's `Check` for its kind (built with
     `lists_something`, `has_text` or `any_page`).
Out: `page_problem(content, check, ended_by_close)` -> None for a usable page, else a short,
     groupable reason: "empty page", "truncated page (...)", or the reason of the kind's check:
     "index lists no episode", "no transcript text in the page", "the parser failed (...)".

A page is complete when the transport says so (`scrapers/http.py` refuses and retries a body cut
short), and usable when the site's parser finds what it needs in it. A closing `</body>` or
`</html>` is never required of a page whose length the transport knew: the real livesinabox
season 10 pages have neither (docs/sites.md §3.2). Only a body that the server's close ended
(where a cut cannot be told from the end) must show its end in the page: one of the site's
`ends` marks, which are the closing tags or the site's own footer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from scrapers.decode import decode_bytes

CLOSING_TAGS = rb"</\s*(?:body|html)\s*>"
ENDED_BY_CLOSE = "truncated page (no length given, and the page does not reach its end)"


def page_ends(*marks: bytes) -> re.Pattern[bytes]:
    """What shows that a page reached its end: a closing tag, or any of the site's `marks`."""
    return re.compile(b"|".join((CLOSING_TAGS, *marks)), re.IGNORECASE)


@dataclass(frozen=True)
class Check:
    """What a site needs of one kind of page: `usable(content)` -> None or why not; `ends`, the
    marks of a page's end, asked for only when the server's close ended the body."""
    usable: Callable[[bytes], str | None] | None = None
    ends: re.Pattern[bytes] = page_ends()


def page_problem(content: bytes, check: Check | None = None, ended_by_close: bool = False) -> str | None:
    """Why `content` is not a usable page (None when it is): empty, without its end when only a
    close ended it, or failing `check`."""
    if not content.strip():
        return "empty page"
    check = check or Check()
    if ended_by_close and not check.ends.search(content):
        return ENDED_BY_CLOSE
    try:
        return check.usable(content) if check.usable is not None else None
    except Exception as error:  # a page that breaks a parser is a bad page, not the end of the scrape
        return f"the parser failed ({type(error).__name__}: {error})"


def any_page(ends: re.Pattern[bytes] = page_ends()) -> Check:
    """Any page that is not empty (a detail page: what it links to is checked when followed)."""
    return Check(None, ends)


def lists_something(parse: Callable[[str, str], list], url: str, reason: str,
                    ends: re.Pattern[bytes] = page_ends()) -> Check:
    """A check that `parse(html, url)` finds an entry in the page (an index, a show page)."""
    return Check(lambda content: None if parse(decode_bytes(content), url) else reason, ends)


def has_text(transcript_text: Callable[[bytes], str], ends: re.Pattern[bytes] = page_ends()) -> Check:
    """A check that the site's parser finds a transcript in the page."""
    return Check(lambda content: None if transcript_text(content).strip() else "no transcript text in the page",
                 ends)
