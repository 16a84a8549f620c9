"""IMSDb pages read one at a time: small inline show and detail pages (invented titles) served on
127.0.0.1 by pytest-httpserver, URL quoting, and the script text the parser takes from each quirk
of the fixture site's script pages (tests/fixtures/imsdb/scripts/, docs/sites.md §2.5)."""
from pathlib import Path

import pytest

from common.settings import ImsdbSettings
from loopback import HTML, httpserver_listen_address, no_robots, requested_paths, serve_page  # noqa: F401
from loopback import polite_client as client
from scrapers.crawl import Crawl
from scrapers.imsdb import episodes as imsdb, links, movies, tv
from scrapers.imsdb.parse import transcript_text
from scrapers.store import PageStore
from scrapers.urls import quote_url

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "imsdb"


SHOW_PAGE = """<html><body><table class="body"><tr><td width=180>
<table><tr><td class="heading">TV Transcripts</td></tr><tr><td><a href="/TV/Lost.html">Lost</a></td></tr></table>
<td>
<h1>Puddle Town Transcripts</h1>
<h2>Series 1</h2>
<p><a href="/TV Transcripts/Puddle Town - Where Did the Ducks Go? Script.html" title="x">Where Did the Ducks Go?</a> (1999-01-02)<br><i>Written by A</i></p>
<p><a href="/TV Transcripts/Puddle Town - Salt & Pepper Script.html">Salt &amp; Pepper</a> (1999-01-09)</p>
<p>No link in this paragraph.</p>
<p><a href="/writer.php?w=A">A</a> is not an episode.</p>
<h2>Series 2</h2>
<p><a href="/TV Transcripts/Puddle Town - Gran's Big Day Script.html">Gran's Big Day</a></p>
<p><a href="/TV Transcripts/Puddle Town - Gran's Big Day Script.html">Gran's Big Day</a></p>
<h2>Series 10</h2>
<p><a href="https://imsdb.com/TV%20Transcripts/Puddle%20Town%20-%20Fifty%25%20Off%20Script.html">Fifty% Off</a></p>
</td></table></body></html>"""


def test_parse_show_page_lists_episodes_by_series_in_document_order():
    episodes = tv.parse_show_page(SHOW_PAGE, "https://imsdb.com/TV/Puddle%20Town.html")
    assert [(e["season"], e["episode"], e["title"]) for e in episodes] == [
        (1, 1, "Where Did the Ducks Go?"), (1, 2, "Salt & Pepper"), (2, 1, "Gran's Big Day"), (10, 1, "Fifty% Off")]
    assert [e["url"] for e in episodes] == [
        "https://imsdb.com/TV%20Transcripts/Puddle%20Town%20-%20Where%20Did%20the%20Ducks%20Go%3F%20Script.html",
        "https://imsdb.com/TV%20Transcripts/Puddle%20Town%20-%20Salt%20%26%20Pepper%20Script.html",
        "https://imsdb.com/TV%20Transcripts/Puddle%20Town%20-%20Gran%27s%20Big%20Day%20Script.html",
        "https://imsdb.com/TV%20Transcripts/Puddle%20Town%20-%20Fifty%25%20Off%20Script.html"]


def test_quote_url_keeps_special_characters_and_existing_escapes():
    base = "http://127.0.0.1:8000/TV%20Transcripts/x.html"
    assert quote_url(base, "/transcripts/Puddle-Town-Why%3F.html") == "http://127.0.0.1:8000/transcripts/Puddle-Town-Why%3F.html"
    assert quote_url(base, "../transcripts/It's #1?.html") == "http://127.0.0.1:8000/transcripts/It%27s%20%231%3F.html"
    assert tv.show_page_url("https://imsdb.com", "Stargate SG-1") == "https://imsdb.com/TV/Stargate%20SG1.html"


