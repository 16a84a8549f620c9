"""The polite client against faults below HTTP: a read timeout, a connection reset before or in the
middle of a response, a body shorter than its Content-Length.

Each runs against a raw socket server on 127.0.0.1 (tests/loopback.py) that counts the requests
it gets; each fault is retried like a connection error, and a truncated page is never stored.
Timeouts are 0.3 s and the backoff tiny, so the whole file takes a few seconds.
"""
from loopback import RawServer, reset, respond, stall, truncated
from loopback import polite_client as client
from scrapers.crawl import Crawl
from scrapers.store import PageStore

PAGE = b"<html><body><p>The whole page, every byte of it.</p></body></html>"
HEAD_OF_LONGER_PAGE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 4000\r\n"
                       b"Connection: close\r\n\r\n<html><body><p>The beginning")


def fast_client(**settings):
    return client(**{"timeout": 0.3, "retries": 2, **settings})


def test_a_read_timeout_is_retried_and_the_retry_succeeds():
    with RawServer({"/slow.html": [stall(1.0, respond(PAGE)), respond(PAGE)]}) as server:
        result = fast_client().fetch(server.url("/slow.html"))
    assert result.ok and result.content == PAGE
    assert server.count("/slow.html") == 2


def test_a_read_timeout_that_persists_fails_naming_the_cause():
    with RawServer({"/slow.html": [stall(1.0, respond(PAGE))]}) as server:
        result = fast_client(retries=1).fetch(server.url("/slow.html"))
    assert result.outcome == "failed" and result.reason == "read timeout" and "2 attempts" in result.error
    assert server.count("/slow.html") == 2


def test_a_connection_reset_mid_response_is_retried():
    with RawServer({"/reset.html": [reset(after=HEAD_OF_LONGER_PAGE), respond(PAGE)]}) as server:
        result = fast_client().fetch(server.url("/reset.html"))
    assert result.ok and result.content == PAGE
    assert server.count("/reset.html") == 2


def test_a_connection_reset_before_any_answer_is_retried():
    with RawServer({"/reset.html": [reset(), reset(), respond(PAGE)]}) as server:
        result = fast_client().fetch(server.url("/reset.html"))
    assert result.ok and result.content == PAGE
    assert server.count("/reset.html") == 3


def test_a_truncated_body_is_retried_and_the_complete_one_kept(tmp_path):
    with RawServer({"/cut.html": [truncated(PAGE[:20], declared=len(PAGE)), respond(PAGE)]}) as server:
        crawl = Crawl(fast_client(), PageStore(tmp_path))
        assert crawl.page(server.url("/cut.html"), kind="transcript") == PAGE
    assert server.count("/cut.html") == 2
    assert crawl.store.get(server.url("/cut.html")) == PAGE


def test_a_body_that_stays_truncated_fails_and_is_never_stored(tmp_path):
    with RawServer({"/cut.html": [truncated(PAGE[:20], declared=len(PAGE))]}) as server:
        crawl = Crawl(fast_client(retries=2), PageStore(tmp_path))
        assert crawl.page(server.url("/cut.html"), kind="transcript", title="Cut Short") is None
    assert server.count("/cut.html") == 3
    assert not crawl.store.has(server.url("/cut.html")) and not crawl.store.pages_dir.exists()
    [entry] = crawl.store.manifest()
    assert (entry["outcome"], entry["reason"], entry["sha256"]) == ("failed", "truncated body", None)
    assert entry["title"] == "Cut Short" and "3 attempts" in entry["error"]
    assert crawl.reasons["failed"] == {"truncated body": 1}


def test_a_truncated_refresh_keeps_the_stored_page(tmp_path):
    store = PageStore(tmp_path)
    with RawServer({"/cut.html": [truncated(b"<html>new but cut", declared=500)]}) as server:
        url = server.url("/cut.html")
        store.put(url, PAGE)
        crawl = Crawl(fast_client(retries=1), store, refresh=True)
        assert crawl.page(url, kind="transcript") == PAGE
    assert store.get(url) == PAGE and crawl.counts["failed"] == 1
    assert "stored copy is kept" in store.manifest()[-1]["error"]


def test_a_short_body_that_urllib3_lets_through_is_still_caught(monkeypatch):
    """Some urllib3 versions and code paths return fewer bytes silently; we compare with Content-Length."""
    import urllib3.response

    lenient_init = urllib3.response.HTTPResponse.__init__

    def without_length_check(self, *args, **kwargs):
        lenient_init(self, *args, **{**kwargs, "enforce_content_length": False})

    monkeypatch.setattr(urllib3.response.HTTPResponse, "__init__", without_length_check)
    with RawServer({"/cut.html": [truncated(PAGE[:20], declared=len(PAGE)), respond(PAGE)]}) as server:
        first_try = fast_client(retries=0).fetch(server.url("/cut.html"))
        assert first_try.reason == "truncated body" and f"20 of {len(PAGE)} bytes" in first_try.error
        assert fast_client(retries=0).fetch(server.url("/cut.html")).content == PAGE


def test_a_chunked_body_is_complete_whatever_content_length_says():
    chunked = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n"
               b"Content-Length: 999\r\nConnection: close\r\n\r\n"
               + b"%x\r\n" % len(PAGE) + PAGE + b"\r\n0\r\n\r\n")
    with RawServer({"/chunked.html": [lambda connection: connection.sendall(chunked)]}) as server:
        result = fast_client(retries=0).fetch(server.url("/chunked.html"))
    assert result.ok and result.content == PAGE


def test_a_chunked_body_cut_short_is_retried():
    cut = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
           + b"%x\r\n" % len(PAGE) + PAGE[:10])
    with RawServer({"/chunked.html": [lambda connection: connection.sendall(cut), respond(PAGE)]}) as server:
        result = fast_client().fetch(server.url("/chunked.html"))
    assert result.ok and result.content == PAGE and server.count("/chunked.html") == 2
