"""livesinabox.com "Crazy For Friends": one index page -> one page per episode (or two).

In: the index URL (http://www.livesinabox.com/friends/scripts.shtml, a mirror, or the loopback
offline site).
Out: listings `{site, show, season, episodes, title, url}` in index order, one per distinct page
(deduplicated by absolute URL), where `episodes` holds every number whose index entry points at
that page (e.g. [923, 924]); then, per listing, the page stored raw and its `episodes.json` item,
or None (recorded).

The index's entries are `<li><a href="season1/101xxx.htm">Episode 101: The One ...</a>` (docs/sites.md
§3.1): "Epsiode"/"Episdoe" typos, ranges in one label ("212-213", "1017 & 1018"), two
entries sharing one page (923, 924), a normal and an "uncut" page for one episode (423), season 10
at the /friends/ root, and some 40 navigation links before the first episode. File names are
arbitrary mnemonics, so season and episode come from the label, never from the href. A link that
looks like an episode page but whose label has no episode number is recorded as skipped, so no
episode goes missing silently.
"""
from __future__ import annotations

import re
from typing import Iterator
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from common.settings import LivesinaboxSettings
from scrapers.usable import has_text, lists_something, page_ends
from scrapers.crawl import Crawl, episode_record
from scrapers.decode import decode_bytes
from scrapers.livesinabox.parse import transcript_text

SITE = "livesinabox"
SHOW = "Friends"
INDEX_FILE = "scripts.shtml"
# "Episode 101: Title", "Epsiode 414: ...", "Ep. 212-213: ...", "Episodes 1017 & 1018: ..."
EPISODE_LABEL = re.compile(r"\bep\w*\.?\s*#?\s*(\d{3,4})(?:\s*(?:-|&|and)\s*(\d{3,4}))?\s*:\s*(.+)",
                           re.IGNORECASE)
# seasonN/<anything>.htm(l) or a season-10 style <digits>....shtml at the index's level
EPISODE_PAGE_PATH = re.compile(r"/(?:season\d+/[^/]+|\d{3,4}[^/]*)\.s?html?$", re.IGNORECASE)
# The end of a page, asked of a body only the server's close ended (scrapers/usable.py): the
# closing tags, or the site footer that ends the season 10 pages, which have neither (§3.2).
PAGE_ENDS = page_ends(rb"best\s+viewed\s+at")


def index_url(folder_url: str) -> str:
    """The index page inside a folder URL such as http://www.livesinabox.com/friends/."""
    return urljoin(folder_url if folder_url.endswith("/") else folder_url + "/", INDEX_FILE)


def folder_url(page_url: str) -> str:
    """The folder holding a page: http://host/friends/scripts.shtml -> http://host/friends/."""
    return urljoin(page_url, ".")


def _index_links(html: str, page_url: str) -> Iterator[tuple[str, str]]:
    """(absolute URL, label text with whitespace collapsed) of every list link on the index."""
    for link in BeautifulSoup(html, "html.parser").select("li a[href]"):
        yield urljoin(page_url, link["href"].strip()), " ".join(link.get_text(" ").split())


def parse_index(html: str, page_url: str) -> list[dict]:
    """Episode pages linked from the index, deduplicated by absolute URL, in index order."""
    by_url: dict[str, dict] = {}
    for url, text in _index_links(html, page_url):
        label = EPISODE_LABEL.search(text)
        if label is None:
            continue
        numbers = [int(number) for number in label.group(1, 2) if number]
        if url in by_url:
            listing = by_url[url]
            listing["episodes"] = sorted(set(listing["episodes"]) | set(numbers))
            continue
        by_url[url] = {"site": SITE, "show": SHOW, "season": numbers[0] // 100, "episodes": numbers,
                       "title": label.group(3).strip(), "url": url}
    return list(by_url.values())


def unnumbered_episode_links(html: str, page_url: str) -> list[str]:
    """Links shaped like an episode page whose label (nor any other label for it) has no number."""
    listed = {listing["url"] for listing in parse_index(html, page_url)}
    found = dict.fromkeys(url for url, _ in _index_links(html, page_url)
                          if url not in listed and EPISODE_PAGE_PATH.search(urlsplit(url).path))
    return list(found)


def list_episodes(crawl: Crawl, page_url: str, settings: LivesinaboxSettings | None = None, *,
                  limit: int = 0) -> list[dict]:
    """The episode pages linked from the index (the first `limit` of them if limit > 0)."""
    page = crawl.page(page_url, kind="index", show=SHOW,
                      check=lists_something(parse_index, page_url, "index lists no episode", PAGE_ENDS))
    if page is None:
        return []
    html = decode_bytes(page)
    for url in unnumbered_episode_links(html, page_url):
        crawl.skip(url, kind="transcript", reason="index link without an episode number", show=SHOW)
    listings = parse_index(html, page_url)
    return listings[:limit] if limit else listings


def fetch_episode(crawl: Crawl, listing: dict) -> dict | None:
    about = {key: listing[key] for key in ("show", "season", "episodes", "title")}
    if crawl.page(listing["url"], kind="transcript", check=has_text(transcript_text, PAGE_ENDS), **about) is None:
        return None
    return episode_record(listing, listing["url"], crawl.store.relative_path(listing["url"]))
