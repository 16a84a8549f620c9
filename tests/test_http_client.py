"""The polite client over HTTP: statuses, Retry-After, robots.txt, redirects, refusals.

Every request goes to a real HTTP server on 127.0.0.1 (pytest-httpserver); nothing is mocked in
requests, and requests are counted at the server. Socket-level faults (resets, truncated bodies,
timeouts) and the network preflight are in test_network_faults.py.
"""
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from loopback import HTML, httpserver_listen_address, no_robots, requested_paths, serve_page  # noqa: F401
from loopback import polite_client as client
from scrapers.crawl import Crawl
from scrapers.decode import decode_bytes
from scrapers.http import MAX_REDIRECTS
from scrapers.store import PageStore


def arrival_times(httpserver, path, responses):
    """Serve `responses` at `path` in turn; return the list that collects the server-side arrival times."""
    times = []

    def respond(request):
        times.append(time.monotonic())
        return responses[min(len(times), len(responses)) - 1]

    httpserver.expect_request(path).respond_with_handler(respond)
    return times


def redirect(server, path, location, status=301):
    server.expect_request(path).respond_with_data("", status=status, headers={"Location": location})


# ------------------------------------------------------------------------------------------ client

def test_fetch_returns_exact_bytes_and_sends_identifying_user_agent(httpserver):
    no_robots(httpserver)
    body = b"Caf\xe9 \x92quoted\x92\r\n"
    serve_page(httpserver, "/page.html", body)
    result = client().fetch(httpserver.url_for("/page.html"))
    assert result.ok and result.status == 200 and result.content == body
    request = httpserver.log[-1][0]
    assert request.headers["User-Agent"] == "scriptlm/0.1 (+https://github.com/scriptlm; research scraper)"
    assert decode_bytes(body) == "Café ’quoted’\r\n"


def test_delay_separates_requests_to_one_host(httpserver):
    no_robots(httpserver)
    times = arrival_times(httpserver, "/a", [Response("<p>a</p>", content_type=HTML)])
    polite = client(delay=0.3)
    assert polite.fetch(httpserver.url_for("/a")).ok
    assert polite.fetch(httpserver.url_for("/a")).ok
    assert times[1] - times[0] >= 0.3


def test_retries_a_500_then_succeeds(httpserver):
    no_robots(httpserver)
    httpserver.expect_oneshot_request("/flaky").respond_with_data("broken", status=500)
    httpserver.expect_request("/flaky").respond_with_data("<p>ok</p>", content_type=HTML)
    result = client().fetch(httpserver.url_for("/flaky"))
    assert result.ok and result.content == b"<p>ok</p>"
    assert requested_paths(httpserver).count("/flaky") == 2


def test_gives_up_after_the_configured_retries(httpserver):
    no_robots(httpserver)
    serve_page(httpserver, "/down", "down", status=500)
    result = client(retries=2).fetch(httpserver.url_for("/down"))
    assert result.outcome == "failed" and result.status == 500 and "3 attempts" in result.error
    assert result.reason == "HTTP 500"
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
    assert outside.outcome == "skipped" and outside.reason == "host outside the allowed hosts"
    assert loopback_only.fetch(httpserver.url_for("/page.html")).ok


# --------------------------------------------------------------------------------------- redirects

def test_follows_a_redirect_on_the_same_host_and_records_the_final_url(httpserver):
    no_robots(httpserver)
    redirect(httpserver, "/old.html", "/moved/new.html")
    serve_page(httpserver, "/moved/new.html", "<p>moved</p>")
    result = client().fetch(httpserver.url_for("/old.html"))
    assert result.ok and result.content == b"<p>moved</p>" and result.status == 200
    assert result.url == httpserver.url_for("/old.html")
    assert result.final_url == httpserver.url_for("/moved/new.html")
    assert requested_paths(httpserver) == ["/robots.txt", "/old.html", "/moved/new.html"]


def test_each_redirect_hop_waits_the_delay(httpserver):
    no_robots(httpserver)
    first = arrival_times(httpserver, "/hop.html", [Response("", status=302, headers={"Location": "/end.html"})])
    second = arrival_times(httpserver, "/end.html", [Response("<p>end</p>", content_type=HTML)])
    assert client(delay=0.3).fetch(httpserver.url_for("/hop.html")).ok
    assert second[0] - first[0] >= 0.3


def test_a_redirect_to_a_host_outside_only_hosts_is_refused_and_recorded(tmp_path, httpserver):
    no_robots(httpserver)
    elsewhere = f"http://localhost:{httpserver.port}/elsewhere.html"   # loopback too, but another name
    redirect(httpserver, "/away.html", elsewhere, status=302)
    serve_page(httpserver, "/elsewhere.html")
    crawl = Crawl(client(only_hosts={"127.0.0.1"}), PageStore(tmp_path))
    assert crawl.page(httpserver.url_for("/away.html"), kind="transcript") is None
    [entry] = crawl.store.manifest()
    assert (entry["outcome"], entry["reason"]) == ("skipped", "redirect outside the allowed hosts")
    assert entry["url"] == httpserver.url_for("/away.html") and entry["final_url"] == elsewhere
    assert "/elsewhere.html" not in requested_paths(httpserver) and not crawl.store.pages_dir.exists()


def test_a_redirect_into_a_path_robots_txt_disallows_is_not_followed(httpserver):
    serve_page(httpserver, "/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    redirect(httpserver, "/go.html", "/private/page.html")
    result = client().fetch(httpserver.url_for("/go.html"))
    assert result.outcome == "skipped" and result.reason == "disallowed by robots.txt"
    assert result.final_url == httpserver.url_for("/private/page.html")
    assert "/private/page.html" not in requested_paths(httpserver)


def test_a_redirect_to_another_host_obeys_that_hosts_robots_txt_once(httpserver):
    no_robots(httpserver)
    with HTTPServer(host="127.0.0.1", port=0) as other:
        other.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /secret/\n",
                                                              content_type="text/plain")
        serve_page(other, "/open.html", "<p>open</p>")
        redirect(httpserver, "/to-open.html", other.url_for("/open.html"), status=307)
        redirect(httpserver, "/to-secret.html", other.url_for("/secret/x.html"), status=308)
        polite = client()
        assert polite.fetch(httpserver.url_for("/to-open.html")).final_url == other.url_for("/open.html")
        assert polite.fetch(httpserver.url_for("/to-open.html")).content == b"<p>open</p>"
        assert polite.fetch(httpserver.url_for("/to-secret.html")).reason == "disallowed by robots.txt"
        assert requested_paths(other) == ["/robots.txt", "/open.html", "/open.html"]


def test_a_redirected_robots_txt_on_the_same_host_is_obeyed(httpserver):
    redirect(httpserver, "/robots.txt", "/site/robots.txt")
    serve_page(httpserver, "/site/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    assert client().fetch(httpserver.url_for("/private/a.html")).reason == "disallowed by robots.txt"
    assert requested_paths(httpserver) == ["/robots.txt", "/site/robots.txt"]


def test_a_redirect_loop_stops_after_the_maximum_number_of_hops(httpserver):
    no_robots(httpserver)
    redirect(httpserver, "/loop.html", "/loop.html", status=302)
    result = client().fetch(httpserver.url_for("/loop.html"))
    assert result.outcome == "failed" and result.reason == "too many redirects"
    assert requested_paths(httpserver).count("/loop.html") == MAX_REDIRECTS + 1
