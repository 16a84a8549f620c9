"""DVC stage `scrape`: `python -m pipeline.scrape SAMPLE_SITE RAW_DIR` (dvc.yaml passes the paths).

In: params `scrape.*`; with `scrape.source: sample`, the bundled site in SAMPLE_SITE.
Out: `RAW_DIR/<source>/<site>/{pages/, manifest.jsonl, episodes.json}` (docs/contracts.md); a
summary per site on stdout; exit code 0, or 1 when a site yielded no usable page or more than
`scrape.max_failed_fraction` of its pages failed (what was fetched is kept), 130 when interrupted.
The work is done by `scrapers/run.py`.
"""
import argparse
import sys
from pathlib import Path

from common.settings import ScrapeSettings, load_settings
from scrapers.run import run_main, scrape


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.scrape", description=__doc__.splitlines()[0])
    parser.add_argument("sample_site", type=Path, help="the bundled sample site (used with scrape.source: sample)")
    parser.add_argument("raw_dir", type=Path, help="where the pages are stored, one folder per source and site")
    args = parser.parse_args(argv)

    def run():
        settings = load_settings(ScrapeSettings)
        return scrape(settings, args.raw_dir, args.sample_site), settings.max_failed_fraction

    sys.exit(run_main("scrape", run))


if __name__ == "__main__":
    main()
