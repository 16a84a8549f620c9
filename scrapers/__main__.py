"""`python -m scrapers SITE`: scrape one site into `<out>/<site>/`, exactly as the `scrape` stage does.

In: SITE (imsdb or livesinabox) and the options of `build_parser`. Defaults come from `params.yaml`
in the working directory when there is one, else from DEFAULT_SCRAPE_PARAMS (equal to the
project's params.yaml); so do the settings without an option (timeout, retries, max_page_bytes,
max_failed_fraction, the IMSDb shows and movies).
Out: `<out>/<site>/{pages/, manifest.jsonl, episodes.json}` (docs/contracts.md), the stage's
summary on stdout and its exit code: 0; 1 when the site yielded no usable page or more than
max_failed_fraction of its pages failed (what was fetched is kept), or on a bad params.yaml or an
unreachable host; 130 when interrupted (run again to resume).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlsplit

from common.params import load_params
from scrapers.livesinabox import crawl as livesinabox
from scrapers.preflight import check_reachable
from scrapers.run import PREFLIGHT_SECONDS, run_main, scrape_sites
from scrapers.crawlers import CRAWLERS

PROG = "python -m scrapers"
PARAMS_FILE = Path("params.yaml")
DEFAULT_OUT = Path("data/raw/live")
DEFAULT_SCRAPE_PARAMS = {
    "source": "live",
    "sites": ["imsdb", "livesinabox"],
    "delay": 1.0,
    "timeout": 10.0,
    "retries": 3,
    "max_page_bytes": 5_000_000,
    "limit": 0,
    "max_failed_fraction": 0.2,
    "imsdb": {"url": "https://imsdb.com", "shows": ["South Park"], "movies": "none", "movie_limit": 0},
    "livesinabox": {"url": "http://www.livesinabox.com/friends/scripts.shtml"},
}


def scrape_defaults(params_file: Path = PARAMS_FILE) -> tuple[dict, str]:
    """The `scrape` params group, and where it comes from."""
    if params_file.is_file():
        return load_params(params_file)["scrape"], str(params_file)
    return DEFAULT_SCRAPE_PARAMS, "the built-in defaults"


def default_base_url(site: str, scrape_params: dict) -> str:
    url = scrape_params[site]["url"]
    return livesinabox.folder_url(url) if site == "livesinabox" else url


def start_url(site: str, base_url: str) -> str:
    return livesinabox.index_url(base_url) if site == "livesinabox" else base_url


def _at_least_zero(kind):
    def parse(text: str):
        value = kind(text)
        if value < 0:
            raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
        return value
    return parse


def _http_url(text: str) -> str:
    if urlsplit(text).scheme not in ("http", "https") or not urlsplit(text).hostname:
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {text}")
    return text


def build_parser(scrape_params: dict, source: str) -> argparse.ArgumentParser:
    bases = ", ".join(f"{site} {default_base_url(site, scrape_params)}" for site in CRAWLERS)
    parser = argparse.ArgumentParser(
        prog=PROG, description="Scrape one site into OUT/SITE/ (pages, manifest.jsonl, episodes.json), "
                               "as the scrape stage does; pages already stored are reused.",
        epilog=f"Defaults are read from {source}, as are timeout ({scrape_params['timeout']} s), retries "
               f"({scrape_params['retries']}), max_page_bytes ({scrape_params['max_page_bytes']}), "
               f"max_failed_fraction ({scrape_params['max_failed_fraction']}) and the IMSDb shows and movies. "
               "Exit code 1 when the site yielded no usable page or more than max_failed_fraction of its "
               "pages failed (what was fetched is kept); 130 when interrupted (run again to resume).")
    parser.add_argument("site", metavar="SITE", choices=list(CRAWLERS),
                        help="the site to scrape: imsdb or livesinabox")
    parser.add_argument("--base-url", metavar="URL", type=_http_url,
                        help="where the site is, e.g. a mirror or the sample site (`scriptlm serve-sample`): "
                             "for livesinabox the folder holding scripts.shtml, for imsdb the site root. "
                             f"A run with --base-url contacts no other host (default: {bases})")
    parser.add_argument("--out", metavar="DIR", type=Path, default=DEFAULT_OUT,
                        help="pages, manifest and episode list go to DIR/SITE/ (default: %(default)s)")
    parser.add_argument("--limit", metavar="N", type=_at_least_zero(int), default=scrape_params["limit"],
                        help="at most N episodes; 0 means all of them (default: %(default)s)")
    parser.add_argument("--delay", metavar="SECONDS", type=_at_least_zero(float), default=scrape_params["delay"],
                        help="seconds between two requests to the same host, plus up to 50%% jitter "
                             "(default: %(default)s)")
    parser.add_argument("--refresh", action="store_true",
                        help="fetch again the pages already stored; each is replaced only by a complete "
                             "new copy, and a failed refresh keeps the old one (default: off)")
    return parser


def main(argv: list[str] | None = None) -> None:
    def run():
        scrape_params, source = scrape_defaults()
        args = build_parser(scrape_params, source).parse_args(argv)
        settings = {**scrape_params, "delay": args.delay, "limit": args.limit}
        url = start_url(args.site, args.base_url or default_base_url(args.site, scrape_params))
        check_reachable(url, timeout=min(settings["timeout"], PREFLIGHT_SECONDS))
        reports = scrape_sites(settings, {args.site: url}, args.out, progress=sys.stderr.isatty(),
                               only_hosts={urlsplit(url).hostname} if args.base_url else None,
                               refresh=args.refresh)
        return reports, settings["max_failed_fraction"]

    sys.exit(run_main(PROG, run))


if __name__ == "__main__":
    main()
