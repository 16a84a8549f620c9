"""Benchmark: scraping both sites in parallel vs one after the other, and what a rerun asks for.

In: the bundled `offline_site/` (both sites), each served on 127.0.0.1 by a ThreadingHTTPServer that
waits `--latency` seconds (default 50 ms) before every answer; the `scrape` params of params.yaml
with delay 0 and no limit.
Out: human-readable lines, then ONE JSON line with `parallel_speedup` (pages/s of both sites at once
over pages/s of one site after the other), `stored_rerun_requests` (requests other than robots.txt
that a rerun over a complete store makes; must be 0) and the measurements behind them.

Both modes call the stage's own `scrapers.run.scrape_sites` in this process, alternating which
goes first, each into a fresh directory; the median of `--repeats` runs is reported. One request
at a time per host means the parallel run can at best take as long as the larger site alone.

Run: `.venv/bin/python bench/scrape.py [--latency 0.05] [--repeats 3]`; results in BENCHMARKS.md.
"""
import argparse
import json
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "tests"))  # the recording test server lives with the tests

from common.params import load_settings  # noqa: E402
from common.settings import ScrapeSettings  # noqa: E402
from loopback import recording_handler  # noqa: E402
from scrapers.run import scrape_sites, site_urls  # noqa: E402
from scrapers.offline_site import serve_directory  # noqa: E402
from scrapers.urls import rebase  # noqa: E402

SITES = ["imsdb", "livesinabox"]


def scrape(settings: ScrapeSettings, urls: dict[str, str], out_dir: Path, together: bool) -> tuple[float, int]:
    """Seconds taken and pages fetched, scraping `urls` in one call (together) or one call per site."""
    batches = [urls] if together else [{site: url} for site, url in urls.items()]
    started = time.perf_counter()
    reports = [report for batch in batches
               for report in scrape_sites(settings, batch, out_dir, progress=False, only_hosts={"127.0.0.1"}).values()]
    elapsed = time.perf_counter() - started
    if any(report.crawl.counts["failed"] or report.crawl.counts["skipped"] for report in reports):
        raise SystemExit("bench: some offline pages failed or were skipped; is offline_site/ complete?")
    return elapsed, sum(report.crawl.counts["fetched"] for report in reports)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds before each answer (default: 0.05)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per mode; the median is reported (default: 3)")
    args = parser.parse_args()

    settings = replace(load_settings(ScrapeSettings, PROJECT / "params.yaml"), sites=tuple(SITES), delay=0, limit=0)
    logs: dict[str, list[str]] = {site: [] for site in SITES}
    with ExitStack() as servers, tempfile.TemporaryDirectory(prefix="bench-scrape-") as scratch:
        bases = {site: servers.enter_context(serve_directory(PROJECT / "offline_site" / site,
                                                             handler=recording_handler(logs[site], latency=args.latency)))
                 for site in SITES}
        urls = {site: rebase(url, bases[site]) for site, url in site_urls(settings).items()}
        timings = {"sequential": [], "parallel": []}
        pages = set()
        for repeat in range(args.repeats):
            order = ["sequential", "parallel"] if repeat % 2 == 0 else ["parallel", "sequential"]
            for mode in order:
                elapsed, fetched = scrape(settings, urls, Path(scratch) / f"{mode}-{repeat}", mode == "parallel")
                timings[mode].append(elapsed)
                pages.add(fetched)
                print(f"run {repeat + 1} {mode:>10}: {fetched} pages in {elapsed:.2f} s "
                      f"({fetched / elapsed:.1f} pages/s)")
        if len(pages) != 1:
            raise SystemExit(f"bench: runs fetched different numbers of pages: {sorted(pages)}")
        page_count = pages.pop()
        per_site = {site: sum(1 for path in logs[site] if path != "/robots.txt") // (2 * args.repeats)
                    for site in SITES}

        for log in logs.values():
            log.clear()
        scrape(settings, urls, Path(scratch) / f"parallel-{args.repeats - 1}", together=True)
        rerun_paths = [path for log in logs.values() for path in log]

    sequential, parallel = statistics.median(timings["sequential"]), statistics.median(timings["parallel"])
    result = {
        "latency_s": args.latency,
        "repeats": args.repeats,
        "pages": page_count,
        "pages_per_site": per_site,
        "sequential_s": round(sequential, 3),
        "parallel_s": round(parallel, 3),
        "sequential_pages_per_s": round(page_count / sequential, 1),
        "parallel_pages_per_s": round(page_count / parallel, 1),
        "parallel_speedup": round(sequential / parallel, 2),
        "ideal_speedup": round(sum(per_site.values()) / max(per_site.values()), 2),
        "stored_rerun_requests": sum(1 for path in rerun_paths if path != "/robots.txt"),
        "stored_rerun_robots_requests": rerun_paths.count("/robots.txt"),
    }
    print(f"median of {args.repeats}: one site after the other {result['sequential_pages_per_s']} pages/s, "
          f"both at once {result['parallel_pages_per_s']} pages/s: speedup {result['parallel_speedup']} "
          f"(ideal {result['ideal_speedup']}, as one host at a time makes the larger site the floor)")
    print(f"rerun over a complete store: {result['stored_rerun_requests']} page requests, "
          f"{result['stored_rerun_robots_requests']} robots.txt requests")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
