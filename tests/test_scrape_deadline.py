"""`scrape.deadline` bounds a whole page, retries included, and no setting makes a wait overflow.

Servers on 127.0.0.1 (tests/loopback.py) drip a body or the headers one byte at a time, or ask
to be retried later than the page's time allows. What is asserted first is what the server saw:
one request, where the old per-attempt deadline was retried `scrape.retries` times (about four
minutes per page with the defaults). The time asserted is only an upper bound with a derived
slack: once the page's time is up the watchdog cuts the socket, and any one wait of the client
is bounded by its `timeout` too, so the page ends within `deadline + timeout`.
"""
import math
import socket
import threading
import time

import pytest

from loopback import RawServer, drip, drip_head, respond
from loopback import polite_client as client
from scrapers.faults import LONGEST_WAIT, backoff_seconds, capped, sleep_until

DEADLINE_REASON = "response deadline"
PAGE = b"<html><body><p>" + b"A page that takes far longer to drip than the deadline. " * 40 + b"</p></body></html>"
DEADLINE, TIMEOUT, RETRIES = 1.0, 2.0, 3
EVERY = 0.05   # one byte every 50 ms: each read sees data in time, the body takes ~2 minutes


@pytest.mark.parametrize("fault", [drip(PAGE, every=EVERY), drip_head(every=EVERY)], ids=["body", "headers"])
def test_a_dripping_server_costs_one_deadline_per_page_retries_included(fault):
    assert len(PAGE) * EVERY > DEADLINE + TIMEOUT   # the drip really outlasts the bound below
    with RawServer({"/drip.html": [fault]}) as server:
        started = time.monotonic()
        result = client(timeout=TIMEOUT, retries=RETRIES, deadline=DEADLINE).fetch(server.url("/drip.html"))
        took = time.monotonic() - started
        assert server.count("/drip.html") == 1
    assert result.outcome == "failed" and result.reason == DEADLINE_REASON
    assert "scrape.deadline (1 s for the page, retries included)" in result.error
    assert took < DEADLINE + TIMEOUT


def test_a_retry_the_deadline_leaves_no_time_for_is_not_made():
    busy = respond(b"busy", status="503 Service Unavailable", content_type="text/plain", **{"Retry-After": "3"})
    with RawServer({"/busy.html": [busy, respond(PAGE)]}) as server:
        result = client(timeout=TIMEOUT, retries=RETRIES, deadline=DEADLINE).fetch(server.url("/busy.html"))
        assert server.count("/busy.html") == 1
    assert result.outcome == "failed" and result.reason == DEADLINE_REASON
    assert result.status == 503 and "HTTP 503" in result.error and "scrape.deadline" in result.error


def test_retries_within_the_deadline_are_still_made():
    busy = respond(b"busy", status="503 Service Unavailable", content_type="text/plain")
    with RawServer({"/flaky.html": [busy, busy, respond(PAGE)]}) as server:
        result = client(retries=RETRIES, deadline=60).fetch(server.url("/flaky.html"))
    assert result.ok and server.count("/flaky.html") == 3


@pytest.mark.parametrize("attempt", [0, 1, 64, 1100, 10**6])
@pytest.mark.parametrize("first", [0.0, 1.0, 1e300, math.inf])
def test_backoff_never_overflows_however_many_retries(first, attempt):
    wait = backoff_seconds(first, attempt)
    assert 0.0 <= wait <= LONGEST_WAIT <= threading.TIMEOUT_MAX
    if first and first * 2.0 ** min(attempt, 64) < LONGEST_WAIT:
        assert wait == first * 2 ** attempt


@pytest.mark.parametrize("seconds", [-1.0, 0.0, 1e300, math.inf, math.nan])
def test_any_number_of_seconds_is_a_wait_the_platform_accepts(seconds):
    wait = capped(seconds)
    with socket.socket() as probe:
        probe.settimeout(wait)   # raises OverflowError for a value the platform cannot wait (1e300)
    assert 0.0 <= wait <= threading.TIMEOUT_MAX


def test_a_wait_of_1e300_seconds_sleeps_without_overflow_until_stopped():
    stop, errors = threading.Event(), []

    def wait():
        try:
            sleep_until(time.monotonic() + 1e300, stop)
        except Exception as error:   # the old time.sleep(1e300): OverflowError
            errors.append(error)

    sleeper = threading.Thread(target=wait, daemon=True)
    sleeper.start()
    try:
        sleeper.join(0.2)
        assert sleeper.is_alive() and errors == []
    finally:
        stop.set()
        sleeper.join(5)
    assert not sleeper.is_alive() and errors == []


def test_a_delay_of_1e300_is_waited_without_a_traceback_and_a_stop_ends_it():
    with RawServer({"/a.html": [respond(PAGE)]}) as server:
        polite, fetched, errors = client(delay=1e300), {}, []

        def fetch():
            try:
                fetched["result"] = polite.fetch(server.url("/a.html"))   # robots.txt, then the delay
            except Exception as error:   # the old time.sleep(1e300): OverflowError
                errors.append(error)

        fetcher = threading.Thread(target=fetch, daemon=True)
        fetcher.start()
        try:
            asked = time.monotonic()
            while not server.log and time.monotonic() - asked < 60:   # robots.txt answered: the delay is next
                time.sleep(0.01)
            fetcher.join(0.2)
            assert fetcher.is_alive() and errors == []   # waiting the delay, not failed
        finally:
            polite.interrupt()
            fetcher.join(5)
        assert server.log == ["/robots.txt"]
    assert errors == [] and not fetcher.is_alive()
    assert fetched["result"].outcome == "skipped" and fetched["result"].reason == "run interrupted"
