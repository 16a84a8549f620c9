"""The clean stage as a whole: episode lists → deduplicated episodes → split, vocabulary, stats.

Raw stores are built in tmp_path in the layout of docs/contracts.md (tests/raw_store.py); the
bundled offline site's corpus is tested in test_clean_offline_site.py.
"""
import hashlib
import json
import math
import re
from collections import Counter
from pathlib import Path

import pytest

from format_check import format_problems
from pipeline.clean import __main__ as clean_stage, build as clean_build, corpus
from raw_store import SCENE, build, entry, make_raw_store, read, speech_page

PROJECT = Path(__file__).resolve().parent.parent
OUTPUTS = ("train.txt", "val.txt", "vocab.json", "stats.json")


def test_outputs_split_vocabulary_and_stats(tmp_path, capsys):
    pages = {f"{n}.htm": speech_page("Gus" if n % 2 else "Mo", f"Pie number {n}, caf\xe9 \x92ok&#146;.")
             for n in range(12)}
    make_raw_store(tmp_path / "raw", pages)
    stats = build(tmp_path, val_fraction=0.25)
    train, val = read(tmp_path, "train.txt"), read(tmp_path, "val.txt")
    for text in (train, val):
        assert format_problems(text) == [] and text.isascii() and "\n\n\n" not in text
        assert text.count(SCENE) == len(re.findall(r"\n(GUS|MO)\nPie number", "\n" + text))
    numbers = {split: set(re.findall(r"Pie number (\d+)", text)) for split, text in (("train", train), ("val", val))}
    assert not numbers["train"] & numbers["val"] and len(numbers["train"] | numbers["val"]) == 12
    assert "MO\nPie number 0, cafe 'ok'.\n" in train + val

    vocab = json.loads(read(tmp_path, "vocab.json"))
    assert list(vocab) == ["chars", "counts", "sha256"]
    assert vocab["chars"] == sorted(set(train)) and vocab["counts"] == dict(sorted(Counter(train).items()))
    assert vocab["sha256"] == hashlib.sha256("".join(vocab["chars"]).encode()).hexdigest()
    assert set(val) <= set(vocab["chars"])

    assert json.loads(read(tmp_path, "stats.json")) == stats
    assert stats["episodes"] == {"train": len(numbers["train"]), "val": len(numbers["val"])}
    assert stats["bytes"] == {"train": len(train.encode()), "val": len(val.encode())}
    site = stats["sites"]["livesinabox"]
    assert site["train"]["episodes"] + site["val"]["episodes"] == 12
    assert site["val"]["bytes"] == len(val) - (stats["episodes"]["val"] - 1)  # minus the blank lines between
    assert stats["vocab_size"] == len(vocab["chars"]) and stats["speeches"] == 12
    assert stats["top_speakers"] == {"GUS": 6, "MO": 6}
    counts = Counter(val)
    entropy = -sum(n / len(val) * math.log2(n / len(val)) for n in counts.values())
    assert stats["val_entropy_bits_per_char"] == round(entropy, 4)
    assert stats["pages"] == {"listed": 12, "html_bytes": sum(map(len, pages.values())), "duplicates": 0, "skipped": 0}
    assert stats["dropped_chars"] == 0 and capsys.readouterr().err == ""


def test_reruns_are_byte_identical_and_both_cores_give_the_same_bytes(tmp_path, monkeypatch):
    make_raw_store(tmp_path / "raw", {f"{n}.htm": speech_page("Gus", f"Pie {n}, \x93\x85\x94") for n in range(10)})
    build(tmp_path, out="first", min_char_count=2)
    build(tmp_path, out="again", min_char_count=2, workers=1)
    monkeypatch.setattr(clean_build, "PARALLEL_MIN_BYTES", 0)
    build(tmp_path, out="parallel", min_char_count=2, workers=2)
    for name in OUTPUTS:
        first = (tmp_path / "first" / name).read_bytes()
        assert first == (tmp_path / "again" / name).read_bytes() == (tmp_path / "parallel" / name).read_bytes()


