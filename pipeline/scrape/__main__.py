"""DVC stage `scrape`: `python -m pipeline.scrape OFFLINE_SITE RAW_DIR` (dvc.yaml passes the paths).

In: params `scrape.*`; with `scrape.source: offline`, the bundled site in OFFLINE_SITE
(its old name, `sample_site`, is read from `offline_site` with a message, for one release); with
`scrape.source: text`, the files named by `scrape.text.path` and `scrape.text.pattern`.
Out: `RAW_DIR/<source>/<site>/{pages/, manifest.jsonl, episodes.json}` (docs/contracts.md); a
summary per site on stdout; exit code 0, or 1 when a site yielded no usable page or more than
`scrape.max_failed_fraction` of its pages failed (what was fetched is kept), 130 when stopped by
Ctrl-C, SIGTERM or SIGHUP (one line on stderr says what was kept and how to resume).
The sites are scraped by `scrapers/run.py`; text files are recorded by `pipeline/scrape/text.py`
(exit code 1, with what was stored left as it was, when the path is missing, no file matches or a
file is not text).
"""
import argparse
import sys
from pathlib import Path

from common.params import ParamsError, load_settings
from common.settings import ScrapeSettings
from pipeline.scrape.text import SOURCE as TEXT, TextSourceError, store_texts, summary
from scrapers.run import INTERRUPTED, run_main, scrape, stop_signals, stopped_line

RESUME = "run `dvc repro` again to resume"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.scrape", description=__doc__.splitlines()[0])
    parser.add_argument("offline_site", type=Path, help="the bundled offline site (used with scrape.source: offline)")
    parser.add_argument("raw_dir", type=Path, help="where the pages are stored, one folder per source and site")
    args = parser.parse_args(argv)

    try:
        with stop_signals():
            settings = load_settings(ScrapeSettings)
            if settings.source == TEXT:  # no site, no network: the files are recorded as they are
                print(summary(store_texts(settings.text, args.raw_dir), settings.text))
                sys.exit(0)
    except (ParamsError, TextSourceError) as error:
        print(f"scrape: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt as error:   # the text store is rebuilt aside: a stopped run leaves it as it was
        print(stopped_line("scrape", error, RESUME), file=sys.stderr)
        sys.exit(INTERRUPTED)
    sys.exit(run_main("scrape", lambda: (scrape(settings, args.raw_dir, args.offline_site),
                                         settings.max_failed_fraction), RESUME))


if __name__ == "__main__":
    main()
