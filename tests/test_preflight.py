"""The network preflight: a site that cannot be reached fails within seconds, naming the host and
suggesting the offline demo; DNS that never answers does not hang the scrape."""
import socket
import threading
import time

import pytest

from loopback import httpserver_listen_address  # noqa: F401
from scrapers.http import ScrapeError
from scrapers.preflight import check_reachable


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
