"""`scrape.source: text`: the user's own files through the real scrape and clean code.

A folder (with a glob) becomes a corpus split by whole files; a single file is split by its tail
exactly as nanoGPT splits tiny Shakespeare; cp1252, CRLF and ASCII folding are normalised while the
text is otherwise kept as it is; the store mirrors the files (a removed file leaves it); a missing
path, a pattern that matches nothing and a binary file stop the stage with a clear message and
change nothing stored; empty files count against clean.max_skipped_fraction. Every text here is
original, written for these tests, except tiny Shakespeare (public domain, in texts/).
"""
import json
import os
import re
from pathlib import Path

import pytest

from common.params import ParamsError, load_params
from common.settings import CleanSettings, TextSettings
from pipeline.clean import __main__ as clean_stage
from pipeline.clean.build import build_corpus
from pipeline.clean.corpus import CleanError
from pipeline.scrape import __main__ as scrape_stage
from pipeline.scrape.text import store_texts
from app.workspace import with_overrides

PROJECT = Path(__file__).resolve().parent.parent
SHAKESPEARE = PROJECT / "texts" / "tinyshakespeare.txt"
POEMS = {f"{name}.txt": f"The {name} kettle hums at dawn,\nand the {name} cat ignores it.\n" * 3
         for name in ("amber", "birch", "cedar", "dune", "elm", "fern", "gale", "heath")}


def write_files(folder: Path, files: dict[str, bytes | str]) -> Path:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return folder


def record_and_clean(tmp_path: Path, path: Path, pattern: str = "*.txt", **clean) -> dict:
    store_texts(TextSettings(str(path), pattern), tmp_path / "raw")
    options = {"source": "text", "ascii": True, "min_char_count": 0, "val_fraction": 0.25,
               "max_skipped_fraction": 0.0, **clean}
    return build_corpus(tmp_path / "raw", tmp_path / "corpus", CleanSettings(**options), workers=1)


def corpus_text(tmp_path: Path, name: str) -> str:
    return (tmp_path / "corpus" / name).read_bytes().decode("utf-8")


def test_a_folder_becomes_a_corpus_split_by_whole_files_in_path_order(tmp_path):
    folder = write_files(tmp_path / "mine", {**POEMS, "notes.md": "not a .txt\n", ".draft.txt": "hidden\n",
                                             "old/ivy.txt": "In a subfolder: only **/*.txt finds it.\n"})
    stats = record_and_clean(tmp_path, folder)
    site = tmp_path / "raw/text/files"
    listed = json.loads((site / "episodes.json").read_text())
    assert [entry["title"] for entry in listed] == sorted(POEMS)   # no .md, no hidden file, no subfolder
    manifest = [json.loads(line) for line in (site / "manifest.jsonl").read_text().splitlines()]
    for entry, record in zip(listed, manifest):
        copy = (site / entry["path"]).read_bytes()
        assert copy == (folder / entry["title"]).read_bytes() and record["size"] == len(copy)
        assert record["path"] == entry["path"] and record["url"] == (folder / entry["title"]).as_posix()
    train, val = corpus_text(tmp_path, "train.txt"), corpus_text(tmp_path, "val.txt")
    held_out = [name for name, text in POEMS.items() if text in val]
    assert held_out and len(held_out) < len(POEMS)
    for name, text in POEMS.items():   # each file whole, in exactly one split
        assert (text in train) != (text in val), name
    assert [name for name in sorted(POEMS) if name not in held_out] == sorted(
        (name for name in POEMS if name not in held_out), key=lambda name: train.index(POEMS[name]))
    assert stats["episodes"] == {"train": len(POEMS) - len(held_out), "val": len(held_out)}
    assert "speeches" not in stats and stats["pages"]["skipped"] == 0

    record_and_clean(tmp_path, folder, pattern="**/*.txt")
    titles = [entry["title"] for entry in json.loads((site / "episodes.json").read_text())]
    assert titles == sorted([*POEMS, "old/ivy.txt"]) and (site / "pages/old/ivy.txt").is_file()


def test_a_single_file_is_split_by_its_tail_exactly_as_nanogpt_splits_it(tmp_path):
    text = SHAKESPEARE.read_text(encoding="utf-8")
    assert len(text) == 1_115_394
    stats = record_and_clean(tmp_path, SHAKESPEARE, val_fraction=0.1)
    n = len(text)
    assert corpus_text(tmp_path, "train.txt") == text[:int(n * 0.9)]   # nanoGPT: data[:int(n*0.9)]
    assert corpus_text(tmp_path, "val.txt") == text[int(n * 0.9):]
    assert stats["episodes"] == {"train": 1, "val": 1} and stats["dropped_chars"] == 0


def test_the_tail_split_counts_in_decimals_not_floats(tmp_path):
    # in floats 1000 * (1 - 0.07) is 929.99999..., which would put character 930 in val
    single = write_files(tmp_path / "one", {"count.txt": "".join(chr(ord("a") + i % 26) for i in range(1000))})
    record_and_clean(tmp_path, single / "count.txt", val_fraction=0.07)
    assert len(corpus_text(tmp_path, "train.txt")) == 930 and len(corpus_text(tmp_path, "val.txt")) == 70


