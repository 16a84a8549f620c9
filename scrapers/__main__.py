"""`python -m scrapers SITE`: scrape one site into `<out>/<site>/`, exactly as the `scrape` stage does.

In: SITE (imsdb or livesinabox) and the options of `build_parser`. The defaults of the options,
and the settings without an option (timeout, deadline, max_host_failures, retries, max_page_bytes,
max_failed_fraction, the IMSDb shows and movies), are the `scrape` settings of `--params` (default: params.yaml in the
working directory, else the project's own), read and checked against the knobs' declarations.
Out: `<out>/<site>/{pages/, manifest.jsonl, episodes.json}` (docs/contracts.md), the stage's
summary on stdout and its exit code: 0; 1 when the site yielded no usable page or more than
max_failed_fraction of its pages failed (what was fetched is kept), or on a bad params file or an
unreachable host; 130 when stopped by Ctrl-C, SIGTERM or SIGHUP, with one line on stderr saying
what was kept (run the same command again to resume).
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from urllib.parse import urlsplit

from common.arguments import knob_help, knob_number
from common.params import load_settings, params_file_here
from common.settings import ScrapeSettings
from scrapers.livesinabox import episodes as livesinabox
from scrapers.preflight import PREFLIGHT_SECONDS, check_reachable
from scrapers.run import run_main, scrape_sites
from scrapers.sites import SITES, check_plan

PROG = "python -m scrapers"
DEFAULT_OUT = Path("data/raw/live")


def default_base_url(site: str, settings: ScrapeSettings) -> str:
    url = settings.site(site).url
    return livesinabox.folder_url(url) if site == "livesinabox" else url


def start_url(site: str, base_url: str) -> str:
    return livesinabox.index_url(base_url) if site == "livesinabox" else base_url


def _http_url(text: str) -> str:
    if urlsplit(text).scheme not in ("http", "https") or not urlsplit(text).hostname:
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {text}")
    return text


def params_option(argv: list[str] | None) -> Path:
    """The --params file named on the command line (read before the other options' defaults)."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--params", type=Path, default=params_file_here())
    return early.parse_known_args(argv)[0].params


def build_parser(settings: ScrapeSettings, source: Path) -> argparse.ArgumentParser:
    bases = ", ".join(f"{site} {default_base_url(site, settings)}" for site in SITES)
    parser = argparse.ArgumentParser(
        prog=PROG, description="Scrape one site into OUT/SITE/ (pages, manifest.jsonl, episodes.json), "
                               "as the scrape stage does; pages already stored are reused.",
        epilog=f"Defaults are read from {source}, as are timeout ({settings.timeout} s), deadline "
               f"({settings.deadline} s), max_host_failures ({settings.max_host_failures}), retries "
               f"({settings.retries}), max_page_bytes ({settings.max_page_bytes}), "
               f"max_failed_fraction ({settings.max_failed_fraction}) and the IMSDb shows and movies. "
               "Exit code 1 when the site yielded no usable page or more than max_failed_fraction of its "
               "pages failed (what was fetched is kept); 130 when stopped by Ctrl-C, SIGTERM or SIGHUP "
               "(what was stored is kept: run the same command again to resume).")
    parser.add_argument("site", metavar="SITE", choices=list(SITES),
                        help="the site to scrape: imsdb or livesinabox")
    parser.add_argument("--base-url", metavar="URL", type=_http_url,
                        help="where the site is, e.g. a mirror or the offline site (`scriptlm serve-offline`): "
                             "for livesinabox the folder holding scripts.shtml, for imsdb the site root. "
                             f"A run with --base-url contacts no other host (default: {bases})")
    parser.add_argument("--out", metavar="DIR", type=Path, default=DEFAULT_OUT,
                        help="pages, manifest and episode list go to DIR/SITE/ (default: %(default)s)")
    parser.add_argument("--limit", metavar="N", type=knob_number("scrape.limit"), default=settings.limit,
                        help=knob_help("scrape.limit", source))
    parser.add_argument("--delay", metavar="SECONDS", type=knob_number("scrape.delay"), default=settings.delay,
                        help=knob_help("scrape.delay", source))
    parser.add_argument("--params", metavar="FILE", type=Path, default=source,
                        help="the params file to read the scrape settings from (default: %(default)s)")
    parser.add_argument("--refresh", action="store_true", default=settings.refresh,
                        help=knob_help("scrape.refresh", source, "on" if settings.refresh else "off"))
    return parser


def main(argv: list[str] | None = None) -> None:
    def run():
        source = params_option(argv)
        defaults = load_settings(ScrapeSettings, source)
        args = build_parser(defaults, source).parse_args(argv)
        settings = dataclasses.replace(defaults, delay=args.delay, limit=args.limit)
        check_plan(settings, [args.site])
        url = start_url(args.site, args.base_url or default_base_url(args.site, settings))
        check_reachable(url, timeout=min(settings.timeout, PREFLIGHT_SECONDS))
        reports = scrape_sites(settings, {args.site: url}, args.out, progress=sys.stderr.isatty(),
                               only_hosts={urlsplit(url).hostname} if args.base_url else None,
                               refresh=args.refresh)
        return reports, settings.max_failed_fraction

    sys.exit(run_main(PROG, run))


if __name__ == "__main__":
    main()
