"""A network preflight: can we reach a site at all, decided within a few seconds?

In: the URL of a site's start page, and a time budget.
Out: nothing when its host resolves and accepts a TCP connection in time; otherwise a `ScrapeError`
naming the host and the cause, with a hint to try the pipeline offline instead.
"""
from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit

from scrapers.http import ScrapeError

OFFLINE_HINT = "No network? Try the whole pipeline offline on the bundled offline site with `make demo`."
# Not a knob: the preflight asks only whether there is a network at all, which a DNS answer and a TCP
# handshake tell within a second or two; the callers take the smaller of this and `scrape.timeout`, so a
# slow site is still given its timeout by the scrape itself, and an offline run still fails within seconds.
PREFLIGHT_SECONDS = 4.0


def check_reachable(url: str, timeout: float = PREFLIGHT_SECONDS) -> None:
    """Resolve the host of `url` and open a TCP connection to it within `timeout` seconds in all.

    getaddrinfo runs in a daemon thread because it has no timeout of its own and can hang for a
    long time without a network.
    """
    parts = urlsplit(url)
    host = parts.hostname or url
    port = parts.port or (443 if parts.scheme == "https" else 80)
    deadline = time.monotonic() + timeout

    def unreachable(reason: str) -> ScrapeError:
        return ScrapeError(f"cannot reach {host} ({reason}). {OFFLINE_HINT}")

    resolved: dict = {}

    def resolve() -> None:
        try:
            resolved["addresses"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            resolved["error"] = error

    resolver = threading.Thread(target=resolve, name=f"resolve {host}", daemon=True)
    resolver.start()
    resolver.join(timeout)
    if resolver.is_alive():
        raise unreachable(f"no DNS answer within {timeout:g} s")
    if "error" in resolved:
        error = resolved["error"]
        raise unreachable(getattr(error, "strerror", None) or str(error))
    last_error = "no address"
    for family, kind, proto, _, address in resolved["addresses"]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            last_error = f"no connection within {timeout:g} s"
            break
        try:
            with socket.socket(family, kind, proto) as connection:
                connection.settimeout(remaining)
                connection.connect(address)
            return
        except socket.timeout:
            last_error = f"no connection within {timeout:g} s"
        except OSError as error:
            last_error = error.strerror or str(error)
    raise unreachable(last_error)
