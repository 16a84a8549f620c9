"""Real servers on 127.0.0.1 for the scraper tests, each logging the paths requested of it.

In: what to serve — single responses on pytest-httpserver (`serve_page`), a directory
(`serve_files`, with `recording_handler`: latency, 404s, a server that dies), or a script of raw
socket behaviours per path (`RawServer`) for the faults an HTTP library will not produce: a
connection reset mid-response, a body shorter than its Content-Length or cut with none, an answer
that comes too late or one byte at a time.
Out: a base URL on 127.0.0.1, and the list of request paths in arrival order, so tests count
requests at the server rather than trusting the client; and `polite_client`, a PoliteClient with
test-sized timeouts and backoff.
"""
from __future__ import annotations

import socket
import struct
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import unquote, urlsplit

import pytest

from scrapers.http import PoliteClient
from scrapers.offline_site import QuietHandler, serve_directory

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LIVESINABOX = FIXTURES / "livesinabox"

HTML = "text/html; charset=iso-8859-1"
Action = Callable[[socket.socket], None]


@pytest.fixture(scope="session")
def httpserver_listen_address():
    """pytest-httpserver on 127.0.0.1 (import this fixture into a test module that uses it)."""
    return ("127.0.0.1", 0)


def polite_client(**settings) -> PoliteClient:
    defaults = dict(delay=0, timeout=5, retries=3, max_page_bytes=10_000, backoff=0.01)
    return PoliteClient(**{**defaults, **settings})


def serve_page(httpserver, path, body="<html>page</html>", status=200, content_type=HTML, headers=None):
    httpserver.expect_request(path).respond_with_data(body, status=status, content_type=content_type,
                                                      headers=headers)


def no_robots(httpserver):
    serve_page(httpserver, "/robots.txt", "not here", status=404)


def requested_paths(httpserver) -> list[str]:
    return [request.path for request, _ in httpserver.log]


def recording_handler(log: list[str], *, answers: int | None = None, missing: set[str] = frozenset(),
                      latency: float = 0.0, raw_paths: bool = False):
    """A QuietHandler that appends each request's path to `log` (unquoted, or exactly as received
    with `raw_paths`); answers only the first `answers` requests (then drops every connection
    unanswered, like a server that died), 404s the unquoted paths in `missing`, and waits `latency`
    seconds before each answer."""
    lock = threading.Lock()

    class RecordingHandler(QuietHandler):
        def do_GET(self):
            path = unquote(urlsplit(self.path).path)
            with lock:
                log.append(self.path if raw_paths else path)
                dead = answers is not None and len(log) > answers
            if dead:
                self.close_connection = True
                return
            time.sleep(latency)
            if path in missing:
                self.send_error(404)
                return
            super().do_GET()

    return RecordingHandler


@contextmanager
def serve_files(root: Path = LIVESINABOX, **behaviour) -> Iterator[tuple[str, list[str]]]:
    """Serve `root` on 127.0.0.1; yield (base URL, request log). `behaviour`: see `recording_handler`."""
    log: list[str] = []
    with serve_directory(root, handler=recording_handler(log, **behaviour)) as base:
        yield base, log


# ------------------------------------------------------------------------------- raw socket faults

def _head(status: str, headers: dict) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Connection: close"] + [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(body: bytes, status: str = "200 OK", content_type: str = "text/html", **headers) -> Action:
    def act(connection: socket.socket) -> None:
        connection.sendall(_head(status, {"Content-Type": content_type, "Content-Length": len(body),
                                          **headers}) + body)
    return act


def truncated(body: bytes, declared: int) -> Action:
    """Declare `declared` bytes, send `body` (fewer), then close cleanly."""
    def act(connection: socket.socket) -> None:
        connection.sendall(_head("200 OK", {"Content-Type": "text/html", "Content-Length": declared}) + body)
    return act


def unframed(body: bytes) -> Action:
    """Send `body` with no Content-Length and close: HTTP cannot tell whether it is complete."""
    def act(connection: socket.socket) -> None:
        connection.sendall(_head("200 OK", {"Content-Type": "text/html"}) + body)
    return act


def chunked(body: bytes, pieces: int = 3, *, last_chunk: bool = True, cut: int | None = None) -> Action:
    """Send `body` with chunked encoding in `pieces` chunks, then the last (empty) chunk unless
    `last_chunk` is false; `cut` stops after that many bytes of the encoded body (inside a chunk
    or between two), then closes cleanly."""
    def act(connection: socket.socket) -> None:
        size = -(-len(body) // pieces)
        encoded = b"".join(b"%x\r\n%s\r\n" % (len(part), part)
                           for part in (body[start:start + size] for start in range(0, len(body), size)))
        encoded += b"0\r\n\r\n" if last_chunk else b""
        head = _head("200 OK", {"Content-Type": "text/html", "Transfer-Encoding": "chunked"})
        connection.sendall(head + encoded[:cut])
    return act


def drip(body: bytes, every: float) -> Action:
    """Send the head, then `body` one byte every `every` seconds (each read sees data in time)."""
    def act(connection: socket.socket) -> None:
        connection.sendall(_head("200 OK", {"Content-Type": "text/html", "Content-Length": len(body)}))
        for index in range(len(body)):
            time.sleep(every)
            connection.sendall(body[index:index + 1])
    return act


def drip_head(every: float, length: int = 2000) -> Action:
    """Send the status line, then a header one byte every `every` seconds, never ending the head."""
    def act(connection: socket.socket) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        for _ in range(length):
            time.sleep(every)
            connection.sendall(b"a")
    return act


def reset(after: bytes = b"") -> Action:
    """Send `after` (e.g. headers and part of a body), then abort the connection with a TCP RST."""
    def act(connection: socket.socket) -> None:
        if after:
            connection.sendall(after)
            time.sleep(0.05)   # let the client start reading before the reset arrives
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return act


def stall(seconds: float, then: Action) -> Action:
    """Say nothing for `seconds`, then act (the client may have given up by then)."""
    def act(connection: socket.socket) -> None:
        time.sleep(seconds)
        then(connection)
    return act


NOT_FOUND = respond(b"not found", status="404 Not Found", content_type="text/plain")


class RawServer:
    """One request per connection; `script[path]` lists the actions for its requests in turn (the
    last one repeats); an unscripted path, robots.txt included, gets a 404. `log` lists the paths."""

    def __init__(self, script: dict[str, list[Action]], host: str = "127.0.0.1"):
        self.script = {path: list(actions) for path, actions in script.items()}
        self.log: list[str] = []
        self._lock = threading.Lock()
        self.host = host   # any of 127.0.0.0/8: all loopback, but a different host to a client
        self._listener = socket.create_server((host, 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="raw server", daemon=True)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def count(self, path: str) -> int:
        return self.log.count(path)

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopped.set()
        self._thread.join()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._listener.accept()
            except socket.timeout:
                continue
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            try:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = connection.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                path = unquote(request.split(b" ")[1].decode("latin-1"))
                with self._lock:
                    self.log.append(path)
                    actions = self.script.get(path, [NOT_FOUND])
                    action = actions.pop(0) if len(actions) > 1 else actions[0]
                action(connection)
            except OSError:
                pass   # the client gave up first (e.g. its read timeout): nothing left to say
