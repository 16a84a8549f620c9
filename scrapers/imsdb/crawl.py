"""Crawling IMSDb: the site's entry points for the scrapers (`scrapers/crawlers.py`).

In:  the crawl of the site, its base URL and the `scrape.imsdb` params (`shows`, `movies`, `movie_limit`).
Out: `list_episodes` -> the TV listings (`tv.py`), then the movie listings (`movies.py`) when
     `scrape.imsdb.movies` is not "none"; `fetch_episode(listing)` -> its `episodes.json` item, the
     page stored raw, or None (recorded in the manifest, with the reason).
"""
from __future__ import annotations

from common.settings import ImsdbSettings
from scrapers.crawl import Crawl
from scrapers.imsdb import movies, tv
from scrapers.imsdb.links import SITE  # noqa: F401  (the site's name, part of its interface)


def list_episodes(crawl: Crawl, base_url: str, settings: ImsdbSettings, *, limit: int = 0) -> list[dict]:
    """The TV listings (the first `limit` of them if limit > 0), then the movie listings when
    `settings.movies` is not "none" (at most `movie_limit` of them, see movies.py)."""
    return tv.list_tv_episodes(crawl, base_url, settings.shows, limit=limit) + movies.list_movies(
        crawl, base_url, settings.movies, settings.movie_limit)


def fetch_episode(crawl: Crawl, listing: dict) -> dict | None:
    """The `episodes.json` item of a TV or movie listing, or None (recorded) if there is no page."""
    if listing.get("kind") == "movie":
        return movies.fetch_movie(crawl, listing)
    return tv.fetch_tv_episode(crawl, listing)