def test_listing_order_does_not_change_the_corpus(tmp_path):
    pages = {f"{n}.htm": speech_page("Gus", f"Pie {n}.") for n in range(6)}
    entries = make_raw_store(tmp_path / "raw", pages)
    build(tmp_path, out="forward", val_fraction=0.3)
    make_raw_store(tmp_path / "raw", {}, entries=list(reversed(entries)))
    build(tmp_path, out="reversed", val_fraction=0.3)
    for name in OUTPUTS:
        assert read(tmp_path, name, "forward") == read(tmp_path, name, "reversed")
    assert re.findall(r"Pie (\d)", read(tmp_path, "train.txt", "forward")) == sorted(
        re.findall(r"Pie (\d)", read(tmp_path, "train.txt", "forward")))


def test_split_is_deterministic_disjoint_and_never_empty():
    keys = [f"livesinabox/Friends/1/{101 + i}" for i in range(40)]
    val = corpus.validation_ids(keys, 0.2)
    assert val == corpus.validation_ids(list(reversed(keys)), 0.2) and 0 < len(val) < 40
    assert val <= set(keys) and corpus.validation_ids(keys, 0.3) >= val  # a larger fraction only adds
    for few in (keys[:2], keys[:3]):
        assert len(corpus.validation_ids(few, 0.01)) == 1
        assert len(corpus.validation_ids(few, 0.999)) == len(few) - 1
    assert corpus.validation_ids(keys[:1], 0.9) == set() and corpus.validation_ids(keys, 0) == set()


def test_duplicates_one_page_per_episode_and_uncut_wins(tmp_path, capsys):
    pages = {"0923-0924.html": speech_page("Gus", "Double."), "423rowed.htm": speech_page("Gus", "Short cut."),
             "423uncut.htm": speech_page("Gus", "Long uncut."), "422.htm": speech_page("Mo", "Other."),
             "422copy.htm": speech_page("Mo", "Other."), "301.htm": speech_page("Lena", "Three."),
             "301uncut.htm": b"<html><body><p>Written by: A</p><hr><p>End</p></body></html>"}
    entries = [entry("0923-0924.html", 923, season=9), entry("0923-0924.html", 924, season=9),
               entry("423rowed.htm", 423, season=4, title="Ross's Wedding"),
               entry("423uncut.htm", 423, season=4, title="Ross's Wedding (The Uncut Version)"),
               entry("422.htm", 422, season=4), entry("422copy.htm", 421, season=4),
               entry("301.htm", 301, season=3), entry("301uncut.htm", 301, season=3, title="Uncut")]
    make_raw_store(tmp_path / "raw", pages, entries=entries)
    stats = build(tmp_path)
    everything = read(tmp_path, "train.txt") + read(tmp_path, "val.txt")
    assert everything.count("Double.") == 1 and everything.count("Other.") == 1
    assert "Long uncut." in everything and "Short cut." not in everything
    assert "Three." in everything  # its uncut page has no text: the normal one stays
    assert stats["episodes"]["train"] + stats["episodes"]["val"] == 4
    assert stats["pages"] == {"listed": 8, "html_bytes": sum(map(len, pages.values())), "duplicates": 3,
                              "skipped": 1}
    assert "301uncut.htm): no script text found" in capsys.readouterr().err


def test_skipped_pages_are_reported_with_url_file_and_reason(tmp_path, capsys):
    pages = {"a.htm": speech_page("Gus", "Hi."), "b.htm": speech_page("Mo", "Yo."),
             "empty.htm": b"<html><body><p>Written by: A</p><hr><p>The End</p></body></html>"}
    entries = make_raw_store(tmp_path / "raw", pages)
    entries.append(entry("gone.htm", 199))
    entries.append(entry("mystery.htm", 198, site="elsewhere"))
    (tmp_path / "raw" / "offline" / "livesinabox" / "pages" / "mystery.htm").write_bytes(b"x")
    make_raw_store(tmp_path / "raw", {}, entries=entries + [{"no": "path"}, "junk"])
    stats = build(tmp_path)
    errors = capsys.readouterr().err
    assert re.search(r"skipped http://example.invalid/empty.htm \(.*empty.htm\): no script text found", errors)
    assert re.search(r"skipped http://example.invalid/gone.htm \(.*gone.htm\): cannot read the page file", errors)
    assert "no parser for site 'elsewhere'" in errors and "without show/season/episodes/path" in errors
    assert stats["pages"]["skipped"] == 3 and stats["episodes"]["train"] + stats["episodes"]["val"] == 2


