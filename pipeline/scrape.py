"""DVC stage `scrape`: download the raw transcript pages of each site into the page store.

In: params `scrape.source, scrape.sites, scrape.delay, scrape.timeout, scrape.retries,
scrape.max_page_bytes, scrape.limit, scrape.imsdb.url, scrape.imsdb.shows, scrape.livesinabox.url`.
Out: `data/raw/<source>/<site>/{pages/, manifest.jsonl, episodes.json}` (docs/contracts.md), and a
one-line summary per site on stdout.

`source: live` checks first that every site is reachable, so that without a network the stage
fails within seconds with a hint. `source: sample` serves `sample_site/` on 127.0.0.1 and runs the
very same client and parsers against it; its `episodes.json` URLs read `sample://<site>/<path>`
because the loopback port changes on every run and the file should not.
Sites are scraped concurrently (a thread each). Pages already stored are reused, never deleted,
so an interrupted or limited run is resumed by running again.
"""
from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tqdm import tqdm

from pipeline.params import ParamsError, load_params
from scrapers import imsdb, livesinabox
from scrapers.crawl import Crawl
from scrapers.http import PoliteClient, ScrapeError, check_reachable
from scrapers.serve import serve_sample_site
from scrapers.store import PageStore

SITE_MODULES = {"imsdb": imsdb, "livesinabox": livesinabox}
PREFLIGHT_SECONDS = 4.0


@dataclass
class SiteReport:
    site: str
    episodes: list[dict] = field(default_factory=list)
    crawl: Crawl | None = None
    episodes_path: Path | None = None

    def summary(self) -> str:
        return (f"{self.site}: {len(self.episodes)} episodes in {self.episodes_path} "
                f"({self.crawl.summary()} pages)")


def site_urls(scrape_params: dict) -> dict[str, str]:
    """The URL each configured site is scraped from, as given in params."""
    return {site: scrape_params[site]["url"] for site in scrape_params["sites"]}


def rebase(url: str, base: str) -> str:
    """`url` with its scheme and host replaced by those of `base` (the sample site's server)."""
    parts = urlsplit(url)
    return base.rstrip("/") + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def scrape(params: dict, raw_dir: Path = Path("data/raw"), progress: bool = True,
           sample_root: Path = Path("sample_site")) -> dict[str, SiteReport]:
    """Scrape every site in `params["scrape"]["sites"]`; return a report per site."""
    scrape_params = params["scrape"]
    urls = site_urls(scrape_params)
    out_dir = Path(raw_dir) / scrape_params["source"]
    if scrape_params["source"] == "sample":
        with serve_sample_site(sample_root, sites=list(urls)) as bases:
            served = {site: rebase(url, bases[site]) for site, url in urls.items()}
            public = {site: (bases[site], f"sample://{site}") for site in urls}
            return scrape_sites(scrape_params, served, out_dir, progress, public, only_hosts={"127.0.0.1"})
    for url in urls.values():
        check_reachable(url, timeout=min(scrape_params["timeout"], PREFLIGHT_SECONDS))
    return scrape_sites(scrape_params, urls, out_dir, progress)


def scrape_sites(scrape_params: dict, urls: dict[str, str], out_dir: Path, progress: bool = True,
                 public_origins: dict[str, tuple[str, str]] | None = None,
                 only_hosts: set[str] | None = None) -> dict[str, SiteReport]:
    """Scrape `urls` ({site: start URL}) concurrently into `out_dir/<site>/`, one thread per site.

    `public_origins` maps a site to (served origin, origin to write in episodes.json instead);
    `only_hosts`, if given, are the only hosts that may be contacted.
    """
    client = PoliteClient(scrape_params["delay"], scrape_params["timeout"], scrape_params["retries"],
                          scrape_params["max_page_bytes"], only_hosts=only_hosts)
    stop = threading.Event()
    with client, ThreadPoolExecutor(max_workers=len(urls)) as pool:
        futures = {site: pool.submit(scrape_site, site, url, Crawl(client, PageStore(out_dir / site)),
                                     scrape_params, progress=progress, position=position, stop=stop,
                                     public_origin=(public_origins or {}).get(site))
                   for position, (site, url) in enumerate(urls.items())}
        try:
            reports, errors = {}, []
            for site, future in futures.items():
                try:
                    reports[site] = future.result()
                except ScrapeError as error:
                    errors.append(error)
        except KeyboardInterrupt:
            stop.set()   # the site threads finish their current page and return
            raise
    for report in reports.values():
        print(report.summary())
    if errors:
        raise errors[0]
    return reports


def scrape_site(site: str, url: str, crawl: Crawl, scrape_params: dict, *, progress: bool = True,
                position: int = 0, stop: threading.Event | None = None,
                public_origin: tuple[str, str] | None = None) -> SiteReport:
    """List the episodes of one site, fetch each (reusing stored pages), write its episodes.json."""
    module = SITE_MODULES[site]
    listings = module.list_episodes(crawl, url, scrape_params[site], limit=scrape_params["limit"])
    if not listings:
        raise ScrapeError(f"{site}: found no episodes at {url} (see {crawl.store.manifest_path}).")
    report = SiteReport(site, crawl=crawl, episodes_path=crawl.store.episodes_path)
    with tqdm(listings, desc=site, unit="episode", position=position, disable=not progress) as bar:
        for listing in bar:
            if stop is not None and stop.is_set():
                return report
            record = module.fetch_episode(crawl, listing)
            if record is not None:
                report.episodes.append(record)
    if public_origin is not None:
        served, public = public_origin
        for record in report.episodes:
            record["url"] = public + record["url"][len(served):]
    crawl.store.write_episodes(report.episodes)
    return report


def main() -> None:
    try:
        scrape(load_params())
    except (ScrapeError, ParamsError) as error:
        print(f"scrape: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("scrape: interrupted; the pages stored so far are kept, run again to resume.", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
