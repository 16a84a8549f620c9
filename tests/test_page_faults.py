"""Nothing silently wrong under faults: what a hostile server on loopback cannot make the scraper do.

Each test serves the livesinabox fixture pages from a raw socket server on 127.0.0.1 (and one on
127.0.0.2, another host to the client) with one fault: an empty 200, a body cut short without a
Content-Length, a refresh that would replace good pages with such bodies, an index link to another
host with the path of a real episode, a server dripping its body or its headers one byte at a time,
a host that resets every connection. What is asserted: nothing unusable enters the store or
episodes.json, stored pages are never made worse, the other host is never contacted, and neither a
slow nor a dead host holds the scrape up beyond its bounds. The only timings are generous upper
bounds.
"""
import json
import time
from dataclasses import replace

from common.settings import ScrapeSettings
from conftest import project_settings
from loopback import LIVESINABOX, RawServer, drip, drip_head, reset, respond, unframed
from loopback import polite_client as client
from scrapers.crawl import Crawl
from scrapers.run import SiteReport, run_main, scrape_sites
from scrapers.store import PageStore

# The reasons as the summary shows them (literal, so that this file also runs against older code).
DEADLINE_REASON, HOST_GIVEN_UP = "response deadline", "host given up after repeated connection failures"
INDEX_PATH = "/friends/scripts.shtml"
KAYAK_PATH, SOUP_PATH = "/friends/season1/101kayak.htm", "/friends/season1/102soup.htm"
KAYAK = (LIVESINABOX / "friends/season1/101kayak.htm").read_bytes()
SOUP = (LIVESINABOX / "friends/season1/102soup.htm").read_bytes()


def index_page(*links: tuple[str, str]) -> bytes:
    items = "".join(f'<li><a href="{href}">{label}</a></li>' for href, label in links)
    return f"<html><body><ul>{items}</ul></body></html>".encode()


INDEX = index_page(("season1/101kayak.htm", "Episode 101: The One Where Monica Gets a Roommate"),
                   ("season1/102soup.htm", "Episode 102: The One with the Sonogram at the End"))


def settings() -> ScrapeSettings:
    return replace(project_settings(ScrapeSettings), sites=("livesinabox",), delay=0, retries=0)


def scrape(server: RawServer, out, refresh: bool = False):
    return scrape_sites(settings(), {"livesinabox": server.url(INDEX_PATH)}, out, progress=False,
                        refresh=refresh)["livesinabox"]


def written_episodes(out) -> list[dict]:
    return json.loads((out / "livesinabox" / "episodes.json").read_text(encoding="utf-8"))


def test_an_empty_index_is_not_stored_and_the_next_run_finds_the_episodes(tmp_path):
    with RawServer({INDEX_PATH: [respond(b""), respond(INDEX)], KAYAK_PATH: [respond(KAYAK)],
                    SOUP_PATH: [respond(SOUP)]}) as server:
        first = scrape(server, tmp_path)
        assert first.listed == 0 and first.crawl.reasons["failed"] == {"empty page": 1}
        assert not PageStore(tmp_path / "livesinabox").has(server.url(INDEX_PATH))
        second = scrape(server, tmp_path)
    assert second.crawl.counts["reused"] == 0 and len(second.episodes) == 2
    assert server.count(INDEX_PATH) == 2


def test_an_empty_index_stored_by_an_older_version_is_fetched_again(tmp_path):
    with RawServer({INDEX_PATH: [respond(INDEX)], KAYAK_PATH: [respond(KAYAK)], SOUP_PATH: [respond(SOUP)]}) as server:
        PageStore(tmp_path / "livesinabox").put(server.url(INDEX_PATH), b"")
        report = scrape(server, tmp_path)
    assert server.count(INDEX_PATH) == 1 and len(report.episodes) == 2


def test_an_empty_transcript_stays_out_of_the_store_and_the_episode_list(tmp_path):
    with RawServer({INDEX_PATH: [respond(INDEX)], KAYAK_PATH: [respond(KAYAK)], SOUP_PATH: [respond(b"")]}) as server:
        report = scrape(server, tmp_path)
        assert not report.crawl.store.has(server.url(SOUP_PATH))
    assert [entry["episodes"] for entry in written_episodes(tmp_path)] == [[101]]
    assert report.crawl.reasons["failed"] == {"empty page": 1}


