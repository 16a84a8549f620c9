"""The fence around what the scrapers take from urllib3 below its usual API (scrapers/transport.py):
each thing relied on is checked at import, and a urllib3 without it stops the import with a message
naming what is missing and the versions that work, instead of a scrape that silently never cuts a
dripping server. Each case runs a real interpreter in which that one thing was removed or reshaped
before the import, as an older or newer urllib3 would have it.
"""
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent

CHANGES = {
    "read1": ("import urllib3.response as r; del r.HTTPResponse.read1", "HTTPResponse.read1(amt, decode_content)"),
    # left with the abstract method of urllib3's base class, which raises NotImplementedError
    "tell": ("import urllib3.response as r; r.HTTPResponse.tell = lambda self: 0", "HTTPResponse.tell()"),
    "ConnectionCls": ("import urllib3.connectionpool as p; p.HTTPConnectionPool.ConnectionCls = None",
                      "HTTPConnectionPool.ConnectionCls"),
    "getresponse": ("import urllib3.connection as c; c.HTTPConnection.getresponse = lambda self, extra: None",
                    "HTTPConnection.getresponse(self)"),
    "pool_classes_by_scheme": ("import urllib3.poolmanager as m; m.PoolManager.__init__ = (lambda init: lambda self, *a, "
                               "**k: (init(self, *a, **k), delattr(self, 'pool_classes_by_scheme'))[0])"
                               "(m.PoolManager.__init__)", "PoolManager.pool_classes_by_scheme"),
}


def import_transport(prelude: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", f"{prelude}\nimport scrapers.transport"], capture_output=True,
                          text=True, timeout=120, cwd=PROJECT, env={"PYTHONPATH": str(PROJECT), "PATH": ""})


def test_the_installed_urllib3_passes_the_fence():
    done = import_transport("")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("change", CHANGES)
def test_a_urllib3_without_what_we_rely_on_fails_at_import_naming_the_versions_that_work(change):
    prelude, named = CHANGES[change]
    done = import_transport(prelude)
    last = done.stderr.strip().splitlines()[-1]
    assert done.returncode == 1 and last.startswith("ImportError: scrapers/transport.py: urllib3 ")
    assert named in last and "urllib3 >= 2.2, < 3 and requests >= 2.31, < 3" in last
