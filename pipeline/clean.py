"""The `clean` stage: raw transcript pages → a character corpus split by whole episodes.

In:  `data/raw/<source>/<site>/episodes.json` and the pages it lists (see docs/contracts.md);
     params `scrape.source`, `clean.ascii`, `clean.min_char_count`, `clean.val_fraction`.
Out: `data/corpus/train.txt`, `data/corpus/val.txt` (episodes in the uniform script format of
     `pipeline/text.py`, separated by one blank line), `data/corpus/vocab.json`
     (`{"chars": [...], "sha256": ...}`) and `metrics/corpus.json`.

Steps: read the episode lists (sites in sorted order, episodes in list order) → drop duplicates
(a page listed twice; two pages for one episode, where the "uncut" one wins) → parse each page with
its site's parser (a page that fails or yields no text is reported and skipped) → fold to ASCII
(optional) → drop characters rarer than `min_char_count` in the whole corpus (and, with ASCII on,
any that have no ASCII form), reporting them → split by a hash of the episode id.

`build_corpus()` is the whole stage as a function; `main()` only reads params and reports.
"""
from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from pipeline import parse_imsdb, parse_livesinabox
from pipeline.params import ParamsError, load_params
from pipeline.text import fold_to_ascii, tidy_script

PARSERS = {
    "imsdb": parse_imsdb.transcript_text,
    "livesinabox": parse_livesinabox.transcript_text,
}


class CleanError(RuntimeError):
    """The corpus cannot be built; the message says what to do."""


def _report(message: str) -> None:
    print(f"clean: {message}", file=sys.stderr)


def episode_id(entry: dict) -> str:
    """`"<site>/<show>/<season>/<first episode>"`, the key of the train/val split."""
    return f"{entry['site']}/{entry['show']}/{entry['season']}/{entry['episodes'][0]}"


def read_episode_lists(raw_dir: Path, source: str) -> list[dict]:
    """Every entry of `raw_dir/<source>/*/episodes.json`, sites in sorted order, with `site_dir`
    (the site's directory) added."""
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
                _report(f"{list_path}: skipped an entry that is not an object: {item!r}")
                continue
            item = {"site": list_path.parent.name, **item, "site_dir": list_path.parent}
            try:
                episode_id(item), item["path"]
            except (KeyError, IndexError, TypeError):
                _report(f"{list_path}: skipped an entry without show/season/episodes/path: {item!r}")
                continue
            entries.append(item)
    return entries


def _is_uncut(entry: dict) -> bool:
    return "uncut" in f"{entry.get('title', '')} {entry['path']}".lower()


def dedupe_episodes(entries: list[dict]) -> list[dict]:
    """One entry per page and per episode id, in order of first appearance.

    A page listed twice (e.g. 923 and 924 sharing one page) is kept once. Two pages with the same
    episode id (423 and its "uncut" version) keep the uncut one.
    """
    seen_pages = set()
    chosen: dict[str, dict] = {}
    for entry in entries:
        page = (str(entry["site_dir"]), entry["path"])
        if page in seen_pages:
            continue
        seen_pages.add(page)
        key = episode_id(entry)
        if key not in chosen or (_is_uncut(entry) and not _is_uncut(chosen[key])):
            chosen[key] = entry  # dict keeps the position of the first entry with this id
    return list(chosen.values())


