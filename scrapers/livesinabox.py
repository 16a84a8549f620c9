"""livesinabox.com "Crazy For Friends" transcripts: one index page -> one page per episode (or two).

In: the index URL (http://www.livesinabox.com/friends/scripts.shtml, or the loopback sample site).
Out: listings `{site, show, season, episodes, title, url}` in index order, one per distinct page,
where `episodes` holds every number whose index entry points at that page (e.g. [923, 924]); then,
per listing, the page stored raw and its `episodes.json` item, or None (recorded).

The index's entries are `<li><a href="season1/101pilot.htm">Episode 101: The One ...</a>`, with
"Epsiode"/"Episdoe" typos, doubles ("212-213"), and season 10 at the /friends/ root. File names
are arbitrary mnemonics, so season and episode come from the label, never from the href.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin

from bs4 import BeautifulSoup

from scrapers.crawl import Crawl, episode_record
from scrapers.http import decode_page

SITE = "livesinabox"
SHOW = "Friends"
# "Episode 101: Title", "Epsiode 414: ...", "Episode 212-213: ...", "Episodes 1017 & 1018: ..."
EPISODE_LABEL = re.compile(r"\bep\w*?\s*(\d{3,4})(?:\s*(?:-|&|and)\s*(\d{3,4}))?\s*:\s*(.+)",
                           re.IGNORECASE)


def parse_index(html: str, index_url: str) -> list[dict]:
    """Episode pages linked from the index, deduplicated by absolute URL, in index order."""
    soup = BeautifulSoup(html, "html.parser")
    by_url: dict[str, dict] = {}
    for link in soup.select("li a[href]"):
        label = EPISODE_LABEL.search(" ".join(link.get_text(" ").split()))
        if label is None:
            continue
        numbers = [int(number) for number in label.group(1, 2) if number]
        url = urljoin(index_url, link["href"].strip())
        if url in by_url:
            listing = by_url[url]
            listing["episodes"] = sorted(set(listing["episodes"]) | set(numbers))
            continue
        by_url[url] = {"site": SITE, "show": SHOW, "season": numbers[0] // 100, "episodes": numbers,
                       "title": label.group(3).strip(), "url": url}
    return list(by_url.values())


def list_episodes(crawl: Crawl, index_url: str, site_params: dict | None = None, *, limit: int = 0) -> list[dict]:
    """The episode pages linked from the index (the first `limit` of them if limit > 0)."""
    page = crawl.page(index_url, kind="index", show=SHOW)
    listings = [] if page is None else parse_index(decode_page(page), index_url)
    return listings[:limit] if limit else listings


def fetch_episode(crawl: Crawl, listing: dict) -> dict | None:
    about = {key: listing[key] for key in ("show", "season", "episodes", "title")}
    if crawl.page(listing["url"], kind="transcript", **about) is None:
        return None
    return episode_record(listing, listing["url"], crawl.store.relative_path(listing["url"]))
