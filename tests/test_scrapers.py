"""The scraper building blocks: polite client, preflight, page store, IMSDb and livesinabox parsing.

Every request goes to a real HTTP server on 127.0.0.1 (pytest-httpserver); nothing is mocked
in requests. HTML fixtures are small, written here, with invented titles.
"""
import os
import socket
import threading
import time

import pytest
from werkzeug import Response

from scrapers import imsdb, livesinabox
from scrapers.crawl import Crawl
from scrapers.http import PoliteClient, ScrapeError, check_reachable, decode_page, quote_url
from scrapers.store import PageStore, safe_name

HTML = "text/html; charset=iso-8859-1"


@pytest.fixture(scope="session")
def httpserver_listen_address():
    return ("127.0.0.1", 0)


def client(**settings) -> PoliteClient:
    defaults = dict(delay=0, timeout=5, retries=3, max_page_bytes=10_000, backoff=0.01)
    return PoliteClient(**{**defaults, **settings})


def serve_page(httpserver, path, body="<html>page</html>", status=200, content_type=HTML, headers=None):
    httpserver.expect_request(path).respond_with_data(body, status=status, content_type=content_type,
                                                      headers=headers)


def no_robots(httpserver):
    serve_page(httpserver, "/robots.txt", "not here", status=404)


def requested_paths(httpserver) -> list[str]:
    return [request.path for request, _ in httpserver.log]


def arrival_times(httpserver, path, responses):
    """Serve `responses` at `path` in turn; return the list that collects the server-side arrival times."""
    times = []

    def respond(request):
        times.append(time.monotonic())
        return responses[min(len(times), len(responses)) - 1]

    httpserver.expect_request(path).respond_with_handler(respond)
    return times


# ------------------------------------------------------------------------------------------ client

def test_fetch_returns_exact_bytes_and_sends_identifying_user_agent(httpserver):
    no_robots(httpserver)
    body = b"Caf\xe9 \x92quoted\x92\r\n"
    serve_page(httpserver, "/page.html", body)
    result = client().fetch(httpserver.url_for("/page.html"))
    assert result.ok and result.status == 200 and result.content == body
    request = httpserver.log[-1][0]
    assert request.headers["User-Agent"] == "scriptlm/0.1 (+https://github.com/scriptlm; research scraper)"
    assert decode_page(body) == "Café ’quoted’\r\n"


def test_delay_separates_requests_to_one_host(httpserver):
    no_robots(httpserver)
    times = arrival_times(httpserver, "/a", [Response("<p>a</p>", content_type=HTML)])
    polite = client(delay=0.3)
    assert polite.fetch(httpserver.url_for("/a")).ok
    assert polite.fetch(httpserver.url_for("/a")).ok
    assert times[1] - times[0] >= 0.3


def test_retries_a_503_then_succeeds(httpserver):
    no_robots(httpserver)
    httpserver.expect_oneshot_request("/flaky").respond_with_data("busy", status=503)
    httpserver.expect_request("/flaky").respond_with_data("<p>ok</p>", content_type=HTML)
    result = client().fetch(httpserver.url_for("/flaky"))
    assert result.ok and result.content == b"<p>ok</p>"
    assert requested_paths(httpserver).count("/flaky") == 2


def test_gives_up_after_the_configured_retries(httpserver):
    no_robots(httpserver)
    serve_page(httpserver, "/down", "down", status=500)
    result = client(retries=2).fetch(httpserver.url_for("/down"))
    assert result.outcome == "failed" and result.status == 500 and "3 attempts" in result.error
    assert requested_paths(httpserver).count("/down") == 3


def test_honours_retry_after_on_429(httpserver):
    no_robots(httpserver)
    times = arrival_times(httpserver, "/busy", [
        Response("slow down", status=429, headers={"Retry-After": "1"}),
        Response("<p>ok</p>", content_type=HTML)])
    assert client().fetch(httpserver.url_for("/busy")).ok
    assert len(times) == 2 and times[1] - times[0] >= 1.0


def test_never_retries_a_404(httpserver):
    no_robots(httpserver)
    serve_page(httpserver, "/gone.html", "no such page", status=404)
    result = client(retries=3).fetch(httpserver.url_for("/gone.html"))
    assert result.outcome == "failed" and result.status == 404
    assert requested_paths(httpserver).count("/gone.html") == 1


