"""The clean stage fails loudly: when more than `clean.max_skipped_fraction` of one site's pages
yield no text (the parser raised or found none), it stops with exit 1, naming the pages, their
reasons and what to do, before anything in the corpus directory changes; the raw pages stay.

Raw stores are built in tmp_path in the layout of docs/contracts.md (tests/raw_store.py).
"""
import re
from pathlib import Path

import pytest

from common.params import ParamsError, load_params
from pipeline.clean import __main__ as clean_stage, build as clean_build
from pipeline.clean.corpus import CleanError
from app.workspace import with_overrides
from raw_store import build, make_raw_store, speech_page

PROJECT = Path(__file__).resolve().parent.parent
NO_TEXT = b"<html><body><p>Written by: A</p><hr><p>The End</p></body></html>"


def imsdb_page(line: str) -> bytes:
    return (f'<html><body><td class="scrtext"><pre>\n<b>                    GUS</b>\n'
            f"          {line}\n</pre></td></body></html>").encode()


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `directory` with its bytes and modification time."""
    return {str(path.relative_to(directory)): (path.read_bytes(), path.stat().st_mtime_ns)
            for path in sorted(directory.rglob("*")) if path.is_file()}


def break_livesinabox(monkeypatch, broken: set[int]) -> None:
    """Make the livesinabox parser raise on the pages saying "Pie <n>." for n in `broken`."""
    parse = clean_build.PARSERS["livesinabox"]

    def regressed(html_bytes: bytes) -> str:
        number = re.search(rb"Pie (\d+)\.", html_bytes)
        if number and int(number.group(1)) in broken:
            raise ValueError("no speaker markup")
        return parse(html_bytes)
    monkeypatch.setitem(clean_build.PARSERS, "livesinabox", regressed)


@pytest.fixture
def stage_dir(tmp_path, monkeypatch):
    """tmp_path as a project root: params.yaml (the project's, on the offline source) and ten good
    livesinabox pages in data/raw."""
    params = (PROJECT / "params.yaml").read_text().replace("source: live", "source: offline")
    assert "max_skipped_fraction: 0.2" in params
    (tmp_path / "params.yaml").write_text(params)
    make_raw_store(tmp_path / "data" / "raw", {f"{n}.htm": speech_page("Gus", f"Pie {n}.") for n in range(10)})
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_parser_regression_above_the_threshold_fails_and_changes_nothing(stage_dir, monkeypatch, capsys):
    assert clean_stage.main(["data/raw", "data/corpus"]) == 0
    corpus_before, raw_before = snapshot(stage_dir / "data" / "corpus"), snapshot(stage_dir / "data" / "raw")
    assert len(corpus_before) == 4
    capsys.readouterr()
    break_livesinabox(monkeypatch, {2, 5, 7})  # 3 of 10 pages: 30% > 20%

    assert clean_stage.main(["data/raw", "data/corpus"]) == 1
    captured = capsys.readouterr()
    error = captured.err[captured.err.index("clean: error:"):]
    assert "livesinabox: 3 of 10 pages yielded no script text (30%, more than clean.max_skipped_fraction 20%)" in error
    for n in (2, 5, 7):
        assert (f"http://example.invalid/{n}.htm (data/raw/offline/livesinabox/pages/{n}.htm): "
                "the parser failed (ValueError: no speaker markup)") in error
    assert "4.htm" not in error and "... and" not in error
    assert "python -m pipeline.clean --page data/raw/offline/livesinabox/pages/2.htm --site livesinabox" in error
    assert "raise clean.max_skipped_fraction" in error and "Traceback" not in captured.err
    assert captured.out == ""
    assert snapshot(stage_dir / "data" / "corpus") == corpus_before
    assert snapshot(stage_dir / "data" / "raw") == raw_before


def test_the_first_run_fails_without_creating_the_corpus_directory(stage_dir, monkeypatch):
    break_livesinabox(monkeypatch, set(range(5)))  # half of the pages still make a corpus
    assert clean_stage.main(["data/raw", "data/corpus"]) == 1
    assert not (stage_dir / "data" / "corpus").exists()


@pytest.mark.parametrize("skipped, fails", [(0, False), (1, False), (2, False), (3, True)])
def test_the_limit_is_more_than_the_fraction_of_a_site(tmp_path, capsys, skipped, fails):
    pages = {f"{n}.htm": NO_TEXT if n < skipped else speech_page("Gus", f"Pie {n}.") for n in range(10)}
    make_raw_store(tmp_path / "raw", pages)
    if fails:
        with pytest.raises(CleanError, match=r"3 of 10 pages .*\(30%"):
            build(tmp_path, max_skipped_fraction=0.2)
        assert not (tmp_path / "corpus").exists()
        return
    stats = build(tmp_path, max_skipped_fraction=0.2)  # 2 of 10 is 20%: not more than the limit
    assert stats["pages"]["skipped"] == skipped
    assert stats["episodes"]["train"] + stats["episodes"]["val"] == 10 - skipped
    assert capsys.readouterr().err.count(": no script text found") == skipped


def test_each_site_is_held_to_the_limit_on_its_own(tmp_path):
    make_raw_store(tmp_path / "raw", {f"{n}.html": imsdb_page(f"Pie number {n}.") for n in range(20)}, site="imsdb")
    make_raw_store(tmp_path / "raw", {f"{n}.htm": NO_TEXT if n < 3 else speech_page("Gus", f"Pie {n}.")
                                      for n in range(10)})
    with pytest.raises(CleanError) as failure:  # 3 of 30 pages overall is 10%, but 30% of livesinabox
        build(tmp_path, max_skipped_fraction=0.2)
    assert str(failure.value).startswith("livesinabox: 3 of 10 pages") and "imsdb" not in str(failure.value)
    stats = build(tmp_path, max_skipped_fraction=0.3)
    assert stats["pages"]["skipped"] == 3 and stats["sites"]["imsdb"]["train"]["episodes"] > 0


def test_a_long_list_of_pages_is_cut_short(tmp_path):
    make_raw_store(tmp_path / "raw", {f"{n:02}.htm": NO_TEXT for n in range(25)})
    with pytest.raises(CleanError) as failure:
        build(tmp_path, max_skipped_fraction=0.5)
    lines = str(failure.value).splitlines()
    listed = [line for line in lines if line.startswith("  http://")]
    assert len(listed) == clean_build.MAX_LISTED and f"  ... and {25 - clean_build.MAX_LISTED} more" in lines[-2]
    assert lines[-1].startswith(f"Nothing was written to {tmp_path / 'corpus'}")


@pytest.mark.parametrize("value", [1.5, -0.1, "20%", True])
def test_params_refuse_a_limit_outside_0_to_1_naming_the_key(project_root, value):
    with pytest.raises(ParamsError, match=r"'clean.max_skipped_fraction' is .*; it must be (a number )?in \[0, 1\]"):
        with_overrides(load_params(project_root / "params.yaml"), {"clean.max_skipped_fraction": value})


def test_the_stage_refuses_the_params_before_any_work(stage_dir, capsys):
    params = stage_dir / "params.yaml"
    params.write_text(params.read_text().replace("max_skipped_fraction: 0.2", "max_skipped_fraction: 1.5"))
    assert clean_stage.main(["data/raw", "data/corpus"]) == 1
    assert "'clean.max_skipped_fraction' is 1.5" in capsys.readouterr().err
    assert not (stage_dir / "data" / "corpus").exists()
