"""What IMSDb's TV and movie chains have in common: entry links on list pages, and following a
detail page to the page it links to.

In:  parsed list and detail pages, and the crawl of the site.
Out: `paragraph_link` (an entry's link on a show or list page), `points_into`, and
     `fetch_linked_page` (detail page -> transcript or script page, stored raw; its `episodes.json`
     item, or None with the reason recorded).
"""
from __future__ import annotations

from typing import Callable
from urllib.parse import unquote, urlsplit

from scrapers.usable import any_page, has_text, page_ends
from scrapers.crawl import Crawl, episode_record
from scrapers.decode import decode_bytes
from scrapers.imsdb.parse import transcript_text
from scrapers.urls import quote_url

SITE = "imsdb"
# The end of a page, asked of a body only the server's close ended (scrapers/usable.py): the
# closing tags, the footer's "Contact us" link, or "Back to IMSDb" under a script (§2.1, §2.5).
PAGE_ENDS = page_ends(rb"/contact\.html", rb"Back\s+to\s+IMSDb")


def link_text(tag) -> str:
    return " ".join(tag.get_text(" ").split())


def points_into(url: str, path_prefix: str) -> bool:
    """True when the (quoted) `url` names a page under `path_prefix`, e.g. "/TV Transcripts/"."""
    return unquote(urlsplit(url).path).startswith(path_prefix)


def paragraph_link(paragraph, page_url: str, path_prefix: str) -> tuple[str, str] | None:
    """(text, absolute quoted URL) of the paragraph's first link if it points under `path_prefix`.

    Show and list pages give each entry one `<p>`; the sidebar is tables, so it never matches.
    """
    link = paragraph.find("a")
    if link is None or not link.get("href"):
        return None
    url = quote_url(page_url, link["href"])
    return (link_text(link), url) if points_into(url, path_prefix) else None


def unusable_link_reason(url: str | None, *, detail_kind: str, page_kind: str) -> str | None:
    """Why the link found on a detail page leads to no HTML page worth requesting, or None."""
    if url is None:
        return f"no {page_kind} link on the {detail_kind} page"
    path = urlsplit(url).path
    if path.endswith("/"):
        # e.g. "/scripts/." on the pages of some "&" titles: the link names no file at all
        return f"{page_kind} link points at a folder ({unquote(path)}), not a page"
    if path.lower().endswith(".pdf"):
        return f"{page_kind} is a PDF, not an HTML page"
    if not path.lower().endswith((".html", ".htm")):
        return f"{page_kind} is not an HTML page"
    return None


def fetch_linked_page(crawl: Crawl, listing: dict, *, detail_kind: str, page_kind: str,
                      find_link: Callable[[str, str], str | None]) -> dict | None:
    """Detail page (`listing["url"]`) -> the page `find_link(html, url)` picks on it.

    Returns the `episodes.json` item, or None when the detail or linked page failed (the crawl
    records it) or the link is unusable (recorded as skipped, with the reason).
    """
    about = {key: listing[key] for key in ("show", "season", "episodes", "title")}
    detail = crawl.page(listing["url"], kind=detail_kind, check=any_page(PAGE_ENDS), **about)
    if detail is None:
        return None
    url = find_link(decode_bytes(detail), listing["url"])
    reason = unusable_link_reason(url, detail_kind=detail_kind, page_kind=page_kind)
    if reason is not None:
        crawl.skip(url or listing["url"], kind=page_kind, reason=reason, **about)
        return None
    if crawl.page(url, kind=page_kind, check=has_text(transcript_text, PAGE_ENDS), **about) is None:
        return None
    return episode_record(listing, url, crawl.store.relative_path(url))
