"""The clean stage's core: raw transcript pages → a character corpus split by whole episodes.

In:  `data/raw/<source>/<site>/episodes.json` and the pages it lists (docs/contracts.md);
     params `scrape.source`, `clean.ascii`, `clean.min_char_count`, `clean.val_fraction`,
     `clean.max_skipped_fraction`.
Out: in `data/corpus/`: `train.txt` and `val.txt` (episodes in the uniform script format of
     `common/script.py`, separated by one blank line), `vocab.json` (`{"chars": [...],
     "counts": {char: n}, "sha256": ...}`, built from train; a character's id is its index in
     `chars`) and `stats.json` (sizes per site and split, vocabulary, dropped characters, skipped
     pages, speeches, top speakers, val entropy; a DVC metric).
     With `scrape.source: text` each page is a text file kept as it is (`pipeline/clean/text.py`),
     whole files are split as episodes are, a single file by its tail (and several files by
     characters, as one text, when one would be more than twice val_fraction of it: text.py), and
     stats.json has no speeches or speakers.

Steps: read the episode lists → each page file once → decode and parse every page with its site's
parser, on all cores for large inputs (a page that fails or yields no text is reported and
skipped; when more than `clean.max_skipped_fraction` of one site's pages are, CleanError before
anything is written, since a broken parser must not pass for a smaller corpus) → fold to ASCII
(`clean.ascii`) → one page per episode (the uncut version wins) → split by a hash of the episode
id → drop characters rarer than `min_char_count` in train, and val characters train lacks,
reporting them → write. The same input gives byte-identical outputs.
"""
from __future__ import annotations

import json
import os
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tqdm import tqdm

from common.script import tidy_script
from common.settings import CleanSettings
from common.vocab import vocab_hash
from pipeline.clean import corpus
from pipeline.clean.ascii import to_ascii
from pipeline.clean.corpus import CleanError
from pipeline.clean.text import TEXT, dominant_file, split_across, text_of
from scrapers.parsers import PARSERS
SPLITS = ("train", "val")
# Below this much HTML, worker processes save next to nothing (bench/clean.py: even at 0.3 MB two
# processes break even; at 1 MB they take 30% off, at 10 MB 40%).
PARALLEL_MIN_BYTES = 500_000
# Skipped pages named in the error; every one is already reported on stderr above it.
MAX_LISTED = 10


def report(message: str) -> None:
    print(f"clean: {message}", file=sys.stderr)


def page_script(html_bytes: bytes, site: str, ascii: bool) -> tuple[str, Counter]:
    """One page as it appears in the corpus (before corpus-wide rare-character removal), and the
    characters dropped because they have no ASCII form (empty unless `ascii`). `site` TEXT reads
    the page as plain text (`pipeline/clean/text.py`)."""
    if site == TEXT:
        return text_of(html_bytes, ascii)
    text = PARSERS[site](html_bytes)
    return to_ascii(text) if ascii else (text, Counter())


def clean_page(task: tuple[str, str, bool]) -> tuple[str, Counter, int, str]:
    """(script text, non-ASCII characters dropped, page size, why it was skipped or "")."""
    site, path, ascii = task
    try:
        html_bytes = Path(path).read_bytes()
    except OSError as error:
        return "", Counter(), 0, f"cannot read the page file ({error.strerror or error})"
    if site not in PARSERS and site != TEXT:
        return "", Counter(), len(html_bytes), f"no parser for site '{site}'"
    try:
        text, dropped = page_script(html_bytes, site, ascii)
    except Exception as error:  # one bad page must not stop the corpus
        return "", Counter(), len(html_bytes), f"the parser failed ({type(error).__name__}: {error})"
    if not text.strip():
        reason = "no text (empty or blank file)" if site == TEXT else "no script text found"
        return "", Counter(), len(html_bytes), reason
    return text, dropped, len(html_bytes), ""


