"""The sites' page parsers, by name: `PARSERS[site](html_bytes)` is a stored transcript page in the
uniform script format of `common/script.py` ("" when the page holds none)."""
from scrapers.imsdb.parse import transcript_text as imsdb
from scrapers.livesinabox.parse import transcript_text as livesinabox

PARSERS = {"imsdb": imsdb, "livesinabox": livesinabox}
