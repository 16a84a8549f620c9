"""The sites: how to crawl them and how to parse their pages. `sites.py` names the sites, each a
package (`imsdb/`, `livesinabox/`) whose `episodes.py` finds and fetches its episode pages and whose
`parse.py` reads them; `crawl.py` is one site's crawl through the polite client (`http.py`) into the
page store (`store.py`), and `run.py` scrapes the configured sites with them.
"""
