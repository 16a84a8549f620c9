"""One site's crawl: pages come from the store when present, else from the network and into it.

In: a `PoliteClient` (shared by all sites) and the `PageStore` of one site.
Out: page bytes (or None when there are none), every fetch attempt logged in the store's manifest,
and counts of what happened — fetched, reused (from the store), skipped (robots.txt, refused,
no transcript link), failed (HTTP or network errors) — for the end-of-run summary.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from scrapers.http import PoliteClient
from scrapers.store import PageStore

OUTCOMES = ("fetched", "reused", "skipped", "failed")


@dataclass
class Crawl:
    client: PoliteClient
    store: PageStore
    counts: Counter = field(default_factory=Counter)

    def page(self, url: str, kind: str, **about) -> bytes | None:
        """The bytes of `url`; `about` (show, season, episodes, title) goes into the manifest."""
        stored = self.store.get(url)
        if stored is not None:
            self.counts["reused"] += 1
            return stored
        result = self.client.fetch(url)
        if result.ok:
            self.store.put(url, result.content, final_url=result.final_url, status=result.status,
                           kind=kind, **about)
            self.counts["fetched"] += 1
            return result.content
        self.store.record(url, final_url=result.final_url, status=result.status, kind=kind,
                          error=result.error, **about)
        self.counts[result.outcome] += 1
        return None

    def skip(self, url: str, kind: str, reason: str, **about) -> None:
        """Log a page we chose not to fetch (e.g. an episode page with no transcript link)."""
        self.store.record(url, kind=kind, error=reason, **about)
        self.counts["skipped"] += 1

    def summary(self) -> str:
        return ", ".join(f"{self.counts[outcome]} {outcome}" for outcome in OUTCOMES)


def episode_record(listing: dict, url: str, path: str) -> dict:
    """An `episodes.json` item (docs/contracts.md) for the page of `listing` stored at `path`."""
    record = {key: listing[key] for key in ("site", "show", "season", "episodes", "title")}
    record.update(url=url, path=path)
    record["id"] = f"{listing['site']}/{listing['show']}/{listing['season']}/{listing['episodes'][0]}"
    return record
