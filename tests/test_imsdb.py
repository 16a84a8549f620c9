"""IMSDb movies (and TV beside them) scraped from the fixture site `tests/fixtures/imsdb/`.

The fixture site is served as a document root on 127.0.0.1 by `scrapers.offline_site.serve_directory`,
with a handler that records every request path exactly as it arrived. Its pages are small,
hand-written and invented (titles, writers, dialogue), shaped like the real site
(docs/sites.md §2): CRLF line ends, Latin-1 bytes, the sidebar of tables.

    robots.txt
    all-scripts.html        sidebar tables, one of them with /Movie Scripts/ links ("Latest
                            Comments", incl. a movie listed nowhere else); the entries, one <p> each,
                            all on one line; titles with ' & , # ? and a moved article
    genre/Comedy            a genre list (no file extension, as on the real site)
    Movie Scripts/<Title> Script.html, the detail pages; their script links:
        Grandma's Radio         /scripts/Grandma's-Radio.html      scanner credits atop the script
        Kit & Caboodle          /scripts/.                         (a link to no file: skipped)
        Lighthouse, The         /scripts/Lighthouse,-The.html      the normal td.scrtext > pre
        Mabel & Doris           /scripts/Mabel-%26-Doris.html      no <pre>: text right in td.scrtext
        Number #9               /scripts/Number-#9.html            a <pre> nested in the <pre>
        Orchard Road            (none)                             (no script link: skipped)
        Paper Moonbeam          /scripts/Paper-Moonbeam.pdf        (a PDF: skipped)
        Quiet Harbor            /scripts/Quiet-Harbor.html         (no such page: 404, failed)
        Velvet Static           /scripts/Velvet-Static.doc         (not HTML: skipped)
        Where Is Gus?           /scripts/Where-Is-Gus?.html        a mini HTML document (frame-buster
                                                                   script, <title>) inside the <pre>
        Zebra Crossing          /scripts/Zebra-Crossing.html       a <pre> outside any td.scrtext
    TV/Stargate SG1.html    a show page ("Stargate SG-1"), Series 1 and 2, titles with ? and &,
                            its TV Transcripts/ detail pages and transcripts/ pages
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest

from scrapers.imsdb import episodes as imsdb, movies as imsdb_movies
from common.settings import ImsdbSettings
from scrapers.crawl import Crawl
from scrapers.http import PoliteClient
from loopback import recording_handler
from scrapers.offline_site import serve_directory
from scrapers.store import PageStore

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "imsdb"
ALL_TITLES = ["Grandma's Radio", "Kit & Caboodle", "Lighthouse, The", "Mabel & Doris", "Number #9",
              "Orchard Road", "Paper Moonbeam", "Quiet Harbor", "Velvet Static", "Where Is Gus?",
              "Zebra Crossing"]
COMEDY_TITLES = ["Grandma's Radio", "Lighthouse, The", "Mabel & Doris", "Number #9", "Where Is Gus?"]
# The script page each title leads to, as requested on the wire and as the file in FIXTURES.
SCRIPT_PATHS = {
    "Grandma's Radio": "/scripts/Grandma%27s-Radio.html",
    "Lighthouse, The": "/scripts/Lighthouse%2C-The.html",
    "Mabel & Doris": "/scripts/Mabel-%26-Doris.html",
    "Number #9": "/scripts/Number-%239.html",
    "Quiet Harbor": "/scripts/Quiet-Harbor.html",
    "Where Is Gus?": "/scripts/Where-Is-Gus%3F.html",
    "Zebra Crossing": "/scripts/Zebra-Crossing.html",
}
STORED_SCRIPTS = [title for title in SCRIPT_PATHS if title != "Quiet Harbor"]


def detail_path(title: str) -> str:
    return "/Movie%20Scripts/" + quote_title(title) + "%20Script.html"


def quote_title(title: str) -> str:
    """Spelled out rather than computed, so a quoting bug in the scraper cannot hide here."""
    return {"Grandma's Radio": "Grandma%27s%20Radio", "Kit & Caboodle": "Kit%20%26%20Caboodle",
            "Lighthouse, The": "Lighthouse%2C%20The", "Mabel & Doris": "Mabel%20%26%20Doris",
            "Number #9": "Number%20%239", "Where Is Gus?": "Where%20Is%20Gus%3F"}.get(
        title, title.replace(" ", "%20"))


# ------------------------------------------------------------------------------------------ set-up

@dataclass
class Site:
    base: str
    requests: list[str]     # request paths, exactly as received


@pytest.fixture
def site():
    requests: list[str] = []
    # raw paths: the tests check the percent-quoting the scraper actually sent
    with serve_directory(FIXTURES, handler=recording_handler(requests, raw_paths=True)) as base:
        yield Site(base, requests)


def new_crawl(store_dir: Path) -> Crawl:
    client = PoliteClient(delay=0, timeout=5, retries=0, max_page_bytes=5_000_000, only_hosts={"127.0.0.1"})
    return Crawl(client, PageStore(store_dir))


def imsdb_settings(base: str, shows=(), movies: str = "none", movie_limit: int = 0) -> ImsdbSettings:
    return ImsdbSettings(url=base, shows=tuple(shows), movies=movies, movie_limit=movie_limit)


def scrape(site: Site, store_dir: Path, limit: int = 0, **site_settings) -> tuple[list, list, Crawl]:
    """List and fetch everything as the scrape stage does; (listings, records, crawl)."""
    crawl = new_crawl(store_dir)
    listings = imsdb.list_episodes(crawl, site.base, imsdb_settings(site.base, **site_settings), limit=limit)
    records = [imsdb.fetch_episode(crawl, listing) for listing in listings]
    return listings, records, crawl


def fixture_bytes(request_path: str) -> bytes:
    return (FIXTURES / unquote(request_path).lstrip("/")).read_bytes()


def reason(entry: dict) -> str:
    return entry.get("reason") or entry["error"]


# ------------------------------------------------------------------------------------ list pages

def test_all_scripts_lists_every_movie_paragraph_and_no_sidebar_link():
    html = (FIXTURES / "all-scripts.html").read_text(encoding="latin-1")
    movies = imsdb_movies.parse_movie_list(html, "https://imsdb.com/all-scripts.html")
    assert [movie["title"] for movie in movies] == ALL_TITLES   # not "Foghorn Sonata" (sidebar only)
    assert [movie["url"] for movie in movies] == ["https://imsdb.com" + detail_path(t) for t in ALL_TITLES]


def test_movie_list_ignores_other_paragraphs_and_duplicates():
    twice = '<p><a href="/Movie Scripts/Twice Script.html">Twice</a></p>'
    html = f'<p>No link.</p><p><a href="/writer.php?w=A">A</a></p>{twice}{twice}'
    assert imsdb_movies.parse_movie_list(html, "http://h/genre/Drama") == [
        {"title": "Twice", "url": "http://h/Movie%20Scripts/Twice%20Script.html"}]


def test_movie_list_url():
    assert imsdb_movies.movie_list_url("https://imsdb.com", "all") == "https://imsdb.com/all-scripts.html"
    assert imsdb_movies.movie_list_url("https://imsdb.com/", "Sci-Fi") == "https://imsdb.com/genre/Sci-Fi"


@pytest.mark.parametrize("movies, list_path, titles", [
    ("all", "/all-scripts.html", ALL_TITLES),
    ("Comedy", "/genre/Comedy", COMEDY_TITLES),
])
def test_movie_listings_from_the_served_list_page(site, tmp_path, movies, list_path, titles):
    listings = imsdb.list_episodes(new_crawl(tmp_path), site.base, imsdb_settings(site.base, movies=movies))
    assert site.requests == ["/robots.txt", list_path]
    assert listings == [{"site": "imsdb", "show": title, "season": 0, "episodes": [1], "title": title,
                         "url": site.base + detail_path(title), "kind": "movie"} for title in titles]


def test_no_movies_unless_asked_for(site, tmp_path):
    assert imsdb.list_episodes(new_crawl(tmp_path), site.base, imsdb_settings(site.base, movies="none")) == []
    assert site.requests == []


def test_movie_limit_caps_the_movies_fetched(site, tmp_path):
    listings, records, _ = scrape(site, tmp_path, movies="all", movie_limit=3)
    assert [listing["title"] for listing in listings] == ALL_TITLES[:3]
    assert site.requests == ["/robots.txt", "/all-scripts.html",
                             detail_path("Grandma's Radio"), SCRIPT_PATHS["Grandma's Radio"],
                             detail_path("Kit & Caboodle"),
                             detail_path("Lighthouse, The"), SCRIPT_PATHS["Lighthouse, The"]]
    assert [record and record["title"] for record in records] == ["Grandma's Radio", None, "Lighthouse, The"]


# ------------------------------------------------------------------------------------ whole crawl

def test_scrapes_every_movie_script_once_and_records_the_rest(site, tmp_path):
    listings, records, crawl = scrape(site, tmp_path, movies="all")
    assert len(listings) == len(ALL_TITLES)

    expected_requests = ["/robots.txt", "/all-scripts.html"]
    for title in ALL_TITLES:
        expected_requests.append(detail_path(title))
        if title in SCRIPT_PATHS:
            expected_requests.append(SCRIPT_PATHS[title])
    assert site.requests == expected_requests   # no sidebar movie, PDF, .doc or /scripts/ request

    stored = [record for record in records if record is not None]
    assert [record["title"] for record in stored] == STORED_SCRIPTS
    for record in stored:
        title = record["title"]
        assert record == {"site": "imsdb", "show": title, "season": 0, "episodes": [1], "title": title,
                          "url": site.base + SCRIPT_PATHS[title], "path": record["path"],
                          "id": f"imsdb/{title}/0/1"}
        assert (crawl.store.site_dir / record["path"]).read_bytes() == fixture_bytes(SCRIPT_PATHS[title])

    unstored = {entry["title"]: entry for entry in crawl.store.manifest()
                if entry["kind"] == "script" and entry["path"] is None}
    assert sorted(unstored) == ["Kit & Caboodle", "Orchard Road", "Paper Moonbeam", "Quiet Harbor", "Velvet Static"]
    assert "points at a folder" in reason(unstored["Kit & Caboodle"])
    assert unstored["Kit & Caboodle"]["url"] == site.base + "/scripts/"
    assert reason(unstored["Orchard Road"]) == "no script link on the movie page"
    assert unstored["Orchard Road"]["url"] == site.base + detail_path("Orchard Road")
    assert "PDF" in reason(unstored["Paper Moonbeam"])
    assert "not an HTML page" in reason(unstored["Velvet Static"])
    assert unstored["Quiet Harbor"]["status"] == 404 and "404" in reason(unstored["Quiet Harbor"])
    assert (crawl.counts["fetched"], crawl.counts["skipped"], crawl.counts["failed"]) == (
        1 + len(ALL_TITLES) + len(STORED_SCRIPTS), 4, 1)


def test_a_rerun_requests_nothing_but_robots_txt(site, tmp_path):
    _, first, _ = scrape(site, tmp_path, movies="Comedy")
    site.requests.clear()
    _, second, crawl = scrape(site, tmp_path, movies="Comedy")
    assert [path for path in site.requests if path != "/robots.txt"] == []
    assert second == first and all(second)
    assert crawl.counts["fetched"] == 0


def test_a_rerun_only_tries_the_failed_page_again(site, tmp_path):
    _, first, _ = scrape(site, tmp_path, movies="all")
    site.requests.clear()
    _, second, _ = scrape(site, tmp_path, movies="all")
    assert site.requests == ["/robots.txt", SCRIPT_PATHS["Quiet Harbor"]]
    assert second == first


def test_tv_listings_come_first_then_the_movies(site, tmp_path):
    listings, records, _ = scrape(site, tmp_path, limit=2, shows=["Stargate SG-1"], movies="Comedy", movie_limit=2)
    assert [record["id"] for record in records] == [
        "imsdb/Stargate SG-1/1/1", "imsdb/Stargate SG-1/1/2", "imsdb/Grandma's Radio/0/1", "imsdb/Lighthouse, The/0/1"]
    assert "kind" not in listings[0] and listings[2]["kind"] == "movie"
    tv_detail = "/TV%20Transcripts/Stargate%20SG-1%20-%20Who%20Left%20the%20Gate%20Open%3F%20Script.html"
    tv_transcript = "/transcripts/Stargate-SG-1-Who-Left-the-Gate-Open%3F.html"
    assert site.requests[:2] == ["/robots.txt", "/TV/Stargate%20SG1.html"]
    assert tv_detail in site.requests and tv_transcript in site.requests
    assert records[1]["url"] == site.base + tv_transcript
    assert len(site.requests) == len(set(site.requests)) == 2 + 2 * 2 + 1 + 2 * 2
