"""The `scrape` stage: every configured site's pages, or your own text files, into `data/raw/`
(`__main__.py` is the entry point; the scrapers themselves are in `scrapers/`, the text files are
recorded by `text.py`)."""
