"""Scrape the configured sites into the page store: what the `scrape` stage and `python -m scrapers` run.

In: the scrape settings (`common.settings.ScrapeSettings`, params `scrape.*`) and the raw directory.
Out: `<raw dir>/<source>/<site>/{pages/, manifest.jsonl, episodes.json}` (docs/contracts.md); a
summary per site on stdout (fetched, already stored, skipped and failed pages, with the reasons
grouped); exit code 0, or 1 when a site yielded no usable page or more than
`scrape.max_failed_fraction` of its pages failed. Partial results are always kept: episodes.json
lists what succeeded, and no stored page is ever deleted.

`source: live` checks first that every site is reachable, so that without a network the stage
fails within seconds with a hint. `source: offline` serves `offline_site/` on 127.0.0.1 and runs the
very same client and parsers against it; its `episodes.json` URLs read `offline://<site>/<path>`
because the loopback port changes on every run and the file should not.
Sites are scraped concurrently (a thread and a progress bar each). Pages already stored are
reused, so an interrupted or limited run is resumed by running again. `python -m scrapers SITE`
runs one site through the same functions (`scrape_sites`, `run_main`).
"""
from __future__ import annotations

import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from typing import Callable

from tqdm import tqdm

from common.params import ParamsError
from common.settings import ScrapeSettings
from scrapers.crawl import Crawl
from scrapers.http import PoliteClient, ScrapeError
from scrapers.offline_site import serve_offline_site
from scrapers.preflight import PREFLIGHT_SECONDS, check_reachable
from scrapers.sites import SITES, check_plan
from scrapers.store import PageStore, StoreError
from scrapers.urls import rebase

OFFLINE = "offline"   # scrape.source: the bundled site, served on 127.0.0.1
INTERRUPTED = 130
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)   # Ctrl-C, `kill`, a closed terminal


class Stopped(KeyboardInterrupt):
    """The run was stopped by a signal; `kept` says what the stopped run left in the store."""

    def __init__(self, how: str = "interrupted", kept: str = ""):
        super().__init__(how)
        self.how, self.kept = how, kept


def _stop(signum, frame) -> None:
    raise Stopped(f"stopped by {signal.Signals(signum).name}")


@contextmanager
def stop_signals():
    """While inside, SIGINT, SIGTERM and SIGHUP (unless ignored, as under `nohup`) raise `Stopped`
    in the main thread, so a scrape stopped by `kill` ends as one stopped by Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    for signum, handler in before.items():
        if handler is not signal.SIG_IGN:
            signal.signal(signum, _stop)
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


@dataclass
class SiteReport:
    site: str
    start_url: str
    crawl: Crawl
    listed: int = 0
    episodes: list[dict] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        head = f"{self.site}: {len(self.episodes)} of {self.listed} episodes in {self.crawl.store.episodes_path}"
        return [head] + [f"  {line}" for line in self.crawl.summary_lines()]

    def problem(self, max_failed_fraction: float) -> str | None:
        """Why this site's scrape counts as failed, or None when it is good enough."""
        counts, manifest = self.crawl.counts, self.crawl.store.manifest_path
        if not self.listed:
            return f"{self.site}: found no episodes at {self.start_url} (see {manifest})"
        if not self.episodes:
            return f"{self.site}: none of its {self.listed} episodes could be fetched (see {manifest})"
        if self.crawl.failed_fraction() > max_failed_fraction:
            lost = round(self.crawl.failed_fraction() * self.crawl.pages)
            given_up = f" (with {lost - counts['failed']} of a host given up)" if lost > counts["failed"] else ""
            return (f"{self.site}: {lost} of {self.crawl.pages} pages failed{given_up} "
                    f"({self.crawl.failed_fraction():.0%}, more than scrape.max_failed_fraction "
                    f"{max_failed_fraction:.0%}); the {len(self.episodes)} episodes fetched are kept, "
                    f"see {manifest}")
        return None


def site_urls(settings: ScrapeSettings) -> dict[str, str]:
    """The URL each configured site is scraped from, as given in params."""
    return {site: settings.site(site).url for site in settings.sites}


def scrape(settings: ScrapeSettings, raw_dir: Path, offline_root: Path, progress: bool = True) -> dict[str, SiteReport]:
    """Scrape every site of `settings.sites` into `raw_dir/<source>/<site>/`; return a report per site.
    `offline_root` is the bundled offline site, served on 127.0.0.1 when `settings.source` is "offline"."""
    urls = site_urls(settings)
    check_plan(settings, urls)
    out_dir = Path(raw_dir) / settings.source
    if settings.source == OFFLINE:
        with serve_offline_site(offline_root, sites=list(urls)) as bases:
            served = {site: rebase(url, bases[site]) for site, url in urls.items()}
            public = {site: (bases[site], f"{OFFLINE}://{site}") for site in urls}
            return scrape_sites(settings, served, out_dir, progress, public, only_hosts={"127.0.0.1"})
    for url in urls.values():
        check_reachable(url, timeout=min(settings.timeout, PREFLIGHT_SECONDS))
    return scrape_sites(settings, urls, out_dir, progress)


