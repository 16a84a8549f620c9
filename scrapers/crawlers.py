"""The sites the scrapers crawl, by name. Each is a module with the same interface:
`list_episodes(crawl, url, site_settings, limit=0)` -> listings, and `fetch_episode(crawl, listing)`
-> an `episodes.json` item or None (see `scrapers/imsdb/crawl.py`)."""
from scrapers.imsdb import crawl as imsdb
from scrapers.livesinabox import crawl as livesinabox

CRAWLERS = {"imsdb": imsdb, "livesinabox": livesinabox}