def test_rare_characters_are_dropped_and_reported(tmp_path, capsys):
    keys = [f"livesinabox/Friends/1/{101 + n}" for n in range(10)]
    odd = next(n for n, key in enumerate(keys) if key not in corpus.validation_ids(keys, 0.2))  # a train page
    pages = {f"{n}.htm": speech_page("Gus", "Pie ~ pie &#8364; \u00e9 \u00e9." if n == odd else f"Pie {n}.")
             for n in range(10)}
    make_raw_store(tmp_path / "raw", pages)
    stats = build(tmp_path, ascii=False, min_char_count=2, val_fraction=0.2)
    text = read(tmp_path, "train.txt") + read(tmp_path, "val.txt")
    assert "~" not in text and "\u20ac" not in text and "Pie pie \u00e9 \u00e9." in text
    assert stats["dropped"] == {"U+007E": 1, "U+20AC": 1} and stats["dropped_chars"] == 2
    errors = capsys.readouterr().err
    assert "dropped '~' U+007E x1: seen 1 times in train (< 2)" in errors
    stats = build(tmp_path, ascii=True, min_char_count=0, val_fraction=0.2)
    assert stats["dropped"] == {"U+20AC": 1}  # no ASCII form; é folds to e
    assert "Pie ~ pie e e." in read(tmp_path, "train.txt") and "no ASCII form" in capsys.readouterr().err
    assert (read(tmp_path, "train.txt") + read(tmp_path, "val.txt")).isascii()


def test_the_format_survives_when_its_brackets_are_rare(tmp_path):
    make_raw_store(tmp_path / "raw", {f"{n}.htm": speech_page("Gus", "pie " * 20 + str(n)) for n in range(4)})
    stats = build(tmp_path, min_char_count=5, val_fraction=0)
    train = read(tmp_path, "train.txt")
    assert train.count("[") == train.count("]") == 4 and "U+005B" not in stats["dropped"]
    assert format_problems(train) == [] and stats["dropped"]["U+0071"] == 4  # the "q" of "quick"


def test_val_never_holds_a_symbol_train_lacks(tmp_path, capsys):
    keys = [f"livesinabox/Friends/1/{101 + n}" for n in range(8)]
    val_key = sorted(keys, key=corpus.split_position)[0]
    pages = {f"{n}.htm": speech_page("Gus", f"Pie {n}." + (" Zebra!" if keys[n] == val_key else "")) for n in range(8)}
    make_raw_store(tmp_path / "raw", pages)
    stats = build(tmp_path, val_fraction=0.01)
    val, vocab = read(tmp_path, "val.txt"), json.loads(read(tmp_path, "vocab.json"))
    assert re.search(r"GUS\nPie \d\. ebra\n", val) and stats["dropped"] == {"U+0021": 1, "U+005A": 1}
    assert set(val) <= set(vocab["chars"])
    assert "in val only" in capsys.readouterr().err


def test_empty_corpus_stops_with_an_error_naming_the_raw_directory(tmp_path):
    (tmp_path / "raw").mkdir()
    with pytest.raises(corpus.CleanError, match=re.escape(str(tmp_path / "raw" / "offline")) + ".*scrape"):
        build(tmp_path)
    make_raw_store(tmp_path / "raw", {"a.htm": b"<html></html>"})
    with pytest.raises(corpus.CleanError, match="none of the 1 listed pages has script text"):
        build(tmp_path)


def test_main_is_the_dvc_stage(tmp_path, monkeypatch, capsys):
    params = (PROJECT / "params.yaml").read_text().replace("source: live", "source: offline")
    (tmp_path / "params.yaml").write_text(params)
    monkeypatch.chdir(tmp_path)
    assert clean_stage.main(["data/raw", "data/corpus"]) == 1
    error = capsys.readouterr().err.strip()
    assert "data/raw/offline" in error and "\n" not in error and "Traceback" not in error
    make_raw_store(tmp_path / "data" / "raw", {"a.htm": speech_page("Gus", "Hi."), "b.htm": speech_page("Mo", "Yo.")})
    assert clean_stage.main(["data/raw", "data/corpus"]) == 0
    assert "train 1 episodes" in capsys.readouterr().out
    assert all((tmp_path / "data" / "corpus" / name).exists() for name in OUTPUTS)
