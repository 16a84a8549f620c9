"""Benchmark: how fast the clean stage turns raw HTML into the corpus, on one core and on several.

In:  the bundled offline site's transcript pages, grown into `--pages` pages of about `--page-kb` KB
     each (the body of each page repeated, plus one line that makes every page unique), written as
     a raw store (`episodes.json` + pages, both sites) in a temporary directory, deleted afterwards.
Out: human-readable lines (MB of HTML per second for the parsers alone, per site, and for the whole
     `build_corpus` with 1 and with `--workers` processes), then ONE JSON line with `mb_per_s`
     (the stage as `dvc repro` runs it, i.e. with its default number of workers) and the rest.

Run: `.venv/bin/python bench/clean.py [--pages 360] [--page-kb 30] [--workers 2] [--repeats 3]`.
The best of `--repeats` runs is kept; the outputs of every run must be byte-identical.
"""
import argparse
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from common.params import load_settings  # noqa: E402
from common.settings import CleanSettings  # noqa: E402
from pipeline.clean import build as clean  # noqa: E402

OFFLINE_SITE = PROJECT / "offline_site"
# Where each site's script body is, in the offline site's pages: the part that is repeated to grow a page.
BODY = {"imsdb": re.compile(rb"(<pre>)(.*?)(<b>\s*THE END)", re.S),
        "livesinabox": re.compile(rb"(<hr>\n)(.*?)(<p( align=\"center\")?>(<strong>THE END</strong>|End)</p>)", re.S)}


def offline_pages(site: str) -> list[bytes]:
    if site == "imsdb":
        paths = sorted((OFFLINE_SITE / "imsdb" / "transcripts").glob("*.html"))
    else:
        paths = sorted(p for p in (OFFLINE_SITE / "livesinabox" / "friends").rglob("*.*htm*") if p.name != "scripts.shtml")
    return [path.read_bytes() for path in paths]


def grow(page: bytes, site: str, target: int, number: int) -> bytes:
    """`page` with its script body repeated until it is about `target` bytes, and a unique line."""
    match = BODY[site].search(page)
    body = match.group(2)
    copies = max(1, (target - (len(page) - len(body))) // max(1, len(body)))
    unique = (f"<b>{' ' * 30}GUS\r\n</b>{' ' * 15}Page {number}.\r\n\r\n" if site == "imsdb"
              else f"<p><b>Gus:</b> Page {number}.</p>\n").encode("ascii")
    return page[:match.start(2)] + unique + body * copies + page[match.end(2):]


def make_store(raw: Path, pages: int, page_kb: int) -> int:
    """Write `pages` grown pages (half per site) and their episodes.json; return the HTML bytes."""
    total = 0
    for site in ("imsdb", "livesinabox"):
        originals, entries = offline_pages(site), []
        (raw / "offline" / site / "pages").mkdir(parents=True)
        for number in range(pages // 2):
            data = grow(originals[number % len(originals)], site, page_kb * 1000, number)
            name = f"page-{number:04d}.html"
            (raw / "offline" / site / "pages" / name).write_bytes(data)
            total += len(data)
            entries.append({"site": site, "show": "Bench", "season": 1 + number // 100, "episodes": [number],
                            "title": f"Page {number}", "url": f"offline://{site}/{name}", "path": f"pages/{name}",
                            "id": f"{site}/Bench/{1 + number // 100}/{number}"})
        (raw / "offline" / site / "episodes.json").write_text(json.dumps(entries), encoding="utf-8")
    return total


def parser_rate(raw: Path, site: str, repeats: int) -> float:
    """MB/s of the site's parser alone (decode + parse + ASCII folding), one process."""
    pages = [path.read_bytes() for path in sorted((raw / "offline" / site / "pages").iterdir())]
    best = min(timed(lambda: [clean.page_script(page, site, ascii=True) for page in pages]) for _ in range(repeats))
    return sum(map(len, pages)) / best / 1e6


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def stage_seconds(raw: Path, out: Path, workers: int | None, repeats: int) -> tuple[float, dict]:
    """Best wall time of `build_corpus` over `repeats` runs, and the bytes of its outputs."""
    settings = replace(load_settings(CleanSettings, PROJECT / "params.yaml"), source="offline")
    best = min(timed(lambda: clean.build_corpus(raw, out, settings, workers)) for _ in range(repeats))
    return best, {path.name: path.read_bytes() for path in sorted(out.iterdir())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=360, help="pages to generate, half per site (default: 360)")
    parser.add_argument("--page-kb", type=int, default=30, help="approximate size of a page in KB (default: 30)")
    parser.add_argument("--workers", type=int, default=2, help="processes for the parallel run (default: 2)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each measurement; the best is kept")
    args = parser.parse_args()
    os.environ["TQDM_DISABLE"] = "1"
    with tempfile.TemporaryDirectory(prefix="bench-clean-") as directory:
        raw = Path(directory) / "raw"
        html_bytes = make_store(raw, args.pages, args.page_kb)
        mb = html_bytes / 1e6
        print(f"{args.pages} pages, {mb:.1f} MB of HTML ({html_bytes / args.pages / 1000:.1f} KB per page), "
              f"{os.cpu_count()} CPUs, default workers {clean._default_workers()}")
        rates = {site: parser_rate(raw, site, args.repeats) for site in ("imsdb", "livesinabox")}
        for site, rate in rates.items():
            print(f"parser alone, {site:11s}: {rate:5.2f} MB/s")
        one, one_out = stage_seconds(raw, Path(directory) / "one", 1, args.repeats)
        many, many_out = stage_seconds(raw, Path(directory) / "many", args.workers, args.repeats)
        default, default_out = stage_seconds(raw, Path(directory) / "default", None, args.repeats)
        identical = one_out == many_out == default_out
        print(f"build_corpus, 1 process    : {one:6.2f} s, {mb / one:5.2f} MB/s")
        print(f"build_corpus, {args.workers} processes  : {many:6.2f} s, {mb / many:5.2f} MB/s "
              f"(speedup {one / many:.2f})")
        print(f"build_corpus, stage default: {default:6.2f} s, {mb / default:5.2f} MB/s")
        print(f"outputs byte-identical across runs and worker counts: {identical}")
    print(json.dumps({"mb_per_s": round(mb / default, 2), "mb_per_s_1_process": round(mb / one, 2),
                      f"mb_per_s_{args.workers}_processes": round(mb / many, 2), "speedup": round(one / many, 2),
                      "parser_mb_per_s": {site: round(rate, 2) for site, rate in rates.items()},
                      "pages": args.pages, "html_mb": round(mb, 2), "identical": identical}))
    if not identical:
        sys.exit("bench: outputs differ between runs")


if __name__ == "__main__":
    main()
