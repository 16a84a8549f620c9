"""The clean stage on one fixture page per quirk of the real sites, byte for byte, and `--page`.

Each `tests/fixtures/clean/<site>-<quirk>.html` sits next to `<site>-<quirk>.expected.txt`, the exact
text `python -m pipeline.clean --page FILE --site SITE --no-ascii` prints (see the README there).
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from format_check import format_problems
from pipeline.clean import __main__ as clean_stage, build
from pipeline.clean.ascii import to_ascii

PROJECT = Path(__file__).resolve().parent.parent
FIXTURES = PROJECT / "tests" / "fixtures" / "clean"
PAGES = sorted(FIXTURES.glob("*.html"))
QUIRKS = {
    "imsdb": ["normal-pre", "nested-pre", "no-pre", "embedded-document", "details-table", "frame-buster",
              "scanner-credits", "movie-crlf", "latin1", "pre-outside-scrtext", "title-first"],
    "livesinabox": ["b-colon-inside", "b-colon-outside", "strong-colon-inside", "strong-colon-outside",
                    "plain-upper-br", "plain-title-case", "ms-word", "misnested", "uncut-blue", "credits",
                    "season10-template", "charrefs", "cp1252-under-latin1-meta", "utf8-under-cp1252-meta"],
}


def site_of(page: Path) -> str:
    return page.name.split("-", 1)[0]


def expected(page: Path) -> bytes:
    return page.with_name(page.name.removesuffix(".html") + ".expected.txt").read_bytes()


def test_every_quirk_has_a_page_and_an_expected_text():
    names = {page.name for page in PAGES}
    for site, quirks in QUIRKS.items():
        for quirk in quirks:
            assert f"{site}-{quirk}.html" in names
    for page in PAGES:
        assert expected(page), page.name


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.stem)
def test_page_cleans_to_its_expected_text_byte_for_byte(page):
    text, dropped = build.page_script(page.read_bytes(), site_of(page), ascii=False)
    assert text.encode("utf-8") == expected(page)
    assert format_problems(text) == [] and not dropped
    for junk in ("Back to IMSDb", "Writers :", "Genres :", "User Comments", "Written by", "Transcribed by",
                 "best viewed", "Donate", "window!= top", "Scanned", "\u00e2\u20ac", "\u00c3"):
        assert junk not in text, junk


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.stem)
def test_page_option_prints_the_page_as_in_the_corpus(page, tmp_path, monkeypatch, capsysbinary):
    monkeypatch.chdir(tmp_path)  # no params.yaml here: clean.ascii comes from the project's (on)
    assert clean_stage.main(["--page", str(page), "--site", site_of(page), "--no-ascii"]) == 0
    assert capsysbinary.readouterr().out == expected(page)
    assert clean_stage.main(["--page", str(page), "--site", site_of(page)]) == 0
    folded = capsysbinary.readouterr().out
    assert folded.isascii() and folded.decode() == to_ascii(expected(page).decode("utf-8"))[0]
    assert format_problems(folded.decode()) == []


@pytest.mark.parametrize("name, ascii_text", [
    ("imsdb-latin1", '(A chalkboard: "Crepe du jour 1/2 price, 5".)\n\nSOL\n'
                     "Senor Dev, your naive cafe au lait. It's 40 out...\n"),
    ("livesinabox-charrefs", "IRIS\nIt's \"seafoam\"... he says it's 'seafoam'.\n\n"
                             "DEV\nIt is--and I'll die on this hill - seafoam.\n"),
    ("livesinabox-cp1252-under-latin1-meta", "SOL\n!Hola! ?Que tal? That's all the Spanish I know...\n\n"
                                             'MAGGIE\n"Que tal" - not bad -- for a sailor.\n'),
    ("livesinabox-utf8-under-cp1252-meta", "NORA\nIt's a \"snapshot\"... of my cafe au lait -- don't ask.\n"),
])
def test_encoding_fixtures_fold_to_plain_ascii(name, ascii_text):
    text, _ = build.page_script((FIXTURES / f"{name}.html").read_bytes(), name.split("-", 1)[0], ascii=True)
    assert ascii_text in text


PROJECT_PARAMS = (PROJECT / "params.yaml").read_text(encoding="utf-8")


def run_page_command(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    return subprocess.run([sys.executable, "-m", "pipeline.clean", *args], cwd=cwd, env=env,
                          capture_output=True, timeout=60)


def test_page_command_in_a_subprocess_takes_clean_ascii_from_params_yaml(tmp_path):
    page = FIXTURES / "livesinabox-utf8-under-cp1252-meta.html"
    folded = run_page_command(tmp_path, "--page", str(page), "--site", "livesinabox")
    assert folded.returncode == 0, folded.stderr
    assert folded.stdout == to_ascii(expected(page).decode("utf-8"))[0].encode("ascii")
    (tmp_path / "params.yaml").write_text(PROJECT_PARAMS.replace("ascii: true", "ascii: false"))
    unicode = run_page_command(tmp_path, "--page", str(page), "--site", "livesinabox")
    assert unicode.returncode == 0 and unicode.stdout == expected(page)


def test_page_option_is_documented_and_misuse_is_refused(tmp_path, monkeypatch, capsys):
    with pytest.raises(SystemExit) as shown:
        clean_stage.main(["--help"])
    assert shown.value.code == 0
    help_text = capsys.readouterr().out
    assert "--page FILE" in help_text and "imsdb" in help_text and "livesinabox" in help_text
    for argv in (["--page", "x.html"], ["--site", "imsdb"], ["--page", "x.html", "--site", "other"]):
        with pytest.raises(SystemExit) as refused:
            clean_stage.main(argv)
        assert refused.value.code == 2
    monkeypatch.chdir(tmp_path)
    assert clean_stage.main(["--page", "missing.html", "--site", "imsdb"]) == 1
    assert "missing.html: cannot read" in capsys.readouterr().err
    (tmp_path / "empty.html").write_bytes(b"<html><body><p>Nothing here.</p></body></html>")
    assert clean_stage.main(["--page", "empty.html", "--site", "imsdb"]) == 1
    assert "empty.html: no script text found" in capsys.readouterr().err
    (tmp_path / "params.yaml").write_text(PROJECT_PARAMS.replace("ascii: true", "ascii: maybe"))
    assert clean_stage.main(["--page", str(PAGES[0]), "--site", site_of(PAGES[0])]) == 1
    assert "'clean.ascii' is the string 'maybe'" in capsys.readouterr().err
