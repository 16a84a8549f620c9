"""A page is complete when the transport says so, and usable when the site's parser finds what it
needs; a missing `</body>` or `</html>` alone never refuses a page (docs/sites.md §5).

The page under test is shaped like the real livesinabox season 10 pages (docs/sites.md §3.2): the
finale `tests/fixtures/livesinabox/friends/1017.shtml` ends with the site footer, `</td></tr></table>`
and an image map, and has neither closing tag. It is served by a raw socket server on 127.0.0.1
in each framing HTTP has: a Content-Length, chunked encoding, or neither (the end of the body is
the server's clean close). Whatever the framing, it is stored on the first run and never asked for
again; and each way a body can really be cut short (Content-Length not met, a chunked stream cut
inside a chunk, between two chunks or before its last chunk, a connection reset) is refused,
retried, and never stored. The server counts the requests, so nothing here depends on timing.
"""
import json
from dataclasses import replace

import pytest

from common.settings import ScrapeSettings
from conftest import project_settings
from loopback import LIVESINABOX, RawServer, chunked, reset, respond, truncated, unframed
from scrapers.run import scrape_sites
from scrapers.store import PageStore

INDEX_PATH, FINALE_PATH = "/friends/scripts.shtml", "/friends/1017.shtml"
FINALE = (LIVESINABOX / "friends/1017.shtml").read_bytes()
INDEX = (b'<html><body><ul><li><a href="1017.shtml">Episodes 1017 &amp; 1018: The Last One With Everybody'
         b"</a></li></ul></body></html>")
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"


def test_the_fixture_is_shaped_like_the_real_season_10_pages():
    text = FINALE.decode("cp1252")
    assert "</body>" not in text.lower() and "</html>" not in text.lower()
    footer = text.index("best viewed at 800x600")
    assert text.index('<p align="center"><strong>THE END</strong></p>') < footer < text.index("bottom8.jpg")
    assert text.rstrip().endswith("</td></tr></table>") and "&copy;" in text[footer:]
    assert text.index("<b>Friends</b>") < text.index("<p>Written by:")


def settings(retries: int = 0) -> ScrapeSettings:
    return replace(project_settings(ScrapeSettings), sites=("livesinabox",), delay=0, retries=retries)


def scrape(server: RawServer, out, retries: int = 0):
    # a test-sized wait between attempts: the server counts the requests, so nothing depends on it
    return scrape_sites(settings(retries), {"livesinabox": server.url(INDEX_PATH)}, out,
                        progress=False, backoff=0.01)["livesinabox"]


FRAMINGS = {
    "content-length": respond(FINALE),
    "chunked": chunked(FINALE, pieces=4),
    "closed-connection": unframed(FINALE),   # no length, not chunked: the clean close ends the body
}


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_season_10_page_is_stored_on_the_first_run_and_never_fetched_again(tmp_path, framing):
    with RawServer({INDEX_PATH: [respond(INDEX)], FINALE_PATH: [FRAMINGS[framing]]}) as server:
        first = scrape(server, tmp_path)
        second = scrape(server, tmp_path)
        stored = PageStore(tmp_path / "livesinabox").get(server.url(FINALE_PATH))
    assert first.crawl.reasons["failed"] == {} and first.crawl.counts["fetched"] == 2
    assert stored == FINALE
    assert server.count(FINALE_PATH) == 1 and second.crawl.counts["fetched"] == 0
    [episode] = json.loads((tmp_path / "livesinabox/episodes.json").read_text(encoding="utf-8"))
    assert episode["episodes"] == [1017, 1018]


def reset_mid_body(body: bytes):
    return reset(after=HEAD % len(body) + body[:len(body) // 2])


HALF = -(-len(FINALE) // 2)                       # the first of two chunks
AFTER_FIRST_CHUNK = len(b"%x\r\n" % HALF) + HALF + 2   # its size line, its bytes and their CRLF
CUT_SHORT = {
    "content-length-not-met": truncated(FINALE[:len(FINALE) // 2], declared=len(FINALE)),
    "chunked-cut-inside-a-chunk": chunked(FINALE, pieces=2, cut=400),
    "chunked-cut-between-chunks": chunked(FINALE, pieces=2, cut=AFTER_FIRST_CHUNK),
    "chunked-without-its-last-chunk": chunked(FINALE, pieces=2, last_chunk=False),
    "connection-reset": reset_mid_body(FINALE),
}


@pytest.mark.parametrize("fault", CUT_SHORT)
def test_a_body_cut_short_is_retried_and_only_the_whole_page_stored(tmp_path, fault):
    with RawServer({INDEX_PATH: [respond(INDEX)], FINALE_PATH: [CUT_SHORT[fault], respond(FINALE)]}) as server:
        report = scrape(server, tmp_path, retries=1)
        stored = report.crawl.store.get(server.url(FINALE_PATH))
    assert server.count(FINALE_PATH) == 2 and stored == FINALE and len(report.episodes) == 1


@pytest.mark.parametrize("fault", CUT_SHORT)
def test_a_body_that_stays_cut_short_is_never_stored(tmp_path, fault):
    with RawServer({INDEX_PATH: [respond(INDEX)], FINALE_PATH: [CUT_SHORT[fault]]}) as server:
        report = scrape(server, tmp_path, retries=2)
        assert not report.crawl.store.has(server.url(FINALE_PATH))
    assert server.count(FINALE_PATH) == 3 and report.episodes == []
    [entry] = [entry for entry in report.crawl.store.manifest() if entry["outcome"] == "failed"]
    assert entry["reason"] in ("truncated body", "connection reset") and "3 attempts" in entry["error"]
