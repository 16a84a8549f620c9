"""Corpus assembly for the clean stage: which pages, in what order, which split, which symbols.

In:  the episode lists written by the scrape stage (`data/raw/<source>/<site>/episodes.json`,
     see docs/contracts.md) and, later, the script text of each page.
Out: pure functions used by `pipeline/clean/build.py`:
     - `read_episode_lists` → entries in a stable order (site, show, season, episode, page);
     - `unique_pages` (a page listed twice is read once) and `pick_versions` (one page per episode
       id: the "uncut" version when it has text, else the first with text; identical texts once);
     - `validation_ids` (the split, by a hash of the episode id);
     - `symbol_table` (what to drop: characters rarer than `min_char_count` in train, and val
       characters train never has);
     - `speech_stats` (speeches, top speakers) and `unigram_entropy`, for stats.json.
"""
from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from pathlib import Path

from common.script import speaker_name, speeches

TOP_SPEAKERS = 10
# The uniform format's own structure: never dropped for being rare (a small corpus may have few).
STRUCTURE = frozenset("\n []{}()")


class CleanError(RuntimeError):
    """The corpus cannot be built; the message says what to do."""


def episode_id(entry: dict) -> str:
    """`"<site>/<show>/<season>/<first episode>"`, the key of the train/val split (the scrape
    stage writes it as `id`; older lists without it get the same value computed)."""
    return entry.get("id") or f"{entry['site']}/{entry['show']}/{entry['season']}/{entry['episodes'][0]}"


def _order_key(entry: dict) -> tuple:
    def number(value):
        return value if isinstance(value, int) and not isinstance(value, bool) else -1
    return (entry["site"], str(entry.get("show", "")), number(entry.get("season")),
            [number(episode) for episode in entry.get("episodes") or []], entry["path"])


def read_episode_lists(raw_dir: Path, source: str, report) -> list[dict]:
    """Every usable entry of `raw_dir/<source>/*/episodes.json`, with `site_dir` (the site's
    directory) added, sorted by site, show, season, episode and page. Unusable entries are
    reported through `report(message)` and left out."""
    entries = []
    for list_path in sorted((Path(raw_dir) / source).glob("*/episodes.json")):
        try:
            items = json.loads(list_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CleanError(f"{list_path}: cannot read the episode list ({error}). "
                             "Run the scrape stage again.") from None
        if not isinstance(items, list):
            raise CleanError(f"{list_path}: expected a JSON list of episodes. Run the scrape stage again.")
        for item in items:
            if not isinstance(item, dict):
                report(f"{list_path}: skipped an entry that is not an object: {item!r}")
                continue
            entry = {"site": list_path.parent.name, **item, "site_dir": str(list_path.parent)}
            try:
                episode_id(entry), str(entry["path"]), _order_key(entry)
            except (KeyError, IndexError, TypeError):
                report(f"{list_path}: skipped an entry without show/season/episodes/path: {item!r}")
                continue
            entries.append(entry)
    return sorted(entries, key=_order_key)


def unique_pages(entries: list[dict]) -> tuple[list[dict], int]:
    """The entries with each page file (and each URL) kept once, first one wins; and the number
    left out. (923 and 924 share one page; so do the two entries of a double episode.)"""
    seen, kept = set(), []
    for entry in entries:
        keys = {("file", entry["site_dir"], entry["path"])}
        if entry.get("url"):
            keys.add(("url", entry["url"]))
        if keys & seen:
            continue
        seen |= keys
        kept.append(entry)
    return kept, len(entries) - len(kept)


def is_uncut(entry: dict) -> bool:
    return "uncut" in f"{entry.get('title', '')} {entry['path']}".lower()


def pick_versions(entries: list[dict], texts: list[str]) -> list[int]:
    """The indexes of the pages to keep, in order: one per episode id, among the pages of that id
    that have text the uncut version, else the first; and a text identical to one already kept
    (the same page under two names) only once."""
    chosen: dict[str, int] = {}
    for index, (entry, text) in enumerate(zip(entries, texts)):
        if not text:
            continue
        key = episode_id(entry)
        if key not in chosen or (is_uncut(entry) and not is_uncut(entries[chosen[key]])):
            chosen[key] = index  # a dict keeps the place of the id's first page
    kept, seen_texts = [], set()
    for index in chosen.values():
        digest = hashlib.sha256(texts[index].encode("utf-8")).digest()
        if digest not in seen_texts:
            seen_texts.add(digest)
            kept.append(index)
    return kept


def split_position(key: str) -> float:
    """A fixed point in [0, 1) for an episode id, from its sha256."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") / 2 ** 64


def validation_ids(keys: list[str], val_fraction: float) -> set[str]:
    """The episode ids held out for validation: those whose split position is below
    `val_fraction`, adjusted so that with >= 2 episodes and a fraction > 0 both splits are
    non-empty. A single episode always trains."""
    if len(keys) < 2:
        return set()
    val = {key for key in keys if split_position(key) < val_fraction}
    if val_fraction > 0:
        if not val:
            val = {min(keys, key=split_position)}
        elif len(val) == len(keys):
            val.discard(max(keys, key=split_position))
    return val


def count_chars(texts: list[str]) -> Counter:
    counts = Counter()
    for text in texts:
        counts.update(text)
    return counts


def symbol_table(train_counts: Counter, val_counts: Counter, min_char_count: int) -> dict[str, str]:
    """{character: why it is dropped} for characters seen fewer than `min_char_count` times in
    train (except the STRUCTURE of the format), and characters of val that train never has
    (window encoding must never meet an unknown id)."""
    drop = {char: f"seen {count} times in train (< {min_char_count})"
            for char, count in train_counts.items() if count < min_char_count and char not in STRUCTURE}
    drop.update({char: "in val only" for char in val_counts if char not in train_counts})
    return drop


def unigram_entropy(counts: Counter) -> float:
    """Entropy in bits per character of the character distribution `counts` (0 when empty)."""
    total = sum(counts.values())
    return -sum(n / total * math.log2(n / total) for n in counts.values()) if total else 0.0


def speech_stats(texts: list[str]) -> tuple[int, dict[str, int]]:
    """The number of speeches in `texts` and the TOP_SPEAKERS most frequent speakers (ties by name)."""
    speakers = Counter(speaker_name(cue) for text in texts for cue in speeches(text))
    top = sorted(speakers.items(), key=lambda item: (-item[1], item[0]))[:TOP_SPEAKERS]
    return sum(speakers.values()), dict(top)