def _default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def clean_pages(entries: list[dict], ascii: bool, workers: int | None = None, plain: bool = False) -> list[tuple]:
    """`clean_page` for every entry, in order (as plain text if `plain`, else by its site's parser);
    on `workers` processes when there is enough HTML."""
    tasks = [(TEXT if plain else entry["site"], str(Path(entry["site_dir"]) / entry["path"]), ascii)
             for entry in entries]
    workers = _default_workers() if workers is None else workers
    total = sum(os.path.getsize(path) for _, path, _ in tasks if os.path.isfile(path))
    progress = dict(total=len(tasks), desc="clean", unit="page", disable=None, file=sys.stderr)
    if workers <= 1 or total < PARALLEL_MIN_BYTES:
        return list(tqdm(map(clean_page, tasks), **progress))
    with ProcessPoolExecutor(max_workers=workers) as pool:  # map keeps the order: same output
        return list(tqdm(pool.map(clean_page, tasks, chunksize=4), **progress))


def _page_line(entry: dict, reason: str) -> str:
    return f"{entry.get('url', '?')} ({Path(entry['site_dir']) / entry['path']}): {reason}"


def check_skipped(entries: list[dict], reasons: list[str], max_fraction: float, raw_dir: Path,
                  out_dir: Path, plain: bool = False) -> None:
    """Raise CleanError, listing the pages and what to do, when more than `max_fraction` of one
    site's pages (each page file counted once) were skipped (`reasons[i]` not empty)."""
    tried, skipped = Counter(entry["site"] for entry in entries), {}
    for entry, reason in zip(entries, reasons):
        if reason:
            skipped.setdefault(entry["site"], []).append((entry, reason))
    over = [site for site in sorted(skipped) if len(skipped[site]) / tried[site] > max_fraction]
    if not over:
        return
    if plain:
        what, fix = "files yielded no text", "Fill or remove the empty files; if they are meant to be empty"
    else:
        what = "pages yielded no script text"
        fix = "Fix the parser (or scrape again); if these pages really hold no script"
    heads = [f"{site}: {len(skipped[site])} of {tried[site]} {what} "
             f"({len(skipped[site]) / tried[site]:.0%}, more than clean.max_skipped_fraction {max_fraction:.0%})"
             for site in over]
    pages = [pair for site in over for pair in skipped[site]]
    lines = [f"  {_page_line(entry, reason)}" for entry, reason in pages[:MAX_LISTED]]
    if len(pages) > MAX_LISTED:
        lines.append(f"  ... and {len(pages) - MAX_LISTED} more (all listed above)")
    first = pages[0][0]
    advice = (f"Nothing was written to {out_dir}; the pages in {raw_dir} are kept. See what the parser makes "
              f"of a page: python -m pipeline.clean --page {Path(first['site_dir']) / first['path']} "
              f"--site {TEXT if plain else first['site']}. {fix}, raise clean.max_skipped_fraction.")
    raise CleanError("\n".join(["; ".join(heads) + ":", *lines, advice]))


def _describe(char: str) -> str:
    return f"{ascii(char)} U+{ord(char):04X}"