def test_cp1252_and_crlf_are_normalised_and_nothing_else_is_reformatted(tmp_path):
    raw = "Caf\u00e9 \u201cquoted\u201d\r\n  indented,   spaced  \r\rold Mac line\r\n\n\nthree blank lines above \u2605\r\n"
    file = write_files(tmp_path / "one", {"notes.txt": raw.replace("\u2605", "").encode("cp1252")})
    record_and_clean(tmp_path, file / "notes.txt", val_fraction=0, ascii=False)
    assert corpus_text(tmp_path, "train.txt") == (
        "Caf\u00e9 \u201cquoted\u201d\n  indented,   spaced  \n\nold Mac line\n\n\nthree blank lines above \n")

    write_files(file, {"notes.txt": raw.encode("utf-8")})   # folded; the star has no ASCII form
    stats = record_and_clean(tmp_path, file / "notes.txt", val_fraction=0, ascii=True)
    assert corpus_text(tmp_path, "train.txt") == (
        'Cafe "quoted"\n  indented,   spaced  \n\nold Mac line\n\n\nthree blank lines above \n')
    assert stats["dropped"] == {"U+2605": 1}


def test_rare_characters_are_dropped_without_reformatting_the_text(tmp_path):
    file = write_files(tmp_path / "one", {"notes.txt": "a  q b\n\n\n  a b  \n" * 4 + "zz  a\n"})
    record_and_clean(tmp_path, file / "notes.txt", val_fraction=0, min_char_count=2)
    assert corpus_text(tmp_path, "train.txt") == "a  q b\n\n\n  a b  \n" * 4 + "zz  a\n"
    stats = record_and_clean(tmp_path, file / "notes.txt", val_fraction=0, min_char_count=5)
    assert corpus_text(tmp_path, "train.txt") == "a   b\n\n\n  a b  \n" * 4 + "  a\n"
    assert stats["dropped"] == {"U+0071": 4, "U+007A": 2}


def test_a_removed_file_leaves_the_store_and_other_sources_stay(tmp_path):
    folder = write_files(tmp_path / "mine", POEMS)
    other = write_files(tmp_path / "raw/offline/imsdb/pages", {"kept.html": "<html>a web page</html>"})
    store_texts(TextSettings(str(folder), "*.txt"), tmp_path / "raw")
    (folder / "cedar.txt").unlink()
    result = store_texts(TextSettings(str(folder), "*.txt"), tmp_path / "raw")
    assert result["removed"] == ["cedar.txt"] and result["files"] == len(POEMS) - 1
    site = tmp_path / "raw/text/files"
    assert sorted(path.name for path in (site / "pages").iterdir()) == sorted(set(POEMS) - {"cedar.txt"})
    assert "cedar" not in (site / "episodes.json").read_text() + (site / "manifest.jsonl").read_text()
    assert (other / "kept.html").read_text() == "<html>a web page</html>"
    assert sorted(path.name for path in (tmp_path / "raw").iterdir()) == ["offline", "text"]   # no work folder left


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(path.relative_to(directory)): path.read_bytes() for path in sorted(directory.rglob("*"))
            if path.is_file()}


@pytest.fixture
def stage_dir(tmp_path, monkeypatch):
    """tmp_path as a project root: params.yaml on the text source, a folder of files, a first scrape."""
    params = (PROJECT / "params.yaml").read_text().replace("source: live", "source: text")
    (tmp_path / "params.yaml").write_text(params.replace("texts/tinyshakespeare.txt", "texts/mine"))
    write_files(tmp_path / "texts/mine", dict(list(POEMS.items())[:3]))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        scrape_stage.main(["offline_site", "data/raw"])
    assert done.value.code == 0
    return tmp_path