def test_a_transcript_cut_short_without_content_length_is_not_stored(tmp_path):
    half = SOUP[:len(SOUP) // 2]
    with RawServer({INDEX_PATH: [respond(INDEX)], KAYAK_PATH: [respond(KAYAK)],
                    SOUP_PATH: [unframed(half)]}) as server:
        report = scrape(server, tmp_path)
        assert not report.crawl.store.has(server.url(SOUP_PATH))
    assert [entry["episodes"] for entry in written_episodes(tmp_path)] == [[101]]
    [entry] = [entry for entry in report.crawl.store.manifest() if entry["outcome"] == "failed"]
    assert entry["reason"].startswith("truncated page") and f"{len(half)} bytes" in entry["error"]


def test_a_refresh_against_empty_and_cut_pages_keeps_the_good_stored_bytes(tmp_path):
    store = PageStore(tmp_path / "livesinabox")
    with RawServer({INDEX_PATH: [respond(b"")], KAYAK_PATH: [unframed(KAYAK[:len(KAYAK) // 2])],
                    SOUP_PATH: [respond(b"")]}) as server:
        for path, page in ((INDEX_PATH, INDEX), (KAYAK_PATH, KAYAK), (SOUP_PATH, SOUP)):
            store.put(server.url(path), page)
        report = scrape(server, tmp_path, refresh=True)
        assert [server.count(path) for path in (INDEX_PATH, KAYAK_PATH, SOUP_PATH)] == [1, 1, 1]
        for path, page in ((INDEX_PATH, INDEX), (KAYAK_PATH, KAYAK), (SOUP_PATH, SOUP)):
            assert store.get(server.url(path)) == page
    assert len(report.episodes) == 2 and report.crawl.counts["failed"] == 3
    failed = [entry for entry in store.manifest() if entry["outcome"] == "failed"]
    assert len(failed) == 3 and all("the stored copy is kept" in entry["error"] for entry in failed)


def test_a_link_to_another_host_is_skipped_and_never_takes_the_place_of_a_real_episode(tmp_path):
    other_page = b"<html><body><p>Written by: X</p><hr><p><b>Eve:</b> Not this show.</p></body></html>"
    with RawServer({KAYAK_PATH: [respond(other_page)]}, host="127.0.0.2") as other:
        index = index_page((other.url(KAYAK_PATH), "Episode 101: The One on Another Host"),
                           ("season1/101kayak.htm", "Episode 101: The One Where Monica Gets a Roommate"))
        with RawServer({INDEX_PATH: [respond(index)], KAYAK_PATH: [respond(KAYAK)]}) as server:
            report = scrape(server, tmp_path)   # no only_hosts: what a live run without --base-url does
            assert report.crawl.store.get(server.url(KAYAK_PATH)) == KAYAK
            assert server.count(KAYAK_PATH) == 1
    assert other.log == []
    assert [entry["url"] for entry in written_episodes(tmp_path)] == [server.url(KAYAK_PATH)]
    assert report.crawl.reasons["skipped"] == {"link to another host": 1}


def test_a_server_dripping_bytes_is_cut_at_the_deadline(tmp_path):
    deadline = 0.5
    with RawServer({KAYAK_PATH: [drip(KAYAK, every=0.05)]}) as server:   # the page would take minutes
        started = time.monotonic()
        result = client(timeout=5, retries=0, deadline=deadline).fetch(server.url(KAYAK_PATH))
        took = time.monotonic() - started
    assert result.outcome == "failed" and result.reason == DEADLINE_REASON and "scrape.deadline" in result.error
    assert took < 10 * deadline


def test_a_server_dripping_its_headers_is_cut_at_the_deadline(tmp_path):
    deadline = 0.5
    with RawServer({KAYAK_PATH: [drip_head(every=0.05)]}) as server:
        started = time.monotonic()
        result = client(timeout=5, retries=0, deadline=deadline).fetch(server.url(KAYAK_PATH))
        took = time.monotonic() - started
    assert result.outcome == "failed" and result.reason == DEADLINE_REASON
    assert took < 10 * deadline


def test_a_dead_host_trips_the_breaker_and_its_other_pages_are_skipped(tmp_path):
    paths = [f"/friends/season1/10{number}.htm" for number in range(1, 6)]
    with RawServer({path: [reset()] for path in paths}) as server:   # robots.txt answers 404
        crawl = Crawl(client(retries=1, max_host_failures=3), PageStore(tmp_path))
        pages = [crawl.page(server.url(path), kind="transcript") for path in paths]
    assert pages == [None] * 5
    assert sum(server.count(path) for path in paths) == 3   # 2 attempts for the first, 1 for the second
    assert crawl.counts["failed"] == 2 and crawl.reasons["skipped"] == {HOST_GIVEN_UP: 3}
    assert crawl.failed_fraction() == 1.0
    skipped = [entry for entry in crawl.store.manifest() if entry["outcome"] == "skipped"]
    assert all("scrape.max_host_failures 3" in entry["error"] for entry in skipped)
    report = SiteReport("livesinabox", server.url(paths[0]), crawl, listed=5, episodes=[{}])
    assert "5 of 5 pages failed (with 3 of a host given up)" in report.problem(max_failed_fraction=0.2)


def test_the_refresh_param_refreshes_like_the_option(tmp_path):
    new_index = INDEX.replace(b"Roommate", b"Room-mate")
    with RawServer({INDEX_PATH: [respond(new_index)], KAYAK_PATH: [respond(KAYAK)], SOUP_PATH: [respond(SOUP)]}) as server:
        PageStore(tmp_path / "livesinabox").put(server.url(INDEX_PATH), INDEX)
        scrape_sites(replace(settings(), refresh=True), {"livesinabox": server.url(INDEX_PATH)}, tmp_path,
                     progress=False)
        assert PageStore(tmp_path / "livesinabox").get(server.url(INDEX_PATH)) == new_index


def test_a_stored_page_that_cannot_be_read_is_one_line_naming_the_file(tmp_path, capsys):
    with RawServer({INDEX_PATH: [respond(INDEX)]}) as server:
        store = PageStore(tmp_path / "livesinabox")
        (store.site_dir / store.relative_path(server.url(INDEX_PATH))).mkdir(parents=True)  # not a readable file
        code = run_main("scrape", lambda: (scrape_sites(settings(), {"livesinabox": server.url(INDEX_PATH)},
                                                        tmp_path, progress=False), 0.2))
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert store.relative_path(server.url(INDEX_PATH)) in err and "delete it and run again" in err
