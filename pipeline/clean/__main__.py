"""DVC stage `clean`: `python -m pipeline.clean RAW_DIR CORPUS_DIR` (dvc.yaml passes the paths).

In:  `RAW_DIR/<source>/<site>/episodes.json` and the pages it lists; params `scrape.source`,
     `clean.ascii`, `clean.min_char_count`, `clean.val_fraction`, `clean.max_skipped_fraction`.
Out: `CORPUS_DIR/{train,val}.txt`, `vocab.json` and `stats.json` (see `pipeline/clean/build.py`);
     one summary line on stdout. Exit code 1, with CORPUS_DIR left as it was, on a bad params file,
     no text at all, or more than `clean.max_skipped_fraction` of a site's pages without text
     (the error lists them and says what to do).

`python -m pipeline.clean --page FILE --site imsdb|livesinabox|text [--ascii|--no-ascii]` prints one
saved page (or, with `--site text`, any text file) as it would appear in the corpus (`clean.ascii`
from params.yaml unless given), to see what a cleaning change does to it.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common.params import ParamsError, load_settings, params_file_here
from common.settings import CleanSettings
from pipeline.clean.build import PARSERS, build_corpus, clean_page, report
from pipeline.clean.corpus import CleanError
from pipeline.clean.text import TEXT


def show_page(page: Path, site: str, ascii: bool | None) -> int:
    """Print one saved page as it would appear in the corpus; 1 when it yields no text."""
    ascii = load_settings(CleanSettings, params_file_here()).ascii if ascii is None else ascii
    text, _, _, reason = clean_page((site, str(page), ascii))
    if not text:
        report(f"{page}: {reason}")
        return 1
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()
    return 0


def _arguments(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.clean",
        description="With RAW_DIR and CORPUS_DIR: the DVC `clean` stage (reads params.yaml and RAW_DIR, "
                    "writes CORPUS_DIR). With --page: print one saved page exactly as it would appear in the "
                    "corpus (same decoding and parsing, ASCII-folded if clean.ascii is on), and stop. "
                    "Only corpus-wide steps are left out: dropping rare characters and the split.")
    parser.add_argument("raw_dir", type=Path, nargs="?", help="the scraped pages (data/raw in dvc.yaml)")
    parser.add_argument("corpus_dir", type=Path, nargs="?", help="where the corpus goes (data/corpus)")
    parser.add_argument("--page", type=Path, metavar="FILE",
                        help="a saved page, e.g. one of data/raw/live/imsdb/pages/")
    parser.add_argument("--site", choices=sorted([*PARSERS, TEXT]),
                        help="the site FILE comes from, or text for a plain-text file (needed with --page)")
    parser.add_argument("--ascii", action=argparse.BooleanOptionalAction, default=None,
                        help="with --page: fold to ASCII or not (default: clean.ascii from params.yaml in the "
                             "working directory, else from the project's)")
    args = parser.parse_args(argv)
    if args.page is None and (args.site or args.ascii is not None):
        parser.error("--site and --ascii go with --page; the stage reads its settings from params.yaml")
    if args.page is not None and args.site is None:
        parser.error("--page needs --site imsdb, --site livesinabox or --site text")
    if args.page is None and args.corpus_dir is None:
        parser.error("the stage needs RAW_DIR and CORPUS_DIR (dvc.yaml: data/raw data/corpus), or use --page")
    return args


def main(argv=None) -> int:
    args = _arguments(argv)
    try:
        if args.page is not None:
            return show_page(args.page, args.site, args.ascii)
        stats = build_corpus(args.raw_dir, args.corpus_dir, load_settings(CleanSettings))
    except (ParamsError, CleanError, OSError) as error:
        print(f"clean: error: {error}", file=sys.stderr)
        return 1
    episodes, size = stats["episodes"], stats["bytes"]
    print(f"clean: train {episodes['train']} episodes, {size['train']:,} bytes; "
          f"val {episodes['val']} episodes, {size['val']:,} bytes; vocabulary {stats['vocab_size']} symbols; "
          f"{stats['pages']['skipped']} pages skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
