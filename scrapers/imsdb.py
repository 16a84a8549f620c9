"""IMSDb TV transcripts: show page -> episode detail pages -> transcript pages; and the site's
entry points `list_episodes`/`fetch_episode`, which add the movies of `scrapers/imsdb_movies.py`.

In: the site's base URL (https://imsdb.com, or the loopback sample site) and `scrape.imsdb` params
(`shows`, `movies`, `movie_limit`).
Out: listings `{site, show, season, episodes: [n], title, url}` in show-page order, where `url` is
the episode detail page and n the position within its series (1-based), followed by the movie
listings (`kind: "movie"`); then, per listing, the transcript or script page stored raw and its
`episodes.json` item, or None (recorded in the manifest, with the reason) when there is none.

Chain (docs: /work/shared/docs/sites.md section 2):
    /TV/<Show>.html                 `<h2>Series N</h2>`, then one `<p>` per episode whose first `<a>`
                                    points into /TV Transcripts/
    /TV Transcripts/<...> Script.html   `table.script-details`, link into /transcripts/
    /transcripts/<...>.html         the transcript (td.scrtext > pre), stored as received
Hrefs carry literal spaces, `?`, `&` and `'`; `quote_url` turns them into a requestable URL.
"""
from __future__ import annotations

import re
from typing import Callable
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup

from scrapers.crawl import Crawl, episode_record
from scrapers.http import decode_page, quote_url

SITE = "imsdb"
SERIES_HEADING = re.compile(r"\bSeries\s*(\d+)", re.IGNORECASE)
EPISODE_PATH_PREFIX = "/TV Transcripts/"
# The show page's file name where it differs from the show's name.
SHOW_FILE_NAMES = {"Stargate SG-1": "Stargate SG1"}


def show_page_url(base_url: str, show: str) -> str:
    return quote_url(base_url, f"/TV/{SHOW_FILE_NAMES.get(show, show)}.html")


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


def parse_show_page(html: str, page_url: str) -> list[dict]:
    """Episodes of a show page in document order: `{season, episode, title, url}`.

    `url` is the absolute, quoted URL of the episode detail page. Episodes listed before any
    "Series N" heading get season 0; a detail page linked twice is listed once.
    """
    soup = BeautifulSoup(html, "html.parser")
    season, number, seen, episodes = 0, 0, set(), []
    for tag in soup.find_all(["h2", "p"]):
        if tag.name == "h2":
            heading = SERIES_HEADING.search(link_text(tag))
            if heading:
                season, number = int(heading.group(1)), 0
            continue
        found = paragraph_link(tag, page_url, EPISODE_PATH_PREFIX)
        if found is None or found[1] in seen:
            continue
        title, url = found
        seen.add(url)
        number += 1
        episodes.append({"season": season, "episode": number, "title": title, "url": url})
    return episodes


def parse_episode_page(html: str, page_url: str) -> str | None:
    """The absolute, quoted URL of the transcript linked from an episode detail page, or None."""
    soup = BeautifulSoup(html, "html.parser")
    link = (soup.select_one('table.script-details a[href^="/transcripts/"]')
            or soup.select_one('p[align="center"] a[href]'))
    return quote_url(page_url, link["href"]) if link else None


def list_episodes(crawl: Crawl, base_url: str, site_params: dict, *, limit: int = 0) -> list[dict]:
    """The TV listings (the first `limit` of them if limit > 0), then the movie listings when
    `site_params["movies"]` is not "none" (at most `movie_limit` of them, see imsdb_movies)."""
    # Imported here, not at the top: imsdb_movies builds on this module's helpers.
    from scrapers import imsdb_movies

    return list_tv_episodes(crawl, base_url, site_params, limit=limit) + imsdb_movies.list_movies(
        crawl, base_url, site_params)


def fetch_episode(crawl: Crawl, listing: dict) -> dict | None:
    """The `episodes.json` item of a TV or movie listing, or None (recorded) if there is no page."""
    from scrapers import imsdb_movies

    if listing.get("kind") == "movie":
        return imsdb_movies.fetch_movie(crawl, listing)
    return fetch_linked_page(crawl, listing, detail_kind="episode", page_kind="transcript",
                             find_link=parse_episode_page)


def list_tv_episodes(crawl: Crawl, base_url: str, site_params: dict, *, limit: int = 0) -> list[dict]:
    """Fetch (or reuse) each show page in `site_params["shows"]` and list its episodes (the first
    `limit` of them if limit > 0); a missing show page is recorded."""
    listings = []
    for show in site_params.get("shows", []):
        url = show_page_url(base_url, show)
        page = crawl.page(url, kind="show", show=show)
        if page is None:
            continue
        for episode in parse_show_page(decode_page(page), url):
            listings.append({"site": SITE, "show": show, "season": episode["season"],
                             "episodes": [episode["episode"]], "title": episode["title"],
                             "url": episode["url"]})
    return listings[:limit] if limit else listings


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
    detail = crawl.page(listing["url"], kind=detail_kind, **about)
    if detail is None:
        return None
    url = find_link(decode_page(detail), listing["url"])
    reason = unusable_link_reason(url, detail_kind=detail_kind, page_kind=page_kind)
    if reason is not None:
        crawl.skip(url or listing["url"], kind=page_kind, reason=reason, **about)
        return None
    if crawl.page(url, kind=page_kind, **about) is None:
        return None
    return episode_record(listing, url, crawl.store.relative_path(url))
