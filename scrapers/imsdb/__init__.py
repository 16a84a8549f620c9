"""IMSDb (https://imsdb.com): TV transcripts and, if asked for, movie scripts.

`crawl.py` lists and fetches the pages (`tv.py` the TV chain, `movies.py` the movie chain,
`links.py` what they share); `parse.py` turns a stored transcript or script page into the uniform
script format. How the site is built: docs/sites.md §2.
"""
