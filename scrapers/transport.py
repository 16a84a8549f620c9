"""What the polite client takes from requests and urllib3 below their usual API, fenced.

In:  requests and urllib3 as installed; a streamed `requests.Response`, the page's `PageBudget`
     and `scrape.max_page_bytes`.
Out: `watched_session()`, a requests session whose connections name their socket to the running
     request's `Deadline` (`scrapers/faults.py`) before the headers are read; `read_body(...)` ->
     `Body` (the bytes, and whether the transport says they are whole); and, at import, an
     ImportError naming the versions that work if something relied on here is missing or has
     another shape.

When is a body complete? When the transport says so (RFC 9112 §6.3): the Content-Length is met,
the chunked encoding reached its last chunk, or, with neither, the server closed the connection
(`CLOSE`: a cut cannot be told from the end then, so the site's check asks the page itself to show
its end, `scrapers/usable.py`). urllib3 raises on a chunked stream cut short and, from 2.0, on a
Content-Length not met; `read_body` compares the bytes on the wire with the Content-Length too.

Public API where it does the job: the body is read with `HTTPResponse.read1` (one read of the
socket at a time, urllib3 >= 2.2) in a loop that checks the page's budget on a monotonic clock,
and `HTTPResponse.tell` counts the bytes on the wire. Kept, because no public API reaches the
socket before the headers are read (a server dripping its headers is inside urllib3's
`getresponse`, where no loop of ours runs): `HTTPConnectionPool.ConnectionCls` and
`PoolManager.pool_classes_by_scheme` (to make the session's connections ours), an override of
`HTTPConnection.getresponse` and its `sock` attribute (the socket to cut). `_fence()` checks each.
"""
from __future__ import annotations

import inspect
import io
from dataclasses import dataclass

import requests
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import HTTPResponse

from scrapers.faults import Deadline, PageBudget

# The versions the scrapers were tested with (the fault, completeness, deadline and signal tests pass
# with urllib3 2.2.0, 2.3.0, 2.5.0, 2.8.0 and requests 2.31.0, 2.32.0, 2.32.3, 2.34.2; urllib3 2.1
# has no read1).
TESTED_VERSIONS = "urllib3 >= 2.2, < 3 and requests >= 2.31, < 3"
LENGTH, CHUNKED, CLOSE = "content-length", "chunked", "closed connection"
CHUNK_BYTES = 64 * 1024


class _Watched:
    def getresponse(self, *args, **kwargs):
        deadline = Deadline.running()
        if deadline is not None:
            deadline.watch_socket(self.sock)
        return super().getresponse(*args, **kwargs)


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def watched_session() -> requests.Session:
    """A requests session whose connections are cut by the deadline of the request using them."""
    session = requests.Session()
    for adapter in session.adapters.values():
        adapter.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return session


@dataclass(frozen=True)
class Body:
    content: bytes | None    # None: larger than max_page_bytes (the rest was not read)
    framing: str             # LENGTH, CHUNKED or CLOSE: how the end of the body is known
    received: int = 0        # bytes on the wire (what Content-Length counts, even if compressed)
    expected: int | None = None   # the Content-Length, when it frames the body

    @property
    def cut_short(self) -> bool:
        return self.expected is not None and self.received < self.expected


def framing(headers) -> tuple[str, int | None]:
    """How the end of a body is known, and its Content-Length when that is what frames it (with
    chunked encoding a Content-Length means nothing, RFC 9112 §6.3)."""
    if "chunked" in headers.get("Transfer-Encoding", "").lower():
        return CHUNKED, None
    declared = headers.get("Content-Length", "").strip()
    return (LENGTH, int(declared)) if declared.isdigit() else (CLOSE, None)


def read_body(response: requests.Response, budget: PageBudget, max_bytes: int) -> Body:
    """Read a streamed response's body until its end, `max_bytes` or the end of `budget`, whichever
    comes first (the caller tells the last apart by the budget). Transport errors (a reset, a
    chunked stream cut short, urllib3's own Content-Length check) propagate."""
    how, expected = framing(response.headers)
    raw, body = response.raw, bytearray()
    while not budget.spent():
        chunk = raw.read1(CHUNK_BYTES, decode_content=True)
        if not chunk:
            break
        body += chunk
        if len(body) > max_bytes:
            return Body(None, how, raw.tell(), expected)
    return Body(bytes(body), how, raw.tell(), expected)


def _fence() -> None:
    """Fail at import, naming the versions that work, when what this module relies on is missing."""
    problems = []
    for pool, connection in ((HTTPConnectionPool, HTTPConnection), (HTTPSConnectionPool, HTTPSConnection)):
        if not (isinstance(getattr(pool, "ConnectionCls", None), type) and issubclass(pool.ConnectionCls, connection)):
            problems.append(f"{pool.__name__}.ConnectionCls (the class of its connections)")
    manager = requests.adapters.HTTPAdapter().poolmanager
    classes = getattr(manager, "pool_classes_by_scheme", None)
    if not (isinstance(classes, dict) and {"http", "https"} <= set(classes)
            and all(issubclass(classes[scheme], HTTPConnectionPool) for scheme in ("http", "https"))):
        problems.append("PoolManager.pool_classes_by_scheme (a dict of pool classes by scheme)")
    getresponse = getattr(HTTPConnection, "getresponse", None)
    required = [parameter for parameter in inspect.signature(getresponse).parameters.values()
                if parameter.default is parameter.empty and parameter.kind is parameter.POSITIONAL_OR_KEYWORD
                ] if callable(getresponse) else None
    if required is None or len(required) != 1:
        problems.append("HTTPConnection.getresponse(self) (reads the response's headers)")
    if not hasattr(HTTPConnection("127.0.0.1"), "sock"):
        problems.append("HTTPConnection.sock (the connection's socket)")
    try:   # what read_body does, on a body in memory
        response = HTTPResponse(body=io.BytesIO(b"abc"), preload_content=False, headers={"Content-Length": "3"})
        if (response.read1(2, decode_content=True), response.tell()) != (b"ab", 2):
            raise ValueError
    except (AttributeError, NotImplementedError, TypeError, ValueError):
        problems.append("HTTPResponse.read1(amt, decode_content) and HTTPResponse.tell()")
    if problems:
        raise ImportError(
            f"scrapers/transport.py: urllib3 {urllib3.__version__} with requests {requests.__version__} lacks "
            f"{'; '.join(problems)}. The scrapers work with {TESTED_VERSIONS}: "
            "install those (`pip install 'urllib3>=2.2,<3' 'requests>=2.31,<3'`) and run again.")


_fence()
