"""livesinabox: the index's quirks (docs/sites.md §3.1) on the hand-written fixture site in
tests/fixtures/livesinabox/, crawled over 127.0.0.1; hostile hrefs and titles; and a crawl whose
server dies midway, resumed without asking for any stored page again.
"""
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from common.settings import ScrapeSettings
from conftest import project_settings
from loopback import LIVESINABOX, httpserver_listen_address, no_robots, serve_files, serve_page  # noqa: F401
from loopback import polite_client as client
from scrapers.crawl import Crawl
from scrapers.decode import decode_bytes
from scrapers.livesinabox import episodes as livesinabox
from scrapers.run import scrape_sites
from scrapers.store import PageStore

FRIENDS = LIVESINABOX / "friends"
# (season, episodes, href, title) of each distinct page, in index order
EXPECTED_PAGES = [
    (1, [101], "season1/101kayak.htm", "The One With the Borrowed Kayak"),
    (1, [102], "season1/102soup.htm", "The One With the Cold Soup"),
    (2, [212, 213], "season2/212lift.htm", "The One With the Broken Lift (Parts 1 & 2)"),
    (4, [414], "season4/414quiz.htm", "The One With the Pub Quiz"),
    (4, [423], "season4/423wed.htm", "The One With the Wedding in the Rain, Parts I and II"),
    (4, [423], "season4/423uncut.htm", "The One With the Wedding in the Rain, Parts I and II - The Uncut Version"),
    (9, [922], "season9/0922.html", "The One With the Night Bus"),
    (9, [923, 924], "season9/0923-0924.html", "The One on the Island (Part 1)"),
    (10, [1001], "1001.shtml", "The One After the Island"),
    (10, [1005], "1005.shtml", "The One With the Stolen Bicycle"),
    (10, [1017, 1018], "1017.shtml", "The Last One With Everybody"),
]
INDEX_PATH = "/friends/scripts.shtml"


def fixture_index() -> str:
    return decode_bytes((FRIENDS / "scripts.shtml").read_bytes())


def fixture_file(url: str) -> Path:
    return LIVESINABOX / urlsplit(url).path.lstrip("/")


def crawl_all(crawl: Crawl, index_url: str) -> list[dict]:
    return [livesinabox.fetch_episode(crawl, listing) for listing in livesinabox.list_episodes(crawl, index_url)]


def test_the_fixture_index_has_the_real_ones_quirks():
    index = fixture_index()
    before_first_episode = index[:index.index('<a href="season1/101kayak.htm"')]
    assert before_first_episode.count("<a ") == 40
    assert {"Epsiode", "Episdoe"} <= set(re.findall(r">(Ep\w+) \d", index))
    assert index.count('href="season9/0923-0924.html"') == 2


def test_the_index_yields_every_page_once_with_numbers_from_the_labels():
    base = "http://www.livesinabox.com/friends/"
    listings = livesinabox.parse_index(fixture_index(), base + "scripts.shtml")
    assert [(l["season"], l["episodes"], l["url"], l["title"]) for l in listings] == [
        (season, episodes, base + href, title) for season, episodes, href, title in EXPECTED_PAGES]
    assert livesinabox.unnumbered_episode_links(fixture_index(), base + "scripts.shtml") == []


def test_index_and_folder_urls():
    assert livesinabox.index_url("http://127.0.0.1:8000/friends") == "http://127.0.0.1:8000/friends/scripts.shtml"
    assert livesinabox.index_url("http://127.0.0.1:8000/friends/") == "http://127.0.0.1:8000/friends/scripts.shtml"
    assert livesinabox.folder_url("http://www.livesinabox.com/friends/scripts.shtml") == \
        "http://www.livesinabox.com/friends/"


def test_crawling_the_fixture_site_stores_every_page_exactly_once(tmp_path):
    with serve_files(LIVESINABOX) as (base, log):
        crawl = Crawl(client(), PageStore(tmp_path))
        records = crawl_all(crawl, base + INDEX_PATH)
    assert all(records) and len(records) == len(EXPECTED_PAGES)
    assert Counter(log) == Counter(["/robots.txt", INDEX_PATH] + [f"/friends/{href}" for *_, href, _ in EXPECTED_PAGES])
    for record, (season, episodes, href, title) in zip(records, EXPECTED_PAGES):
        assert crawl.store.get(record["url"]) == (FRIENDS / href).read_bytes()
        assert (tmp_path / record["path"]).read_bytes() == (FRIENDS / href).read_bytes()
        assert record["id"] == f"livesinabox/Friends/{season}/{episodes[0]}"
    assert records[4]["id"] == records[5]["id"]   # 423 and its uncut version: one episode
    assert b"\x92" in crawl.store.get(records[1]["url"])   # raw cp1252 bytes kept as they came
    assert dict(crawl.counts) == {"fetched": len(EXPECTED_PAGES) + 1}


# ----------------------------------------------------------------------------------- inline index


INDEX_PAGE = """<html><body><table><tr><td><a href="index.shtml">Home</a>
<ul><li><a href="/friends/links.shtml">Links</a></li></ul>
<ul>
<li><a href="season1/101start.htm">Episode 101: The One Where It Starts</a></li>
<li><a href="season1/102jam.htm">Epsiode 102: The One With Jam &amp; Toast</a></li>
<li><a href="season1/103cat.htm">Episdoe   103 :  The One With Nobody's Cat?</a></li>
<li><a href="season1/104-105.htm">Episode 104: The One With the Long Weekend (Part 1)</a></li>
<li><a href="season1/104-105.htm">Episode 105: The One With the Long Weekend (Part 2)</a></li>
<li><a href="season1/106both.htm">Episode 106-107: The One With Two Parts</a></li>
</ul><ul>
<li><a href="1001.shtml">Episode 1001: The One In Season Ten</a></li>
<li><a href="1001.shtml">Episode 1001: The One In Season Ten</a></li>
<li><a href="season1/zzz.htm">Bloopers</a></li>
</ul></td></tr></table></body></html>"""


