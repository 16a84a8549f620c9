"""IMSDb movie scripts: list page -> movie detail pages -> script pages (off unless asked for).

In: the site's base URL and the `scrape.imsdb` params `movies` ("none", "all", or a genre name
such as "Comedy") and `movie_limit` (0 = no limit).
Out: movie listings `{site, show: <Title>, season: 0, episodes: [1], title, url, kind: "movie"}`
in list-page order, `url` being the detail page (so the `episodes.json` id is
`imsdb/<Title>/0/1`); then, per listing, the script page stored raw and its `episodes.json` item,
or None when there is none: a PDF, no script link, a link to `/scripts/.` or to another non-HTML
file are recorded as skipped with the reason, a script page that fails (e.g. 404) as failed.

Chain (docs/sites.md §2.3-2.5; the URLs in §2.2):
    /all-scripts.html or /genre/<G>       one `<p>` per movie, its `<a>` into /Movie Scripts/
                                          (the sidebar is tables, so it never matches)
    /Movie Scripts/<Title> Script.html    `table.script-details`; "Read ... Script" link into /scripts/
    /scripts/<Slug>.html                  the script (td.scrtext > pre), stored as received
Titles carry `?`, `&`, `'`, `#` and `, The`; hrefs are joined exactly as given by `quote_url`.
"""
from __future__ import annotations

from bs4 import BeautifulSoup

from scrapers.usable import lists_something
from scrapers.crawl import Crawl
from scrapers.decode import decode_bytes
from scrapers.urls import quote_url
from scrapers.imsdb.links import PAGE_ENDS, SITE, fetch_linked_page, paragraph_link, points_into

NO_MOVIES = "none"
ALL_MOVIES = "all"
MOVIE_PATH_PREFIX = "/Movie Scripts/"
SCRIPT_PATH_PREFIX = "/scripts/"


def movie_list_url(base_url: str, movies: str) -> str:
    """`<base>/all-scripts.html` for "all", else the genre page `<base>/genre/<movies>`."""
    return quote_url(base_url, "/all-scripts.html" if movies == ALL_MOVIES else f"/genre/{movies}")


def parse_movie_list(html: str, page_url: str) -> list[dict]:
    """Movies of a list page in document order: `{title, url}` (`url`: absolute, quoted detail
    page); a detail page listed twice is listed once."""
    soup = BeautifulSoup(html, "html.parser")
    seen, movies = set(), []
    for paragraph in soup.find_all("p"):
        found = paragraph_link(paragraph, page_url, MOVIE_PATH_PREFIX)
        if found is None or found[1] in seen:
            continue
        title, url = found
        seen.add(url)
        movies.append({"title": title, "url": url})
    return movies


def parse_movie_page(html: str, page_url: str) -> str | None:
    """The absolute, quoted URL of the script linked from a movie detail page, or None.

    That is the first `p[align=center]` link into /scripts/, else the last such link in
    `table.script-details` (scrapers of the real site rely on either).
    """
    soup = BeautifulSoup(html, "html.parser")
    centered = soup.select('p[align="center"] a[href]')
    details_last_first = soup.select("table.script-details a[href]")[::-1]
    for link in centered + details_last_first:
        url = quote_url(page_url, link["href"])
        if points_into(url, SCRIPT_PATH_PREFIX):
            return url
    return None


def movie_listing(movie: dict) -> dict:
    return {"site": SITE, "show": movie["title"], "season": 0, "episodes": [1],
            "title": movie["title"], "url": movie["url"], "kind": "movie"}


def list_movies(crawl: Crawl, base_url: str, movies: str, movie_limit: int) -> list[dict]:
    """Fetch (or reuse) the list page that `movies` names ("all" or a genre) and list its movies
    (the first `movie_limit` of them if > 0); nothing for "none", and a missing list page is recorded."""
    if movies == NO_MOVIES:
        return []
    url = movie_list_url(base_url, movies)
    page = crawl.page(url, kind="movie list",
                      check=lists_something(parse_movie_list, url, "movie list lists no movie", PAGE_ENDS))
    if page is None:
        return []
    listings = [movie_listing(movie) for movie in parse_movie_list(decode_bytes(page), url)]
    return listings[:movie_limit] if movie_limit else listings


def fetch_movie(crawl: Crawl, listing: dict) -> dict | None:
    """Detail page -> script page; the `episodes.json` item, or None (recorded) if there is none."""
    return fetch_linked_page(crawl, listing, detail_kind="movie", page_kind="script",
                             find_link=parse_movie_page)
