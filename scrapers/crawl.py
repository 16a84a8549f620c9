"""One site's crawl: pages come from the store when present, else from the network and into it.

In: a `PoliteClient` (shared by all sites), the `PageStore` of one site, and whether to refresh
(fetch again pages already stored, replacing them only with a complete new copy).
Out: page bytes (or None when there are none), every fetch attempt logged in the store's manifest,
and per outcome — fetched, reused (already stored), skipped (robots.txt, refused, no transcript
link), failed (HTTP or network errors) — a count and, for skipped and failed, the reasons grouped
with counts, for the end-of-run summary and the stage's exit code.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from scrapers.http import PoliteClient
from scrapers.store import PageStore

OUTCOMES = ("fetched", "reused", "skipped", "failed")
OUTCOME_LABELS = {"fetched": "fetched", "reused": "already stored", "skipped": "skipped", "failed": "failed"}


@dataclass
class Crawl:
    client: PoliteClient
    store: PageStore
    refresh: bool = False
    counts: Counter = field(default_factory=Counter)
    reasons: dict[str, Counter] = field(default_factory=lambda: {"skipped": Counter(), "failed": Counter()})
    # URLs requested in this run: a page linked twice is fetched once, even when refreshing.
    requested: set[str] = field(default_factory=set)

    def page(self, url: str, kind: str, **about) -> bytes | None:
        """The bytes of `url`; `about` (show, season, episodes, title) goes into the manifest.

        When refreshing, a stored page is fetched again; if that fails, the stored bytes are
        kept and returned, and the failure is counted and recorded.
        """
        stored = self.store.get(url)
        if stored is not None and (not self.refresh or url in self.requested):
            self.counts["reused"] += 1
            return stored
        self.requested.add(url)
        result = self.client.fetch(url)
        if result.ok:
            self.store.put(url, result.content, final_url=result.final_url, status=result.status, kind=kind,
                           outcome="fetched" if stored is None else "refreshed", **about)
            self.counts["fetched"] += 1
            return result.content
        error = result.error if stored is None else f"{result.error} (refresh failed; the stored copy is kept)"
        self._count(result.outcome, result.reason)
        self.store.record(url, final_url=result.final_url, status=result.status, kind=kind,
                          outcome=result.outcome, reason=result.reason, error=error, **about)
        return stored

    def skip(self, url: str, kind: str, reason: str, **about) -> None:
        """Log a page we chose not to fetch (e.g. an episode page with no transcript link)."""
        self.store.record(url, kind=kind, outcome="skipped", reason=reason, error=reason, **about)
        self._count("skipped", reason)

    def _count(self, outcome: str, reason: str | None) -> None:
        self.counts[outcome] += 1
        self.reasons[outcome][reason or "unknown"] += 1

    @property
    def pages(self) -> int:
        """Every page this crawl dealt with, whatever came of it."""
        return sum(self.counts[outcome] for outcome in OUTCOMES)

    def failed_fraction(self) -> float:
        return self.counts["failed"] / self.pages if self.pages else 0.0

    def summary_lines(self) -> list[str]:
        """`fetched 3, already stored 9, skipped 1, failed 2 (of 15 pages)`, then the reasons."""
        lines = [", ".join(f"{OUTCOME_LABELS[outcome]} {self.counts[outcome]}" for outcome in OUTCOMES)
                 + f" (of {self.pages} pages)"]
        for outcome, reasons in self.reasons.items():
            if reasons:
                lines.append(f"{outcome}: " + "; ".join(f"{count} {reason}" for reason, count in reasons.most_common()))
        return lines


def episode_record(listing: dict, url: str, path: str) -> dict:
    """An `episodes.json` item (docs/contracts.md) for the page of `listing` stored at `path`."""
    record = {key: listing[key] for key in ("site", "show", "season", "episodes", "title")}
    record.update(url=url, path=path)
    record["id"] = f"{listing['site']}/{listing['show']}/{listing['season']}/{listing['episodes'][0]}"
    return record
