"""The clean stage on the bundled offline site: every transcript page parses into the uniform
format without page furniture, and the whole site makes a corpus with both sites in train."""
import re
from pathlib import Path

from format_check import format_problems
from raw_store import build, make_raw_store, read
from scrapers.imsdb import parse as parse_imsdb
from scrapers.livesinabox import parse as parse_livesinabox

OFFLINE_SITE = Path(__file__).resolve().parent.parent / "offline_site"


def offline_pages():
    imsdb = sorted((OFFLINE_SITE / "imsdb" / "transcripts").glob("*.html"))
    friends = sorted(path for path in (OFFLINE_SITE / "livesinabox" / "friends").rglob("*.*htm*")
                     if path.name != "scripts.shtml")
    return [(parse_imsdb, path) for path in imsdb] + [(parse_livesinabox, path) for path in friends]


def test_every_offline_transcript_page_cleans_into_the_uniform_format():
    """The bundled site is part of the project (`make demo` and the pipeline tests serve it): its pages
    missing is a failure, not a reason to skip."""
    pages = offline_pages()
    assert {parser for parser, _ in pages} == {parse_imsdb, parse_livesinabox}, f"no transcript pages in {OFFLINE_SITE}"
    for parser, path in pages:
        text = parser.transcript_text(path.read_bytes())
        assert format_problems(text) == [], path
        assert len(re.findall(r"(?m)^[A-Z][A-Z .'/&-]*( \(.*\))?\n[^\[({\n]", text)) >= 3, path
        for junk in ("Written by", "Transcribed by", "Back to IMSDb", "best viewed", "Donate", "SOUTH PARK"):
            assert junk not in text, (path, junk)


def test_offline_site_corpus(tmp_path):
    for site, parser in (("imsdb", parse_imsdb), ("livesinabox", parse_livesinabox)):
        pages = {path.name: path.read_bytes() for page_parser, path in offline_pages() if page_parser is parser}
        make_raw_store(tmp_path / "raw", pages, site=site)
    stats = build(tmp_path, min_char_count=5)
    assert stats["episodes"]["train"] > stats["episodes"]["val"] >= 1 and stats["pages"]["skipped"] == 0
    assert all(stats["sites"][site]["train"]["episodes"] > 0 for site in ("imsdb", "livesinabox"))
    train = read(tmp_path, "train.txt")
    assert train.isascii() and format_problems(train) == [] and stats["vocab_size"] <= 96
