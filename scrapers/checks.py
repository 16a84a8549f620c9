"""Is a fetched page usable? The test a page passes before it enters the store.

In:  the bytes of a page, and the site's own test for its kind (built with `lists_something` or
     `has_text`).
Out: `page_problem(content, check)` -> None for a usable page, else a short, groupable reason:
     "empty page", or the reason of the kind's check: "truncated page (no closing </body> or
     </html>)" (`complete_html`, part of every check the crawlers use), "index lists no episode",
     "no transcript text in the page".

Why: a 200 may carry an empty or cut body (a server that stops sending without a Content-Length
looks complete to HTTP). Stored, such a page would be reused by every later run. Every page of
both sites, in the fixtures and the sample site, ends with `</body></html>`, and the parsers rely
on what comes before it (the end mark, `</pre>`, the details table), so a page without either
closing tag is taken as cut short (docs/sites.md §5).
"""
from __future__ import annotations

import re
from typing import Callable

from scrapers.decode import decode_bytes

Check = Callable[[bytes], "str | None"]
_CLOSING_MARKUP = re.compile(rb"</\s*(?:body|html)\s*>", re.IGNORECASE)


def page_problem(content: bytes, check: Check | None = None) -> str | None:
    """Why `content` is not a usable page (None when it is): empty, or failing `check`."""
    if not content.strip():
        return "empty page"
    try:
        return check(content) if check is not None else None
    except Exception as error:  # a page that breaks a parser is a bad page, not the end of the scrape
        return f"the parser failed ({type(error).__name__}: {error})"


def complete_html(content: bytes) -> str | None:
    """The check of any HTML page of the sites: it must end, i.e. close its body or document."""
    return None if _CLOSING_MARKUP.search(content) else "truncated page (no closing </body> or </html>)"


def lists_something(parse: Callable[[str, str], list], url: str, reason: str) -> Check:
    """A check that the page is complete and `parse(html, url)` finds an entry in it (an index,
    a show page)."""
    return lambda content: complete_html(content) or (None if parse(decode_bytes(content), url) else reason)


def has_text(transcript_text: Callable[[bytes], str]) -> Check:
    """A check that the page is complete and the site's parser finds a transcript in it."""
    return lambda content: complete_html(content) or (
        None if transcript_text(content).strip() else "no transcript text in the page")
