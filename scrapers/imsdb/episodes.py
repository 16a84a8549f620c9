"""IMSDb's episode pages: the site's entry points for the scrapers (`scrapers/sites.py`).

In:  the crawl of the site, its base URL and the `scrape.imsdb` params (`shows`, `movies`, `movie_limit`).
Out: `check_settings` (a ScrapeError naming the keys when they ask for nothing); `list_episodes` -> the TV listings (`tv.py`), then the movie listings (`movies.py`) when
     `scrape.imsdb.movies` is not "none"; `fetch_episode(listing)` -> its `episodes.json` item, the
     page stored raw, or None (recorded in the manifest, with the reason).
"""
from __future__ import annotations

from common.settings import ImsdbSettings
from scrapers.crawl import Crawl
from scrapers.http import ScrapeError
from scrapers.imsdb import movies, tv
from scrapers.imsdb.links import SITE  # noqa: F401  (the site's name, part of its interface)


def check_settings(settings: ImsdbSettings) -> None:
    """ScrapeError, naming the keys, when the settings ask for nothing at all (checked before any request)."""
    if not settings.shows and settings.movies == movies.NO_MOVIES:
        raise ScrapeError(
            "scrape.imsdb.shows is empty and scrape.imsdb.movies is none, so there is nothing to scrape on "
            f"IMSDb: name a show in scrape.imsdb.shows ({', '.join(tv.SHOWS)}), set scrape.imsdb.movies to "
            "all or a genre such as Comedy, or take imsdb out of scrape.sites")


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