@pytest.mark.parametrize("href, expected", [
    ("/scripts/Why?", "/scripts/Why%3F"),                      # a trailing ? is part of the name
    ("#9 Script.html", "/TV%20Transcripts/%239%20Script.html"),  # an href starting with # is a file
    ("/scripts/100% Pure.html", "/scripts/100%25%20Pure.html"),  # a lone % is escaped
    ("/a/#b/../c.html", "/a/c.html"),                          # .. after a # still resolves
    ("http://127.0.0.1:8000/x y.html", "/x%20y.html"),         # absolute hrefs keep their origin
])
def test_quote_url_treats_everything_after_the_host_as_path(href, expected):
    base = "http://127.0.0.1:8000/TV%20Transcripts/x.html"
    assert quote_url(base, href) == "http://127.0.0.1:8000" + expected


DETAIL_PAGE = """<html><body><table class="script-details"><tr><td>
<h1>Salt &amp; Pepper Script</h1><b>Writers</b> <a href="/writer.php?w=A">A</a><br>
<p align="center"><a href="/transcripts/Puddle-Town-Salt-%26-Pepper.html">Read "Salt & Pepper" Script</a></p>
</td></tr></table></body></html>"""


def test_parse_episode_page_finds_the_transcript_link():
    page_url = "https://imsdb.com/TV%20Transcripts/Puddle%20Town%20-%20Salt%20%26%20Pepper%20Script.html"
    assert tv.parse_episode_page(DETAIL_PAGE, page_url) == "https://imsdb.com/transcripts/Puddle-Town-Salt-%26-Pepper.html"
    fallback = '<p align="center"><a href="/transcripts/Puddle-Town-Gran\'s-Big-Day.html">Read</a></p>'
    assert tv.parse_episode_page(fallback, page_url) == "https://imsdb.com/transcripts/Puddle-Town-Gran%27s-Big-Day.html"
    assert tv.parse_episode_page("<table class='script-details'><h1>No script</h1></table>", page_url) is None


TRANSCRIPT = "<html><body><td class=scrtext><pre>ok</pre></td></body></html>"   # the least a stored one holds


def test_imsdb_records_missing_pages_and_links_without_crashing(tmp_path, httpserver):
    no_robots(httpserver)
    serve_page(httpserver, "/TV/Puddle Town.html", SHOW_PAGE.encode("cp1252"))
    serve_page(httpserver, "/TV/No Such Show.html", "no such show", status=404)
    serve_page(httpserver, "/TV Transcripts/Puddle Town - Where Did the Ducks Go? Script.html",
               "<html><body><table class='script-details'><h1>No script yet</h1></table></body></html>")
    serve_page(httpserver, "/TV Transcripts/Puddle Town - Salt & Pepper Script.html", DETAIL_PAGE)
    serve_page(httpserver, "/transcripts/Puddle-Town-Salt-&-Pepper.html", TRANSCRIPT)
    serve_page(httpserver, "/TV Transcripts/Puddle Town - Gran's Big Day Script.html", "gone", status=404)
    crawl = Crawl(client(), PageStore(tmp_path))
    settings = ImsdbSettings(url=httpserver.url_for("/"), shows=("Puddle Town", "No Such Show"), movies="none",
                             movie_limit=0)
    listings = imsdb.list_episodes(crawl, settings.url, settings)
    assert len(listings) == 4  # the absolute Series 10 link points at imsdb.com and is never fetched
    records = [imsdb.fetch_episode(crawl, listing) for listing in listings[:3]]
    assert [r and r["title"] for r in records] == [None, "Salt & Pepper", None]
    assert records[1]["id"] == "imsdb/Puddle Town/1/2" and crawl.store.get(records[1]["url"]) == TRANSCRIPT.encode()
    errors = [entry["error"] for entry in crawl.store.manifest() if entry["error"]]
    assert errors == ["HTTP 404", "no transcript link on the episode page", "HTTP 404"]
    assert dict(crawl.counts) == {"fetched": 4, "failed": 2, "skipped": 1}
    assert requested_paths(httpserver).count("/TV/No Such Show.html") == 1


