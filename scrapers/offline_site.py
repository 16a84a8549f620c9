"""Serve the bundled offline site over loopback, so the offline pipeline runs the live code path.

In: the offline site root (`offline_site/`, holding one document root per site, see docs/contracts.md).
Out: a context manager yielding `{site: base URL}`, e.g. {"imsdb": "http://127.0.0.1:40123", ...};
each site has its own `ThreadingHTTPServer` on a 127.0.0.1 port, ephemeral or given (its own port
so that root-relative links resolve as on the real hosts), in a daemon thread, silent, shut down
when the block ends.
For livesinabox the page to scrape is `<base>/friends/scripts.shtml`. `serve_directory` serves
any one directory the same way (the tests serve their fixture sites with it).
A root given by its old name, `sample_site`, that no longer exists is read from `offline_site`
beside it, with a message on stderr (the folder was renamed; the old name works for one release).
"""
from __future__ import annotations

import sys
import threading
from contextlib import ExitStack, contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

from common.settings import SITES
from scrapers.http import ScrapeError

ROOT, OLD_ROOT = "offline_site", "sample_site"


class QuietHandler(SimpleHTTPRequestHandler):
    # mimetypes does not know .shtml everywhere, and IMSDb's /genre/<G> pages have no extension;
    # the scraper refuses anything not served as text.
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, "": "text/html",
                      ".html": "text/html", ".htm": "text/html", ".shtml": "text/html", ".txt": "text/plain"}

    def log_message(self, format, *args) -> None:
        pass


@contextmanager
def serve_directory(root: str | Path, handler=QuietHandler, port: int = 0) -> Iterator[str]:
    """Serve one directory on 127.0.0.1 at `port` (0: an ephemeral one); yield its base URL (no trailing /)."""
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), partial(handler, directory=str(root)))
    except OSError as error:
        raise ScrapeError(f"cannot serve {root} on 127.0.0.1:{port} ({error.strerror}); "
                          "choose another port, or leave it out for a free one.") from None
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


def offline_root(root: str | Path) -> Path:
    """`root`, or `offline_site/` beside it when `root` is the old `sample_site/` and no longer exists."""
    root = Path(root)
    if root.name == OLD_ROOT and not root.exists() and root.with_name(ROOT).is_dir():
        renamed = root.with_name(ROOT)
        print(f"{root} is now {renamed} (the bundled offline site was renamed); serving {renamed}. "
              f"Name {renamed} instead: the old name goes in the next release.", file=sys.stderr, flush=True)
        return renamed
    return root


@contextmanager
def serve_offline_site(root: str | Path = ROOT, sites=SITES, port: int = 0) -> Iterator[dict[str, str]]:
    """Serve `<root>/<site>/` for each site; yield {site: base URL}. With a `port`, the sites are on
    `port`, `port + 1`, ... in the order of `sites`; without, each on a free port."""
    root = offline_root(root)
    missing = [site for site in sites if not (root / site).is_dir()]
    if missing:
        raise ScrapeError(f"no offline site at {root / missing[0]}; "
                          f"write it with `python {root / 'write_site.py'}`.")
    with ExitStack() as servers:
        yield {site: servers.enter_context(serve_directory(root / site, port=port + i if port else 0))
               for i, site in enumerate(sites)}