def build_corpus(raw_dir: Path, out_dir: Path, settings: CleanSettings, workers: int | None = None) -> dict:
    """Write train.txt, val.txt, vocab.json and stats.json in `out_dir`; return the stats.
    Raises CleanError, before writing anything, when too many pages or all of them yield no text."""
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    source, ascii, min_char_count = settings.source, settings.ascii, settings.min_char_count
    plain = source == TEXT
    listed = corpus.read_episode_lists(raw_dir, source, report)
    entries, repeated_pages = corpus.unique_pages(listed)
    results = clean_pages(entries, ascii, workers, plain)
    reasons = [result[3] for result in results]
    for entry, reason in zip(entries, reasons):
        if reason:
            report(f"skipped {_page_line(entry, reason)}")
    check_skipped(entries, reasons, settings.max_skipped_fraction, raw_dir / source, out_dir, plain)
    kept = corpus.pick_versions(entries, [text for text, *_ in results])
    if not kept:
        found = (f"none of the {len(entries)} listed pages has script text" if entries
                 else f"no episode list in {raw_dir / source}/*/episodes.json")
        raise CleanError(f"nothing to clean in {raw_dir / source}: {found}. "
                         "Run the scrape stage first (dvc repro scrape).")

    episodes = [entries[index] for index in kept]
    texts = [results[index][0] for index in kept]
    largest = dominant_file(texts, settings.val_fraction) if plain and len(episodes) > 1 else None
    if largest is not None:
        report(f"warning: {episodes[largest].get('url', episodes[largest]['path'])} makes "
               f"{len(texts[largest]) / sum(map(len, texts)):.0%} of the text, more than twice clean.val_fraction "
               f"{settings.val_fraction}: held out or not, it would unbalance a split by whole files, so the files "
               "are split by characters instead (the last share of their text, in path order, validates)")
    if plain and (len(episodes) == 1 or largest is not None):
        # no whole files to hold out: the tail validates, as in char-rnn and nanoGPT
        pieces = split_across(texts, settings.val_fraction)
        episodes, texts, split_of = ([episodes[i] for i, _, _ in pieces], [text for _, text, _ in pieces],
                                     [split for _, _, split in pieces])
    else:
        val_ids = corpus.validation_ids([corpus.episode_id(entry) for entry in episodes], settings.val_fraction)
        split_of = ["val" if corpus.episode_id(entry) in val_ids else "train" for entry in episodes]
    no_ascii_form = sum((results[index][1] for index in kept), Counter())
    texts, dropped = _drop_symbols(texts, split_of, min_char_count, no_ascii_form,
                                   (lambda text: text) if plain else tidy_script)
    splits = {name: [(entry, text) for entry, text, split in zip(episodes, texts, split_of)
                     if split == name and text] for name in SPLITS}
    joined = _write_corpus(out_dir, splits)

    speeches, top_speakers = corpus.speech_stats([] if plain else texts)
    stats = {
        "episodes": {name: len(splits[name]) for name in SPLITS},
        "bytes": {name: len(joined[name].encode("utf-8")) for name in SPLITS},
        "sites": {site: {name: {"episodes": sum(1 for entry, _ in splits[name] if entry["site"] == site),
                                "bytes": sum(len(text.encode("utf-8")) for entry, text in splits[name]
                                             if entry["site"] == site)}
                         for name in SPLITS}
                  for site in sorted({entry["site"] for entry in listed})},
        "pages": {"listed": len(listed), "html_bytes": sum(result[2] for result in results),
                  "duplicates": repeated_pages + sum(1 for result in results if result[0]) - len(kept),
                  "skipped": sum(1 for reason in reasons if reason)},
        "vocab_size": len(set(joined["train"])),
        "dropped_chars": sum(dropped.values()),
        "dropped": {f"U+{ord(char):04X}": count for char, count in sorted(dropped.items())},
        **({} if plain else {"speeches": speeches, "top_speakers": top_speakers}),  # text has no cues
        "val_entropy_bits_per_char": round(corpus.unigram_entropy(corpus.count_chars([joined["val"]])), 4),
    }
    _write_json(out_dir / "stats.json", stats)
    return stats


def _drop_symbols(texts: list[str], split_of: list[str], min_char_count: int,
                  no_ascii_form: Counter, tidy) -> tuple[list[str], Counter]:
    """The texts without the characters `corpus.symbol_table` rules out, each that lost some passed
    through `tidy`, and every dropped character (those already dropped for having no ASCII form
    included) with its count, reported on stderr."""
    counts = {name: corpus.count_chars([text for text, split in zip(texts, split_of) if split == name])
              for name in SPLITS}
    drop = corpus.symbol_table(counts["train"], counts["val"], min_char_count)
    dropped = no_ascii_form + Counter({char: counts["train"][char] + counts["val"][char] for char in drop})
    for char, count in sorted(dropped.items()):
        report(f"dropped {_describe(char)} x{count}: {drop.get(char, 'no ASCII form')}")
    if drop:
        removal = str.maketrans(dict.fromkeys(drop))
        texts = [tidy(text.translate(removal)) if drop.keys() & set(text) else text for text in texts]
    return texts, dropped


def _write_corpus(out_dir: Path, splits: dict[str, list[tuple[dict, str]]]) -> dict[str, str]:
    """Write train.txt, val.txt (episodes one blank line apart) and vocab.json (from train);
    return the text of each split."""
    joined = {name: "\n".join(text for _, text in pairs) for name, pairs in splits.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in SPLITS:
        (out_dir / f"{name}.txt").write_bytes(joined[name].encode("utf-8"))
    counts = corpus.count_chars([joined["train"]])
    chars = sorted(counts)
    _write_json(out_dir / "vocab.json", {"chars": chars, "counts": {char: counts[char] for char in chars},
                                         "sha256": vocab_hash(chars)})
    return joined


def _write_json(path: Path, value: dict) -> None:
    path.write_bytes((json.dumps(value, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