@pytest.mark.parametrize("spoil, message", [
    (lambda root: (root / "texts/mine/photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
     "texts/mine/photo.txt: not a plain-text file (a NUL byte at offset 8, as in binary files); "
     "remove it from 'texts/mine' or narrow scrape.text.pattern '*.txt'"),
    (lambda root: os.rename(root / "texts/mine", root / "texts/moved"),
     "scrape.text.path 'texts/mine' does not exist"),
    (lambda root: [path.rename(path.with_suffix(".md")) for path in (root / "texts/mine").iterdir()],
     "no file in the folder 'texts/mine' (scrape.text.path) matches scrape.text.pattern '*.txt'"),
])
def test_bad_text_files_stop_the_stage_naming_file_and_param_and_keep_the_store(stage_dir, capsys, spoil, message):
    before = snapshot(stage_dir / "data/raw")
    assert len(before) == 5   # 3 pages, manifest.jsonl, episodes.json
    capsys.readouterr()
    spoil(stage_dir)
    with pytest.raises(SystemExit) as failed:
        scrape_stage.main(["offline_site", "data/raw"])
    captured = capsys.readouterr()
    assert failed.value.code == 1 and captured.err.startswith("scrape: ") and message in captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    assert snapshot(stage_dir / "data/raw") == before


def test_utf16_text_with_its_byte_order_mark_is_text(tmp_path):
    file = write_files(tmp_path / "one", {"wide.txt": "\ufeffWide \u00e9t\u00e9 text\r\n".encode("utf-16-le")})
    record_and_clean(tmp_path, file / "wide.txt", val_fraction=0, ascii=False)
    assert corpus_text(tmp_path, "train.txt") == "Wide \u00e9t\u00e9 text\n"


def test_empty_files_count_against_the_skip_threshold(tmp_path, capsys):
    folder = write_files(tmp_path / "mine", {**dict(list(POEMS.items())[:3]), "blank.txt": " \r\n\n"})
    with pytest.raises(CleanError) as failure:
        record_and_clean(tmp_path, folder, max_skipped_fraction=0.2)
    error = str(failure.value)
    assert error.startswith("files: 1 of 4 files yielded no text (25%, more than clean.max_skipped_fraction 20%)")
    assert f"{folder / 'blank.txt'} ({tmp_path}/raw/text/files/pages/blank.txt): no text (empty or blank file)" in error
    assert "--site text" in error and not (tmp_path / "corpus").exists()
    stats = record_and_clean(tmp_path, folder, max_skipped_fraction=0.25)
    assert stats["pages"]["skipped"] == 1 and sum(stats["episodes"].values()) == 3


def test_clean_page_shows_a_text_file_as_the_corpus_has_it(tmp_path, capfdbinary):
    file = write_files(tmp_path, {"notes.txt": "Caf\u00e9  \u2014 ok\r\n".encode("cp1252")}) / "notes.txt"
    assert clean_stage.main(["--page", str(file), "--site", "text", "--ascii"]) == 0
    assert capfdbinary.readouterr().out == b"Cafe  -- ok\n"


@pytest.mark.parametrize("key, value, message", [
    ("scrape.source", "files", "'scrape.source' is 'files'; it must be live, offline or text"),
    ("scrape.text.path", "", "'scrape.text.path' is ''; it must be a file or folder"),
    ("scrape.text.pattern", "../*.txt", "'scrape.text.pattern' is '../*.txt'; it must be a glob inside the folder"),
    ("scrape.text.pattern", "/etc/*", "'scrape.text.pattern' is '/etc/*'"),
])
def test_params_refuse_a_bad_source_path_or_pattern(key, value, message):
    with pytest.raises(ParamsError, match=re.escape(message)):
        with_overrides(load_params(PROJECT / "params.yaml"), {key: value})


def test_a_file_that_would_unbalance_the_split_makes_it_by_characters_with_a_warning(tmp_path, capsys):
    """Six small files and one single-line file twenty times their size, at val_fraction 0.05: split by
    whole files, the big one was the whole validation set (5,000,000 characters against 41,827 for
    training, issue 19), silently. Now a warning names it and the text is cut once, in path order,
    the last 5% validating: the reference is the files' text read as one, cut at n * 95 // 100."""
    pangram = "the quick brown fox jumps over the lazy dog"   # every letter in every file: none is val-only
    small = {f"{name}.txt": f"{name}: {pangram}.\n" * 150 for name in ("ash", "bay", "cove", "elder", "fjord", "grove")}
    big = {"dunes.txt": " ".join(f"dune {i}, {pangram}" for i in range(4_000)) + "\n"}   # one line
    folder = write_files(tmp_path / "mine", {**small, **big})
    texts = [(folder / name).read_text() for name in sorted({**small, **big})]
    stats = record_and_clean(tmp_path, folder, val_fraction=0.05)
    whole = "".join(texts)
    share = len(big["dunes.txt"]) / len(whole)
    assert f"clean: warning: {folder / 'dunes.txt'} makes {share:.0%} of the text" in capsys.readouterr().err
    cut = len(whole) * 95 // 100
    starts = [sum(map(len, texts[:i])) for i in range(len(texts) + 1)]
    pieces = [(whole[max(a, 0):min(b, cut)], whole[max(a, cut):b]) for a, b in zip(starts, starts[1:])]
    assert corpus_text(tmp_path, "train.txt") == "\n".join(head for head, _ in pieces if head)
    assert corpus_text(tmp_path, "val.txt") == "\n".join(tail for _, tail in pieces if tail)
    # the cut falls inside fjord.txt: its head trains, its tail and grove.txt validate
    assert stats["episodes"] == {"train": 6, "val": 2} and stats["bytes"]["val"] == len(whole) - cut + 1


def test_files_of_about_the_same_size_are_still_held_out_whole(tmp_path, capsys):
    """Eight files, each 12.5% of the text, at val_fraction 0.1: none makes more than twice 10%."""
    record_and_clean(tmp_path, write_files(tmp_path / "mine", POEMS), val_fraction=0.1)
    val = corpus_text(tmp_path, "val.txt")
    assert "warning" not in capsys.readouterr().err and val
    assert all(text in val or text in corpus_text(tmp_path, "train.txt") for text in POEMS.values())
