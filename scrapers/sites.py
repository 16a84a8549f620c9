"""The registry of sites the scrapers know, by name: `SITES` maps a site's name (as in `scrape.sites`)
to its episodes module. Each has the same interface: `list_episodes(crawl, url, site_settings,
limit=0)` -> listings, and `fetch_episode(crawl, listing)` -> an `episodes.json` item or None (see
`scrapers/imsdb/episodes.py`); a site may also have `check_settings(site_settings)`, which raises a
ScrapeError before any request when its settings ask for nothing (`check_plan`)."""
from scrapers.imsdb import episodes as imsdb
from scrapers.livesinabox import episodes as livesinabox

SITES = {"imsdb": imsdb, "livesinabox": livesinabox}


def check_plan(settings, sites) -> None:
    """Each site's own check of its settings (`scrape.<site>.*`), before anything is requested."""
    for site in sites:
        check = getattr(SITES[site], "check_settings", None)
        if check is not None:
            check(settings.site(site))
