"""IMSDb TV transcripts: show page -> episode detail pages -> transcript pages.

In: the site's base URL (https://imsdb.com, or the loopback offline site) and `scrape.imsdb` params
(`shows`).
Out: listings `{site, show, season, episodes: [n], title, url}` in show-page order, where `url` is
the episode detail page and n the position within its series (1-based); then, per listing, the
transcript page stored raw and its `episodes.json` item, or None (recorded in the manifest, with
the reason) when there is none.

Chain (docs/sites.md §2.7, §2.8, §2.5; the URLs in §2.2):
    /TV/<Show>.html                 `<h2>Series N</h2>`, then one `<p>` per episode whose first `<a>`
                                    points into /TV Transcripts/
    /TV Transcripts/<...> Script.html   `table.script-details`, link into /transcripts/
    /transcripts/<...>.html         the transcript (td.scrtext > pre), stored as received
Hrefs carry literal spaces, `?`, `&` and `'`; `quote_url` turns them into a requestable URL.
"""
from __future__ import annotations

import re

from bs4 import BeautifulSoup

from scrapers.usable import lists_something
from scrapers.crawl import Crawl
from scrapers.decode import decode_bytes
from scrapers.urls import quote_url
from scrapers.imsdb.links import PAGE_ENDS, SITE, fetch_linked_page, link_text, paragraph_link

SERIES_HEADING = re.compile(r"\bSeries\s*(\d+)", re.IGNORECASE)
EPISODE_PATH_PREFIX = "/TV Transcripts/"
# The shows IMSDb has transcripts of (its sidebar, docs/sites.md §2.7).
SHOWS = ("Futurama", "Seinfeld", "South Park", "Stargate SG-1", "Lost", "The 4400")
# The show page's file name where it differs from the show's name.
SHOW_FILE_NAMES = {"Stargate SG-1": "Stargate SG1"}


def show_page_url(base_url: str, show: str) -> str:
    return quote_url(base_url, f"/TV/{SHOW_FILE_NAMES.get(show, show)}.html")


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


def list_tv_episodes(crawl: Crawl, base_url: str, shows: tuple[str, ...], *, limit: int = 0) -> list[dict]:
    """Fetch (or reuse) each show page of `shows` and list its episodes (the first `limit` of them
    if limit > 0); a missing show page is recorded."""
    listings = []
    for show in shows:
        url = show_page_url(base_url, show)
        page = crawl.page(url, kind="show", show=show,
                          check=lists_something(parse_show_page, url, "show page lists no episode", PAGE_ENDS))
        if page is None:
            continue
        for episode in parse_show_page(decode_bytes(page), url):
            listings.append({"site": SITE, "show": show, "season": episode["season"],
                             "episodes": [episode["episode"]], "title": episode["title"],
                             "url": episode["url"]})
    return listings[:limit] if limit else listings



def fetch_tv_episode(crawl: Crawl, listing: dict) -> dict | None:
    """Episode detail page -> transcript page; the `episodes.json` item, or None (recorded)."""
    return fetch_linked_page(crawl, listing, detail_kind="episode", page_kind="transcript",
                             find_link=parse_episode_page)