SCRIPT_QUIRKS = {   # fixture file: (a cue and the start of its speech, another cue)
    "scripts/Lighthouse,-The.html": ("EDITH\nThe lamp's stuck again.", "CORMAC (yawning)\nIt's three"),
    "scripts/Number-#9.html": ("JUNO\nThe number nine never comes", "ABEL\nThen why are we waiting?"),
    "scripts/Mabel-&-Doris.html": ("MABEL\nLeft pedal, Doris.", "DORIS\nI have been pedalling"),
    "scripts/Where-Is-Gus?.html": ("TOMMY\nGus? Gus!", "MUM (not looking up)\nHe's under the porch."),
    "scripts/Grandma's-Radio.html": ("PRIYA\nDoes it still work?", "GRANDMA\nIt worked in"),
    "scripts/Zebra-Crossing.html": ("WALT\nI've stopped traffic", "FERN\nThank you, Walt."),
    "transcripts/Stargate-SG-1-Tea-&-Static.html": ("HAMMOND\nWho ordered", "CARTER\nIt's for the static"),
}
PAGE_FURNITURE = ["Back to IMSDb", "Writers", "Genres", "User Comments", "window", "top.location", "<!--",
                  "//", "-->", "by Pell Marrow", "Scanned by", "Formatting by", "<"]


@pytest.mark.parametrize("name", SCRIPT_QUIRKS)
def test_script_text_has_the_speeches(name):
    text = transcript_text((FIXTURES / name).read_bytes())
    for speech in SCRIPT_QUIRKS[name]:
        assert f"\n\n{speech}" in text


@pytest.mark.parametrize("name", SCRIPT_QUIRKS)
def test_script_text_leaves_out_the_page_around_the_script(name):
    text = transcript_text((FIXTURES / name).read_bytes())
    assert text and not [junk for junk in PAGE_FURNITURE if junk in text]


DETAILS = ('<table class="script-details"><tr><td><h1>X Script</h1>'
           '<b>Writers</b> <a href="/writer.php?w=A">A</a>{}</table>')


@pytest.mark.parametrize("html, script_url", [
    (DETAILS.format('<p align="center"><a href="/scripts/X.html">Read "X" Script</a></p>'), "http://h/scripts/X.html"),
    (DETAILS.format('<br><a href="/scripts/X.html">Read "X" Script</a>'), "http://h/scripts/X.html"),
    ('<p align="center"><a href="/writer.php?w=A">A</a></p>'
     + DETAILS.format('<a href="/scripts/Y.html">Y</a><a href="#comments">c</a>'), "http://h/scripts/Y.html"),
    (DETAILS.format('<p align="center"><a href="/scripts/Thelma-%26-Louise.html">Read</a></p>'),
     "http://h/scripts/Thelma-%26-Louise.html"),
    (DETAILS.format('<p align="center"><a href="/scripts/.">Read</a></p>'), "http://h/scripts/"),
    (DETAILS.format(""), None),
], ids=["centered-link", "last-link-in-details", "first-link-into-scripts", "escaped-ampersand-kept", "dot", "none"])
def test_parse_movie_page_finds_the_script_link(html, script_url):
    assert movies.parse_movie_page(html, "http://h/Movie%20Scripts/X%20Script.html") == script_url


@pytest.mark.parametrize("url, reason_part", [
    (None, "no script link on the movie page"),
    ("http://h/scripts/", "points at a folder"),
    ("http://h/scripts/X.pdf", "is a PDF"),
    ("http://h/scripts/X.PDF", "is a PDF"),
    ("http://h/scripts/X.doc", "not an HTML page"),
    ("http://h/scripts/X.html", None),
    ("http://h/scripts/X.htm", None),
])
def test_unusable_script_links_are_named(url, reason_part):
    why = links.unusable_link_reason(url, detail_kind="movie", page_kind="script")
    assert why == reason_part if reason_part is None else reason_part in why
