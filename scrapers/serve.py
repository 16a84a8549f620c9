"""Serve the bundled sample site over loopback, so the offline pipeline runs the live code path.

In: the sample site root (`sample_site/`, holding one document root per site, see docs/contracts.md).
Out: a context manager yielding `{site: base URL}`, e.g. {"imsdb": "http://127.0.0.1:40123", ...};
each site has its own `ThreadingHTTPServer` on an ephemeral 127.0.0.1 port (so root-relative links
resolve as on the real hosts), in a daemon thread, silent, shut down when the block ends.
For livesinabox the page to scrape is `<base>/friends/scripts.shtml`.
`recording_handler` serves files the same way while logging each request and, if asked, adding
latency, 404s or a server that dies; the tests and benchmarks use it to count requests.
"""
from __future__ import annotations

import threading
import time
from contextlib import ExitStack, contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote, urlsplit

from scrapers.http import ScrapeError

SITES = ("imsdb", "livesinabox")


class QuietHandler(SimpleHTTPRequestHandler):
    # mimetypes does not know .shtml everywhere, and IMSDb's /genre/<G> pages have no extension;
    # the scraper refuses anything not served as text.
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, "": "text/html",
                      ".html": "text/html", ".htm": "text/html", ".shtml": "text/html", ".txt": "text/plain"}

    def log_message(self, format, *args) -> None:
        pass


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
def serve_directory(root: str | Path, handler=QuietHandler) -> Iterator[str]:
    """Serve one directory on 127.0.0.1 at an ephemeral port; yield its base URL (no trailing /)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
    server.daemon_threads = True
    # A short poll interval makes shutdown() return quickly instead of after up to half a second.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"serve {root}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def serve_sample_site(root: str | Path = "sample_site", sites=SITES) -> Iterator[dict[str, str]]:
    """Serve `<root>/<site>/` for each site; yield {site: base URL}."""
    root = Path(root)
    missing = [site for site in sites if not (root / site).is_dir()]
    if missing:
        raise ScrapeError(f"no sample site at {root / missing[0]}; "
                          f"write it with `python {root / 'generate.py'}`.")
    with ExitStack() as servers:
        yield {site: servers.enter_context(serve_directory(root / site)) for site in sites}
