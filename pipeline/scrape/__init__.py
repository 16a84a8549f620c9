"""The `scrape` stage: every configured site's pages into `data/raw/` (`__main__.py` is the entry
point; the scrapers themselves are in `scrapers/`)."""
