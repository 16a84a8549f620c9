"""DVC stage `clean`: `python -m pipeline.clean`.

In:  `data/raw/<source>/<site>/episodes.json` and the pages it lists; params `scrape.source`,
     `clean.ascii`, `clean.min_char_count`, `clean.val_fraction`.
Out: `data/corpus/{train,val}.txt`, `vocab.json` and `stats.json` (see `pipeline/clean/build.py`);
     one summary line on stdout.

`python -m pipeline.clean --page FILE --site imsdb|livesinabox [--ascii|--no-ascii]` prints one saved
page as it would appear in the corpus (`clean.ascii` from ./params.yaml unless given), to see what a
cleaning change does to it.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from common.params import ParamsError, load_params
from pipeline.clean.build import PARSERS, build_corpus, clean_page, report
from pipeline.clean.corpus import CleanError


def _ascii_from_params(path: Path = Path("params.yaml")) -> bool:
    """`clean.ascii` from a params file if there is one (only that key is read), else True."""
    if not path.exists():
        return True
    try:
        params = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        value = (params.get("clean") or {}).get("ascii", True)
    except (OSError, yaml.YAMLError, AttributeError) as error:
        raise ParamsError(f"{path}: cannot read clean.ascii ({error})") from None
    if not isinstance(value, bool):
        raise ParamsError(f"{path}: 'clean.ascii' is {value!r}; it must be true or false.")
    return value


def show_page(page: Path, site: str, ascii: bool | None) -> int:
    """Print one saved page as it would appear in the corpus; 1 when it yields no text."""
    ascii = _ascii_from_params() if ascii is None else ascii
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
        description="Without options: the DVC `clean` stage (reads params.yaml and data/raw/, writes "
                    "data/corpus/). With --page: print one saved page exactly as it would appear in the "
                    "corpus (same decoding and parsing, ASCII-folded if clean.ascii is on), and stop. "
                    "Only corpus-wide steps are left out: dropping rare characters and the split.")
    parser.add_argument("--page", type=Path, metavar="FILE",
                        help="a saved page, e.g. one of data/raw/live/imsdb/pages/")
    parser.add_argument("--site", choices=sorted(PARSERS),
                        help="the site FILE comes from (needed with --page)")
    parser.add_argument("--ascii", action=argparse.BooleanOptionalAction, default=None,
                        help="with --page: fold to ASCII or not (default: clean.ascii from ./params.yaml "
                             "if present, else on)")
    args = parser.parse_args(argv)
    if args.page is None and (args.site or args.ascii is not None):
        parser.error("--site and --ascii go with --page; the stage reads its settings from params.yaml")
    if args.page is not None and args.site is None:
        parser.error("--page needs --site imsdb or --site livesinabox")
    return args


def main(argv=None) -> int:
    args = _arguments(argv)
    try:
        if args.page is not None:
            return show_page(args.page, args.site, args.ascii)
        params = load_params()
        stats = build_corpus(Path("data/raw"), Path("data/corpus"), source=params["scrape"]["source"],
                             ascii=params["clean"]["ascii"], min_char_count=params["clean"]["min_char_count"],
                             val_fraction=params["clean"]["val_fraction"])
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