def test_robots_disallow_skips_and_never_requests(httpserver):
    serve_page(httpserver, "/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    serve_page(httpserver, "/open.html")
    polite = client()
    blocked = polite.fetch(httpserver.url_for("/private/secret.html"))
    assert blocked.outcome == "skipped" and "robots.txt" in blocked.error
    assert polite.fetch(httpserver.url_for("/open.html")).ok
    assert "/private/secret.html" not in requested_paths(httpserver)
    assert requested_paths(httpserver).count("/robots.txt") == 1


def test_robots_rules_for_our_user_agent_apply(httpserver):
    serve_page(httpserver, "/robots.txt", "User-agent: scriptlm\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
               content_type="text/plain")
    assert client().fetch(httpserver.url_for("/anything.html")).outcome == "skipped"
    assert requested_paths(httpserver) == ["/robots.txt"]


def test_unreachable_robots_means_the_host_is_not_crawled(httpserver):
    serve_page(httpserver, "/robots.txt", "broken", status=500)
    result = client(retries=0).fetch(httpserver.url_for("/page.html"))
    assert result.outcome == "skipped" and "robots.txt unreachable" in result.error
    assert "/page.html" not in requested_paths(httpserver)


@pytest.mark.parametrize("response", [
    Response(b"x" * 20_000, content_type=HTML),                         # declares its length
    Response(iter([b"x" * 6_000, b"x" * 6_000]), content_type=HTML),    # chunked, no length
], ids=["content-length", "chunked"])
def test_refuses_pages_larger_than_the_limit(httpserver, response):
    no_robots(httpserver)
    httpserver.expect_request("/huge.html").respond_with_response(response)
    result = client(max_page_bytes=10_000).fetch(httpserver.url_for("/huge.html"))
    assert result.outcome == "skipped" and "max_page_bytes" in result.error and result.content is None


def test_refuses_content_that_is_not_html_or_text(httpserver):
    no_robots(httpserver)
    serve_page(httpserver, "/poster.jpg", b"\xff\xd8\xff", content_type="image/jpeg")
    result = client().fetch(httpserver.url_for("/poster.jpg"))
    assert result.outcome == "skipped" and "image/jpeg" in result.error


def test_a_client_limited_to_loopback_never_contacts_another_host(httpserver):
    no_robots(httpserver)
    serve_page(httpserver, "/page.html")
    loopback_only = client(only_hosts={"127.0.0.1"})
    outside = loopback_only.fetch("https://imsdb.com/TV/South%20Park.html")
    assert outside.outcome == "skipped" and "host outside" in outside.error
    assert loopback_only.fetch(httpserver.url_for("/page.html")).ok


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_check_reachable_fails_fast_naming_the_host():
    started = time.monotonic()
    with pytest.raises(ScrapeError, match=r"cannot reach 127\.0\.0\.1 .*make demo"):
        check_reachable(f"http://127.0.0.1:{closed_port()}/friends/scripts.shtml", timeout=2)
    assert time.monotonic() - started < 5


def test_check_reachable_passes_for_a_listening_server(httpserver):
    check_reachable(httpserver.url_for("/"))


def test_check_reachable_reports_dns_failure(monkeypatch):
    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(ScrapeError, match=r"cannot reach imsdb\.com \(Name or service not known\)"):
        check_reachable("https://imsdb.com")


def test_check_reachable_does_not_hang_on_dns(monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: release.wait(30))
    started = time.monotonic()
    try:
        with pytest.raises(ScrapeError, match="no DNS answer"):
            check_reachable("https://imsdb.com", timeout=0.3)
    finally:
        release.set()
    assert time.monotonic() - started < 5


# ------------------------------------------------------------------------------------------- store

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


# ----------------------------------------------------------------------------------------- IMSDb

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
    episodes = imsdb.parse_show_page(SHOW_PAGE, "https://imsdb.com/TV/Puddle%20Town.html")
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
    assert imsdb.show_page_url("https://imsdb.com", "Stargate SG-1") == "https://imsdb.com/TV/Stargate%20SG1.html"


DETAIL_PAGE = """<html><body><table class="script-details"><tr><td>
<h1>Salt &amp; Pepper Script</h1><b>Writers</b> <a href="/writer.php?w=A">A</a><br>
<p align="center"><a href="/transcripts/Puddle-Town-Salt-%26-Pepper.html">Read "Salt & Pepper" Script</a></p>
</td></tr></table></body></html>"""


def test_parse_episode_page_finds_the_transcript_link():
    page_url = "https://imsdb.com/TV%20Transcripts/Puddle%20Town%20-%20Salt%20%26%20Pepper%20Script.html"
    assert imsdb.parse_episode_page(DETAIL_PAGE, page_url) == "https://imsdb.com/transcripts/Puddle-Town-Salt-%26-Pepper.html"
    fallback = '<p align="center"><a href="/transcripts/Puddle-Town-Gran\'s-Big-Day.html">Read</a></p>'
    assert imsdb.parse_episode_page(fallback, page_url) == "https://imsdb.com/transcripts/Puddle-Town-Gran%27s-Big-Day.html"
    assert imsdb.parse_episode_page("<table class='script-details'><h1>No script</h1></table>", page_url) is None


def test_imsdb_records_missing_pages_and_links_without_crashing(tmp_path, httpserver):
    no_robots(httpserver)
    serve_page(httpserver, "/TV/Puddle Town.html", SHOW_PAGE.encode("cp1252"))
    serve_page(httpserver, "/TV/No Such Show.html", "no such show", status=404)
    serve_page(httpserver, "/TV Transcripts/Puddle Town - Where Did the Ducks Go? Script.html",
               "<table class='script-details'><h1>No script yet</h1></table>")
    serve_page(httpserver, "/TV Transcripts/Puddle Town - Salt & Pepper Script.html", DETAIL_PAGE)
    serve_page(httpserver, "/transcripts/Puddle-Town-Salt-&-Pepper.html", "<td class=scrtext><pre>ok</pre></td>")
    serve_page(httpserver, "/TV Transcripts/Puddle Town - Gran's Big Day Script.html", "gone", status=404)
    crawl = Crawl(client(), PageStore(tmp_path))
    listings = imsdb.list_episodes(crawl, httpserver.url_for("/"), {"shows": ["Puddle Town", "No Such Show"]})
    assert len(listings) == 4  # the absolute Series 10 link points at imsdb.com and is never fetched
    records = [imsdb.fetch_episode(crawl, listing) for listing in listings[:3]]
    assert [r and r["title"] for r in records] == [None, "Salt & Pepper", None]
    assert records[1]["id"] == "imsdb/Puddle Town/1/2" and crawl.store.get(records[1]["url"]) == b"<td class=scrtext><pre>ok</pre></td>"
    errors = [entry["error"] for entry in crawl.store.manifest() if entry["error"]]
    assert errors == ["HTTP 404", "no transcript link on the episode page", "HTTP 404"]
    assert dict(crawl.counts) == {"fetched": 4, "failed": 2, "skipped": 1}
    assert requested_paths(httpserver).count("/TV/No Such Show.html") == 1


# ----------------------------------------------------------------------------------- livesinabox

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