def split_position(key: str) -> float:
    """A fixed point in [0, 1) for an episode id, from its sha256."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") / 2 ** 64


def validation_ids(keys: list[str], val_fraction: float) -> set[str]:
    """The episode ids held out for validation: those whose split position is below
    `val_fraction`, adjusted so that ≥ 2 episodes and a fraction > 0 always give a non-empty
    validation set and a non-empty training set."""
    val = {key for key in keys if split_position(key) < val_fraction}
    if len(keys) >= 2 and val_fraction > 0:
        if not val:
            val = {min(keys, key=split_position)}
        elif len(val) == len(keys):
            val.discard(max(keys, key=split_position))
    return val


def _parse_pages(entries: list[dict]) -> tuple[list[tuple[str, str]], int]:
    """(episode id, script text) for every page that parses; also the number skipped."""
    episodes, skipped = [], 0
    for entry in tqdm(entries, desc="clean", unit="page", disable=None, file=sys.stderr):
        page_path = Path(entry["site_dir"]) / entry["path"]
        parser = PARSERS.get(entry["site"])
        try:
            if parser is None:
                raise ValueError(f"no parser for site '{entry['site']}'")
            text = parser(page_path.read_bytes())
        except Exception as error:  # one bad page must not stop the corpus
            _report(f"skipped {page_path}: {type(error).__name__}: {error}")
            skipped += 1
            continue
        if not text.strip():
            _report(f"skipped {page_path}: no transcript text found")
            skipped += 1
            continue
        episodes.append((episode_id(entry), text))
    return episodes, skipped


def characters_to_drop(texts: list[str], min_char_count: int, ascii_only: bool) -> Counter:
    """Characters to remove, with their counts over all `texts`: those seen fewer than
    `min_char_count` times and, when `ascii_only`, those outside ASCII."""
    counts = Counter()
    for text in texts:
        counts.update(text)
    return Counter({char: count for char, count in counts.items()
                    if count < min_char_count or (ascii_only and ord(char) > 127)})


def _describe(dropped: Counter) -> str:
    listed = ", ".join(f"{ascii(char)} U+{ord(char):04X} x{count}" for char, count in sorted(dropped.items()))
    return (f"dropped {len(dropped)} rare or non-ASCII characters "
            f"({sum(dropped.values())} occurrences): {listed}")


def build_corpus(raw_dir: Path, out_dir: Path, metrics_path: Path, *, source: str, ascii: bool,
                 min_char_count: int, val_fraction: float) -> dict:
    """Build train.txt, val.txt and vocab.json in `out_dir` and the metrics file; return the
    metrics. Raises CleanError when no episode yields any text."""
    raw_dir, out_dir, metrics_path = Path(raw_dir), Path(out_dir), Path(metrics_path)
    entries = dedupe_episodes(read_episode_lists(raw_dir, source))
    episodes, skipped = _parse_pages(entries)
    if not episodes:
        where = raw_dir / source / "*" / "episodes.json"
        found = f"{len(entries)} listed pages gave no text" if entries else f"no episodes listed in {where}"
        raise CleanError(f"nothing to clean: {found}. Run the scrape stage first (dvc repro scrape).")

    texts = [fold_to_ascii(text) if ascii else text for _, text in episodes]
    dropped = characters_to_drop(texts, min_char_count, ascii)
    if dropped:
        _report(_describe(dropped))
    removal = str.maketrans(dict.fromkeys(dropped))
    # Folding and removal can leave double or trailing spaces and empty lines: tidy again.
    texts = [tidy_script(text.translate(removal)) for text in texts]

    val_keys = validation_ids([key for key, _ in episodes], val_fraction)
    splits = {"train": [], "val": []}
    for (key, _), text in zip(episodes, texts):
        if text:
            splits["val" if key in val_keys else "train"].append(text)
    corpus = {name: "\n".join(split_texts) for name, split_texts in splits.items()}

    chars = sorted(set(corpus["train"]) | set(corpus["val"]))
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in corpus.items():
        (out_dir / f"{name}.txt").write_text(text, encoding="utf-8", newline="\n")
    vocab = {"chars": chars, "sha256": hashlib.sha256("".join(chars).encode("utf-8")).hexdigest()}
    (out_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, indent=1) + "\n",
                                        encoding="utf-8")

    metrics = {
        **{name: {"chars": len(corpus[name]), "episodes": len(splits[name])} for name in splits},
        "vocab_size": len(chars),
        "dropped_chars": sum(dropped.values()),
        "dropped": {f"U+{ord(char):04X}": count for char, count in sorted(dropped.items())},
        "skipped_pages": skipped,
    }
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    return metrics


def main() -> int:
    try:
        params = load_params()
        metrics = build_corpus(
            Path("data/raw"), Path("data/corpus"), Path("metrics/corpus.json"),
            source=params["scrape"]["source"], ascii=params["clean"]["ascii"],
            min_char_count=params["clean"]["min_char_count"],
            val_fraction=params["clean"]["val_fraction"])
    except (ParamsError, CleanError, OSError) as error:
        print(f"clean: error: {error}", file=sys.stderr)
        return 1
    train, val = metrics["train"], metrics["val"]
    print(f"clean: train {train['episodes']} episodes, {train['chars']:,} chars; "
          f"val {val['episodes']} episodes, {val['chars']:,} chars; vocab {metrics['vocab_size']} chars")
    return 0


if __name__ == "__main__":
    sys.exit(main())