def test_parse_index_reads_labels_dedupes_pages_and_finds_season_ten():
    index_url = "http://www.livesinabox.com/friends/scripts.shtml"
    listings = livesinabox.parse_index(INDEX_PAGE, index_url)
    assert [(l["season"], l["episodes"], l["title"]) for l in listings] == [
        (1, [101], "The One Where It Starts"), (1, [102], "The One With Jam & Toast"),
        (1, [103], "The One With Nobody's Cat?"), (1, [104, 105], "The One With the Long Weekend (Part 1)"),
        (1, [106, 107], "The One With Two Parts"), (10, [1001], "The One In Season Ten")]
    assert listings[0]["url"] == "http://www.livesinabox.com/friends/season1/101start.htm"
    assert listings[-1]["url"] == "http://www.livesinabox.com/friends/1001.shtml"
    assert {l["site"] for l in listings} == {"livesinabox"} and {l["show"] for l in listings} == {"Friends"}


def test_a_link_shaped_like_an_episode_without_a_number_is_recorded_as_skipped(tmp_path, httpserver):
    no_robots(httpserver)
    serve_page(httpserver, INDEX_PATH, INDEX_PAGE)
    index_url = httpserver.url_for(INDEX_PATH)
    unnumbered = livesinabox.unnumbered_episode_links(INDEX_PAGE, index_url)
    assert unnumbered == [httpserver.url_for("/friends/season1/zzz.htm")]
    crawl = Crawl(client(), PageStore(tmp_path))
    assert len(livesinabox.list_episodes(crawl, index_url, limit=2)) == 2
    assert crawl.reasons["skipped"] == {"index link without an episode number": 1}


# The least a transcript page must hold to be stored: a speech, and the page's closing tags.
USABLE_PAGE = "<html><body><p>Written by: A. Writer</p><hr><p><b>Joey:</b> Hi.</p><p>End</p></body></html>"
HOSTILE_INDEX = """<html><body><ul>
<li><a href="../../../../etc/passwd.htm">Episode 150: ../../../../etc/passwd</a></li>
<li><a href="season1/%2e%2e/%2e%2e/%2e%2e/escape.htm">Episode 151: ..\\..\\..\\escape</a></li>
<li><a href="season1/..%2f..%2fshadow.htm">Episode 152: /etc/shadow</a></li>
<li><a href="season1/.hidden.htm">Episode 153: .hidden</a></li>
</ul></body></html>"""


def test_hostile_hrefs_and_titles_never_write_outside_the_site_directory(tmp_path, httpserver):
    no_robots(httpserver)
    serve_page(httpserver, INDEX_PATH, HOSTILE_INDEX)
    httpserver.expect_request(re.compile(r"^/.+\.htm$")).respond_with_data(USABLE_PAGE, content_type="text/html")
    site_dir = tmp_path / "site"
    crawl = Crawl(client(), PageStore(site_dir))
    records = crawl_all(crawl, httpserver.url_for(INDEX_PATH))
    crawl.store.write_episodes(records)
    assert len(records) == 4 and all(records)
    assert records[0]["title"] == "../../../../etc/passwd"   # a title is data, never a path
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert {path.parent for path in written} == {site_dir, site_dir / "pages"}
    assert all(not path.name.startswith(".") for path in written)
    assert len(list((site_dir / "pages").iterdir())) == 5   # the index and the 4 pages, none overwritten


# ---------------------------------------------------------------------------------------- resume

def test_a_crawl_whose_server_dies_is_resumed_without_asking_for_a_stored_page_again(tmp_path):
    settings = replace(project_settings(ScrapeSettings), delay=0, retries=0, timeout=2)
    store = PageStore(tmp_path / "livesinabox")

    def scrape(base):
        return scrape_sites(settings, {"livesinabox": base + INDEX_PATH}, tmp_path, progress=False)["livesinabox"]

    with serve_files(LIVESINABOX, answers=6) as (base, first_log):   # robots, index, 4 pages, then silence
        broken = scrape(base)
    stored_first = {urlsplit(entry["url"]).path for entry in store.manifest() if entry["outcome"] == "fetched"}
    assert broken.crawl.counts["fetched"] == 5 and len(broken.episodes) == 4
    assert broken.crawl.reasons["failed"] == {"connection closed without a response": len(EXPECTED_PAGES) - 4}

    with serve_files(LIVESINABOX) as (base, second_log):
        resumed = scrape(base)
    assert len(resumed.episodes) == len(EXPECTED_PAGES) and resumed.crawl.counts["reused"] == 5
    assert second_log[0] == "/robots.txt"
    assert not set(second_log) & stored_first
    fetched = Counter(urlsplit(entry["url"]).path for entry in store.manifest() if entry["outcome"] == "fetched")
    assert set(fetched.values()) == {1} and len(fetched) == len(EXPECTED_PAGES) + 1
    for episode in resumed.episodes:
        assert (store.site_dir / episode["path"]).read_bytes() == fixture_file(episode["url"]).read_bytes()
