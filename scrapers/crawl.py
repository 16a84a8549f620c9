"""One site's crawl: pages come from the store when present, else from the network and into it.

In: a `PoliteClient` (shared by all sites), the `PageStore` of one site, whether to refresh
(fetch again pages already stored), and the site's own hosts (those its URL names).
Out: page bytes (or None when there are none), every fetch attempt logged in the store's manifest,
and per outcome — fetched, reused (already stored), skipped (robots.txt, refused, no transcript
link, a link to another host, a host given up), failed (HTTP or network errors, an unusable page)
— a count and, for skipped and failed, the reasons grouped with counts, for the end-of-run summary
and the stage's exit code.

A page enters the store only when `scrapers/usable.py` finds it usable; a stored page that is not
(written by an older version) counts as missing and is fetched again. A refresh replaces a stored
page only with a usable one. Links are followed only to the site's own hosts and the hosts they
redirect to: the store is keyed by path (`scrapers/store.py`), and another host's page must never
take the place of one of the site's.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scrapers.usable import Check, page_problem
from scrapers.faults import HOST_GIVEN_UP
from scrapers.http import PoliteClient
from scrapers.transport import CLOSE
from scrapers.store import PageStore

OUTCOMES = ("fetched", "reused", "skipped", "failed")
OUTCOME_LABELS = {"fetched": "fetched", "reused": "already stored", "skipped": "skipped", "failed": "failed"}


@dataclass
class Crawl:
    client: PoliteClient
    store: PageStore
    refresh: bool = False
    own_hosts: set[str] = field(default_factory=set)   # empty: any host (a crawl of single pages)
    counts: Counter = field(default_factory=Counter)
    reasons: dict[str, Counter] = field(default_factory=lambda: {"skipped": Counter(), "failed": Counter()})
    # URLs requested in this run: a page linked twice is fetched once, even when refreshing.
    requested: set[str] = field(default_factory=set)

    def page(self, url: str, kind: str, check: Check | None = None, **about) -> bytes | None:
        """The usable bytes of `url` (see `scrapers/usable.py`; `check` is the kind's own test);
        `about` (show, season, episodes, title) goes into the manifest.

        When refreshing, a stored page is fetched again; if that fails or the new copy is not
        usable, the stored bytes are kept and returned, and the failure is counted and recorded.
        """
        host = urlsplit(url).hostname
        if self.own_hosts and host not in self.own_hosts:
            self.skip(url, kind, "link to another host", error=f"{url}: {host} is not one of the site's hosts "
                      f"({', '.join(sorted(self.own_hosts))}); not followed", **about)
            return None
        stored = self.store.get(url)
        unusable = page_problem(stored, check) if stored is not None else None
        if unusable:
            stored = None   # stored by an older version that took it for good: fetch it again
        if stored is not None and (not self.refresh or url in self.requested):
            self.counts["reused"] += 1
            return stored
        self.requested.add(url)
        result = self.client.fetch(url)
        problem = page_problem(result.content, check, ended_by_close=result.framing == CLOSE) if result.ok else None
        if result.ok and problem is None:
            self.store.put(url, result.content, final_url=result.final_url, status=result.status, kind=kind,
                           outcome="fetched" if stored is None else "refreshed", **about)
            self.counts["fetched"] += 1
            if self.own_hosts and result.final_url:
                self.own_hosts.add(urlsplit(result.final_url).hostname)   # a site's redirect is its own
            return result.content
        outcome, reason = ("failed", problem) if problem else (result.outcome, result.reason)
        error = f"{problem} ({len(result.content)} bytes from {result.final_url})" if problem else result.error
        if stored is not None:
            error += " (refresh failed; the stored copy is kept)"
        elif unusable:
            error += f" (the stored copy is not usable either: {unusable})"
        self._count(outcome, reason)
        self.store.record(url, final_url=result.final_url, status=result.status, kind=kind,
                          outcome=outcome, reason=reason, error=error, **about)
        return stored

    def skip(self, url: str, kind: str, reason: str, error: str | None = None, **about) -> None:
        """Log a page we chose not to fetch (e.g. an episode page with no transcript link)."""
        self.store.record(url, kind=kind, outcome="skipped", reason=reason, error=error or reason, **about)
        self._count("skipped", reason)

    def _count(self, outcome: str, reason: str | None) -> None:
        self.counts[outcome] += 1
        self.reasons[outcome][reason or "unknown"] += 1

    @property
    def pages(self) -> int:
        """Every page this crawl dealt with, whatever came of it."""
        return sum(self.counts[outcome] for outcome in OUTCOMES)

    def failed_fraction(self) -> float:
        """Failed pages, and those of a host given up (skipped, but not by choice), over all pages."""
        lost = self.counts["failed"] + self.reasons["skipped"][HOST_GIVEN_UP]
        return lost / self.pages if self.pages else 0.0

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
