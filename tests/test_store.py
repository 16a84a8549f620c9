"""The raw page store and the crawl on top of it: safe names, atomic writes, the manifest, resume
(a stored page is never requested again) and refresh (fetched again, replaced only by a complete
new copy, a failed refresh keeping the old bytes).

Requests go to pytest-httpserver on 127.0.0.1 and are counted there.
"""
import hashlib
import os

import pytest
from werkzeug import Response

from loopback import httpserver_listen_address, no_robots, requested_paths, serve_page  # noqa: F401
from loopback import polite_client as client
from scrapers.crawl import Crawl
from scrapers.store import MANIFEST_FIELDS, PageStore, safe_name

HOSTILE_URLS = [
    "http://h/../../etc/passwd", "http://h/%2e%2e/%2e%2e/etc/passwd", "http://h//etc/passwd",
    "http://h/a\\..\\..\\b.html", "http://h/", "http://h", "http://h/.hidden", "http://h/%00nul.html",
    "http://h/TV Transcripts/" + "A Very Long Title " * 40 + "Script.html",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_safe_names_stay_inside_pages(tmp_path, url):
    store = PageStore(tmp_path / "site")
    name = safe_name(url)
    assert "/" not in name and "\\" not in name and not name.startswith(".") and len(name) <= 120
    assert store.put(url, b"bytes") == f"pages/{name}"
    assert (store.pages_dir / name).resolve().parent == store.pages_dir.resolve()
    assert store.get(url) == b"bytes"


def test_names_never_clash_and_are_stable():
    long_title = "http://h/transcripts/" + "Same Long Prefix " * 10
    urls = ["http://h/a-b.html", "http://h/a b.html", "http://h/a_b.html", "http://h/A-B.html",
            "http://h/a-b.htm", "http://h/x?page=1", "http://h/x?page=2", "http://h/x",
            long_title + "One.html", long_title + "Two.html"]
    names = [safe_name(url) for url in urls]
    assert len(set(names)) == len(urls)
    assert names == [safe_name(url) for url in urls]
    assert safe_name("http://h/TV/South%20Park.html").startswith("TV-South-Park-")


def test_a_site_is_keyed_by_path_not_host(tmp_path):
    store = PageStore(tmp_path)
    store.put("http://127.0.0.1:8001/friends/1001.shtml", b"page")
    assert store.has("http://127.0.0.1:9002/friends/1001.shtml")


def test_a_failed_write_leaves_the_old_page_and_no_debris(tmp_path, monkeypatch):
    store = PageStore(tmp_path)
    url = "http://h/page.html"
    store.put(url, b"first version")

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        store.put(url, b"second version")
    assert store.get(url) == b"first version"
    assert [p.name for p in store.pages_dir.iterdir()] == [safe_name(url)]


def test_manifest_records_every_attempt(tmp_path):
    store = PageStore(tmp_path)
    store.put("http://h/a.html", b"abc", kind="transcript", show="Friends", season=1, episodes=[101])
    store.record("http://h/b.html", kind="transcript", status=404, error="HTTP 404")
    stored, missing = store.manifest()
    assert stored["size"] == 3 and stored["path"] == store.relative_path("http://h/a.html")
    assert stored["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert missing["status"] == 404 and missing["path"] is None and missing["fetched_at"]
    store.write_episodes([{"id": "x"}])
    assert store.episodes_path.read_text(encoding="utf-8").startswith("[")


def test_stored_pages_are_not_requested_again(tmp_path, httpserver):
    no_robots(httpserver)
    serve_page(httpserver, "/ep.html", "<p>episode</p>")
    url = httpserver.url_for("/ep.html")
    first = Crawl(client(), PageStore(tmp_path))
    assert first.page(url, kind="transcript") == b"<p>episode</p>"
    second = Crawl(client(), PageStore(tmp_path))
    assert second.page(url, kind="transcript") == b"<p>episode</p>"
    assert requested_paths(httpserver).count("/ep.html") == 1
    assert (first.counts["fetched"], second.counts["reused"], second.counts["fetched"]) == (1, 1, 0)



def test_the_crawl_manifest_has_every_field_for_stored_failed_and_skipped_pages(tmp_path, httpserver):
    serve_page(httpserver, "/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    serve_page(httpserver, "/ep.html", "<p>episode</p>")
    serve_page(httpserver, "/gone.html", "gone", status=404)
    about = dict(show="Friends", season=1, episodes=[101, 102], title="The One With Two Parts")
    crawl = Crawl(client(), PageStore(tmp_path))
    for path in ("/ep.html", "/gone.html", "/private/ep.html"):
        crawl.page(httpserver.url_for(path), kind="transcript", **about)
    crawl.skip(httpserver.url_for("/no-link.html"), kind="transcript", reason="no transcript link", **about)
    entries = crawl.store.manifest()
    assert all(list(entry) == list(MANIFEST_FIELDS) for entry in entries)
    assert all({key: entry[key] for key in about} == about and entry["kind"] == "transcript" and entry["fetched_at"]
               for entry in entries)
    stored, missing, disallowed, unlinked = entries
    assert stored == {**stored, "url": httpserver.url_for("/ep.html"), "final_url": httpserver.url_for("/ep.html"),
                      "status": 200, "size": 14, "sha256": hashlib.sha256(b"<p>episode</p>").hexdigest(),
                      "outcome": "fetched", "reason": None, "error": None}
    assert (missing["outcome"], missing["status"], missing["reason"]) == ("failed", 404, "HTTP 404")
    assert missing["sha256"] is missing["size"] is missing["path"] is None
    assert (disallowed["outcome"], disallowed["reason"]) == ("skipped", "disallowed by robots.txt")
    assert (unlinked["outcome"], unlinked["error"]) == ("skipped", "no transcript link")
    assert crawl.summary_lines() == ["fetched 1, already stored 0, skipped 2, failed 1 (of 4 pages)",
                                     "skipped: 1 disallowed by robots.txt; 1 no transcript link",
                                     "failed: 1 HTTP 404"]


# ---------------------------------------------------------------------------------------- refresh

def serve_versions(httpserver, path, *responses):
    """Answer `path` with each (body, status) once in turn, then the last one for ever."""
    answered = []

    def respond(request):
        body, status = responses[min(len(answered), len(responses) - 1)]
        answered.append(status)
        return Response(body, status=status, content_type="text/html")

    httpserver.expect_request(path).respond_with_handler(respond)


def test_refresh_fetches_stored_pages_again_and_replaces_them(tmp_path, httpserver):
    no_robots(httpserver)
    serve_versions(httpserver, "/ep.html", ("<p>first</p>", 200), ("<p>second</p>", 200))
    url = httpserver.url_for("/ep.html")
    assert Crawl(client(), PageStore(tmp_path)).page(url, kind="transcript") == b"<p>first</p>"
    refreshing = Crawl(client(), PageStore(tmp_path), refresh=True)
    assert refreshing.page(url, kind="transcript") == b"<p>second</p>"
    assert refreshing.store.get(url) == b"<p>second</p>" and refreshing.counts["fetched"] == 1
    first, second = refreshing.store.manifest()
    assert (first["outcome"], second["outcome"]) == ("fetched", "refreshed")
    assert second["sha256"] == hashlib.sha256(b"<p>second</p>").hexdigest()
    assert requested_paths(httpserver).count("/ep.html") == 2


def test_a_failed_refresh_keeps_the_old_bytes_and_records_the_failure(tmp_path, httpserver):
    no_robots(httpserver)
    serve_versions(httpserver, "/ep.html", ("<p>good</p>", 200), ("broken", 500))
    url = httpserver.url_for("/ep.html")
    assert Crawl(client(), PageStore(tmp_path)).page(url, kind="transcript") == b"<p>good</p>"
    refreshing = Crawl(client(retries=1), PageStore(tmp_path), refresh=True)
    assert refreshing.page(url, kind="transcript", title="Good") == b"<p>good</p>"
    assert refreshing.store.get(url) == b"<p>good</p>"
    assert [p.name for p in refreshing.store.pages_dir.iterdir()] == [safe_name(url)]
    failure = refreshing.store.manifest()[-1]
    assert (failure["outcome"], failure["reason"], failure["title"]) == ("failed", "HTTP 500", "Good")
    assert "stored copy is kept" in failure["error"] and refreshing.reasons["failed"] == {"HTTP 500": 1}


def test_refresh_fetches_a_page_reached_twice_in_one_run_once(tmp_path, httpserver):
    no_robots(httpserver)
    serve_page(httpserver, "/ep.html", "<p>episode</p>")
    url = httpserver.url_for("/ep.html")
    Crawl(client(), PageStore(tmp_path)).page(url, kind="transcript")
    refreshing = Crawl(client(), PageStore(tmp_path), refresh=True)
    assert refreshing.page(url, kind="transcript") == refreshing.page(url, kind="transcript") == b"<p>episode</p>"
    assert requested_paths(httpserver).count("/ep.html") == 2
    assert (refreshing.counts["fetched"], refreshing.counts["reused"]) == (1, 1)
