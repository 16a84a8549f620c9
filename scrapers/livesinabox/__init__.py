"""livesinabox.com's "Crazy For Friends" transcripts (http://www.livesinabox.com/friends/).

`crawl.py` lists the episode pages on the index and fetches them; `parse.py` turns a stored
episode page into the uniform script format. How the site is built: docs/sites.md §3.
"""