def scrape_sites(settings: ScrapeSettings, urls: dict[str, str], out_dir: Path, progress: bool = True,
                 public_origins: dict[str, tuple[str, str]] | None = None,
                 only_hosts: set[str] | None = None, refresh: bool = False,
                 backoff: float = 1.0) -> dict[str, SiteReport]:
    """Scrape `urls` ({site: start URL}) concurrently into `out_dir/<site>/`, one thread per site.

    `public_origins` maps a site to (served origin, origin to write in episodes.json instead);
    `only_hosts`, if given, are the only hosts that may be contacted; `refresh` (or
    `scrape.refresh`) fetches again pages already stored; `backoff` is the first retry's wait in
    seconds (doubled at each retry; a server's Retry-After can ask for more). Each site follows
    links only to the host of its URL and the hosts that redirects lead to.
    """
    check_plan(settings, urls)
    client = PoliteClient(delay=settings.delay, timeout=settings.timeout, retries=settings.retries,
                          max_page_bytes=settings.max_page_bytes, only_hosts=only_hosts, backoff=backoff,
                          deadline=settings.deadline, max_host_failures=settings.max_host_failures)
    stop, stopped = threading.Event(), None
    with client, ThreadPoolExecutor(max_workers=len(urls)) as pool:
        futures = {site: pool.submit(scrape_site, site, url,
                                     Crawl(client, PageStore(out_dir / site), refresh or settings.refresh,
                                           own_hosts={urlsplit(url).hostname}),
                                     settings, progress=progress, position=position, stop=stop,
                                     public_origin=(public_origins or {}).get(site))
                   for position, (site, url) in enumerate(urls.items())}
        try:
            return {site: future.result() for site, future in futures.items()}
        except KeyboardInterrupt as interrupt:
            stop.set()   # the site threads end their current page at once, write episodes.json and return
            client.interrupt()
            stopped = interrupt
    reports = {site: future.result() for site, future in futures.items() if future.exception() is None}
    raise Stopped(getattr(stopped, "how", "interrupted"), kept_line(reports)) from None


def kept_line(reports: dict[str, SiteReport]) -> str:
    """What a stopped run kept, per site: the pages it fetched and the episodes listed."""
    def episodes(report: SiteReport) -> str:
        if not report.listed:
            return "stopped before its episode list was read (episodes.json left as it was)"
        return f"{len(report.episodes)} episodes listed in {report.crawl.store.episodes_path}"

    return "; ".join(f"{site}: {report.crawl.counts['fetched']} pages fetched in this run, {episodes(report)}"
                     for site, report in reports.items())


def scrape_site(site: str, url: str, crawl: Crawl, settings: ScrapeSettings, *, progress: bool = True,
                position: int = 0, stop: threading.Event | None = None,
                public_origin: tuple[str, str] | None = None) -> SiteReport:
    """List the episodes of one site, fetch each (reusing stored pages), write its episodes.json
    with those that succeeded (also when stopped early)."""
    module = SITES[site]
    listings = module.list_episodes(crawl, url, settings.site(site), limit=settings.limit)
    report = SiteReport(site, url, crawl, listed=len(listings))
    with tqdm(listings, desc=site, unit="episode", position=position, disable=not progress) as bar:
        for listing in bar:
            if stop is not None and stop.is_set():
                break
            record = module.fetch_episode(crawl, listing)
            if record is not None:
                report.episodes.append(record)
    if stop is not None and stop.is_set() and not listings:
        return report   # stopped before the episode list was read: episodes.json stays as it was
    if public_origin is not None:
        served, public = public_origin
        for record in report.episodes:
            record["url"] = public + record["url"][len(served):]
    crawl.store.write_episodes(report.episodes)
    return report


def exit_code(reports: dict[str, SiteReport], max_failed_fraction: float, prog: str) -> int:
    """Print each site's summary on stdout and its problem, if any, on stderr; 1 if any, else 0."""
    problems = [report.problem(max_failed_fraction) for report in reports.values()]
    for report in reports.values():
        print("\n".join(report.summary_lines()))
    for problem in filter(None, problems):
        print(f"{prog}: {problem}", file=sys.stderr)
    return 1 if any(problems) else 0


def run_main(prog: str, run: Callable[[], tuple[dict[str, SiteReport], float]],
             resume: str = "run the same command again to resume") -> int:
    """Run `run()` -> (reports, max_failed_fraction) and return the exit code; an expected error
    becomes one line on stderr and exit code 1; Ctrl-C, SIGTERM or SIGHUP one line saying what was
    kept and `resume`, and exit code 130."""
    try:
        with stop_signals():
            reports, max_failed_fraction = run()
    except (ScrapeError, ParamsError, StoreError) as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as error:
        print(stopped_line(prog, error, resume), file=sys.stderr)
        return INTERRUPTED
    return exit_code(reports, max_failed_fraction, prog)


def stopped_line(prog: str, error: KeyboardInterrupt, resume: str) -> str:
    """`scrape: stopped by SIGTERM; kept livesinabox: 3 pages fetched ...; run ... to resume.`"""
    how = getattr(error, "how", "interrupted")
    kept = getattr(error, "kept", "") or "the pages stored so far"
    return f"{prog}: {how}; kept {kept} (nothing stored is lost); {resume}."
