"""The `scrape` stage end to end, against the bundled offline site served on 127.0.0.1.

Checks that episodes.json lists every episode in site order with the exact bytes stored, that a
rerun fetches nothing, that a limited or interrupted run is resumed, that `main()` turns expected
errors (bad params, no network) into one line on stderr and exit code 1, and the exit-code policy
on the livesinabox fixture site with pages missing: non-zero only when a site yields no usable page
or more than `scrape.max_failed_fraction` of its pages failed, the partial results kept either way.
"""
import json
import re
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from common.params import check_params, load_params
from common.settings import ScrapeSettings, settings_from
from loopback import LIVESINABOX, recording_handler, serve_files
from scrapers import run as stage
from scrapers.http import ScrapeError
from scrapers.offline_site import serve_directory, serve_offline_site

PROJECT = Path(__file__).resolve().parent.parent
OFFLINE_SITE = PROJECT / "offline_site"
SITES = ("imsdb", "livesinabox")
pytestmark = pytest.mark.skipif(not all((OFFLINE_SITE / site).is_dir() for site in SITES),
                                reason="the offline site is not written (python offline_site/write_site.py)")


def sample_params(**scrape_settings) -> dict:
    params = load_params(PROJECT / "params.yaml")
    params["scrape"].update({"source": "offline", "sites": list(SITES), "delay": 0, "retries": 0,
                             "limit": 0, "imsdb": {**params["scrape"]["imsdb"], "shows": ["South Park"]},
                             **scrape_settings})
    return check_params(params)


def sample_settings(**scrape_settings) -> ScrapeSettings:
    return settings_from(ScrapeSettings, sample_params(**scrape_settings))


def run(raw_dir: Path, **scrape_settings) -> dict:
    return stage.scrape(sample_settings(**scrape_settings), raw_dir, OFFLINE_SITE, progress=False)


def episodes(raw_dir: Path, site: str) -> list[dict]:
    return json.loads((raw_dir / "offline" / site / "episodes.json").read_text(encoding="utf-8"))


def stored_pages(raw_dir: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in sorted(raw_dir.glob("offline/*/pages/*"))}


def expected_imsdb_titles() -> list[str]:
    """Titles in show-page order, read from the detail page file names rather than by our parser."""
    show_page = (OFFLINE_SITE / "imsdb/TV/South Park.html").read_text(encoding="latin-1")
    names = re.findall(r'<p><a href="/TV Transcripts/South Park - (.+?) Script\.html"', show_page)
    return list(dict.fromkeys(names))


def expected_livesinabox_hrefs() -> list[str]:
    index = (OFFLINE_SITE / "livesinabox/friends/scripts.shtml").read_text(encoding="cp1252")
    return list(dict.fromkeys(re.findall(r'<li><a href="([^"]+)">Ep\w*\s*\d+', index)))


def offline_file(site: str, url: str) -> Path:
    return OFFLINE_SITE / site / unquote(urlsplit(url).path).lstrip("/")


def test_sample_scrape_lists_every_episode_in_order_with_exact_bytes(tmp_path):
    reports = run(tmp_path)
    imsdb_episodes, friends_episodes = episodes(tmp_path, "imsdb"), episodes(tmp_path, "livesinabox")

    assert [e["title"] for e in imsdb_episodes] == expected_imsdb_titles()
    assert [(e["season"], e["episodes"][0]) for e in imsdb_episodes] == sorted(
        (e["season"], e["episodes"][0]) for e in imsdb_episodes)
    hrefs = expected_livesinabox_hrefs()
    assert [urlsplit(e["url"]).path for e in friends_episodes] == [f"/friends/{href}" for href in hrefs]
    assert any(len(e["episodes"]) == 2 for e in friends_episodes)
    season10 = [e for e in friends_episodes if e["season"] == 10]
    # shaped like the real season 10 pages: no closing </body> or </html> (docs/sites.md §3.2)
    assert season10 and not any(re.search(rb"</(body|html)>", offline_file("livesinabox", e["url"]).read_bytes())
                                for e in season10)

    for site, site_episodes in (("imsdb", imsdb_episodes), ("livesinabox", friends_episodes)):
        assert reports[site].crawl.counts["failed"] == reports[site].crawl.counts["skipped"] == 0
        for episode in site_episodes:
            assert episode["url"].startswith(f"offline://{site}/")
            stored = (tmp_path / "offline" / site / episode["path"]).read_bytes()
            assert stored == offline_file(site, episode["url"]).read_bytes()
            assert set(episode) == {"site", "show", "season", "episodes", "title", "url", "path", "id"}


def test_second_run_fetches_nothing_and_writes_the_same_episode_list(tmp_path):
    run(tmp_path)
    first = {site: (tmp_path / "offline" / site / "episodes.json").read_bytes() for site in SITES}
    manifest_lines = {site: len((tmp_path / "offline" / site / "manifest.jsonl").read_text().splitlines())
                      for site in SITES}
    reports = run(tmp_path)
    for site in SITES:
        assert reports[site].crawl.counts["fetched"] == 0 and reports[site].crawl.counts["reused"] > 0
        assert (tmp_path / "offline" / site / "episodes.json").read_bytes() == first[site]
        assert len((tmp_path / "offline" / site / "manifest.jsonl").read_text().splitlines()) == manifest_lines[site]


def test_a_limited_run_is_completed_by_a_full_one_without_losing_pages(tmp_path):
    limited = run(tmp_path, limit=3)
    assert [len(episodes(tmp_path, site)) for site in SITES] == [3, 3]
    kept = stored_pages(tmp_path)

    full = run(tmp_path)
    for site in SITES:
        assert full[site].crawl.counts["reused"] == limited[site].crawl.counts["fetched"]
    assert len(episodes(tmp_path, "imsdb")) == len(expected_imsdb_titles())
    after = stored_pages(tmp_path)
    assert all(after[path] == content for path, content in kept.items())


def test_a_run_whose_server_dies_midway_keeps_its_pages_and_resumes(tmp_path):
    settings = sample_settings(sites=["livesinabox"])
    out_dir = tmp_path / "offline"

    def scrape_from(base):
        return stage.scrape_sites(settings, {"livesinabox": f"{base}/friends/scripts.shtml"},
                                  out_dir, progress=False)["livesinabox"]

    with serve_directory(OFFLINE_SITE / "livesinabox", handler=recording_handler([], answers=6)) as base:
        broken = scrape_from(base)       # robots.txt, the index and 4 episode pages get through
    assert broken.crawl.counts["fetched"] == 5 and broken.crawl.counts["failed"] > 0
    assert len(episodes(tmp_path, "livesinabox")) == 4
    kept = stored_pages(tmp_path)

    with serve_offline_site(OFFLINE_SITE, sites=["livesinabox"]) as bases:
        resumed = scrape_from(bases["livesinabox"])
    assert resumed.crawl.counts["reused"] == 5
    # the pages that failed, and those skipped once scrape.max_host_failures gave the host up
    assert resumed.crawl.counts["fetched"] == broken.crawl.counts["failed"] + broken.crawl.counts["skipped"]
    assert len(episodes(tmp_path, "livesinabox")) == len(expected_livesinabox_hrefs())
    assert all(stored_pages(tmp_path)[path] == content for path, content in kept.items())


def test_a_missing_offline_site_is_a_clear_error(tmp_path):
    with pytest.raises(ScrapeError, match="no offline site at .*write_site.py"):
        stage.scrape(sample_settings(), tmp_path, tmp_path / "nowhere", progress=False)


# ------------------------------------------------------------------------------------------ main()

STAGE = [sys.executable, "-m", "pipeline.scrape", "offline_site", "data/raw"]


def run_stage(cwd: Path, params: dict) -> subprocess.CompletedProcess:
    """Run `python -m pipeline.scrape` as DVC does, in `cwd` holding `params` as params.yaml."""
    (cwd / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    return subprocess.run(STAGE, cwd=cwd, capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(PROJECT), "PATH": ""})


def test_main_without_network_fails_fast_with_a_hint(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    params = sample_params(source="live")
    for site in SITES:   # both on loopback: the preflight must not look up any real host
        params["scrape"][site]["url"] = f"http://127.0.0.1:{closed}/friends/scripts.shtml"
    done = run_stage(tmp_path, params)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "cannot reach 127.0.0.1" in done.stderr and "make demo" in done.stderr
    assert not (tmp_path / "data").exists()


def test_main_rejects_bad_params_before_any_work(tmp_path):
    params = sample_params()
    params["scrape"]["delya"] = 1
    done = run_stage(tmp_path, params)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "unknown key 'scrape.delya'" in done.stderr and not (tmp_path / "data").exists()


# ------------------------------------------------------------------------------- exit-code policy

FIXTURE_PAGES = 11   # distinct episode pages on the fixture site, plus its index: 12 pages in all
FIXTURE_EPISODE_PATHS = sorted("/friends/" + str(path.relative_to(LIVESINABOX / "friends"))
                               for path in (LIVESINABOX / "friends").rglob("*")
                               if path.is_file() and path.name != "scripts.shtml")


@pytest.mark.parametrize("missing, max_failed_fraction, expected_code, episode_count, problem", [
    ([], 0.2, 0, FIXTURE_PAGES, None),
    (FIXTURE_EPISODE_PATHS[:2], 0.2, 0, FIXTURE_PAGES - 2, None),                     # 2 of 12 failed
    (FIXTURE_EPISODE_PATHS[:3], 0.2, 1, FIXTURE_PAGES - 3, "3 of 12 pages failed"),   # 25% > 20%
    (FIXTURE_EPISODE_PATHS[:3], 0.3, 0, FIXTURE_PAGES - 3, None),
    (FIXTURE_EPISODE_PATHS, 1.0, 1, 0, "none of its 11 episodes could be fetched"),
    (["/friends/scripts.shtml"], 1.0, 1, 0, "found no episodes at"),
], ids=["all-good", "below", "above", "above-a-looser-limit", "no-page", "no-index"])
def test_exit_code_policy_keeps_partial_results(tmp_path, capsys, missing, max_failed_fraction,
                                                expected_code, episode_count, problem):
    settings = sample_settings(sites=["livesinabox"])
    with serve_files(LIVESINABOX, missing=set(missing)) as (base, log):
        reports = stage.scrape_sites(settings, {"livesinabox": f"{base}/friends/scripts.shtml"}, tmp_path,
                                     progress=False)
    assert stage.exit_code(reports, max_failed_fraction, "scrape") == expected_code
    out, err = capsys.readouterr()
    written = json.loads((tmp_path / "livesinabox" / "episodes.json").read_text(encoding="utf-8"))
    assert len(written) == len(reports["livesinabox"].episodes) == episode_count
    assert out.startswith(f"livesinabox: {episode_count} of ")
    if missing:
        assert f"  failed: {len(missing)} HTTP 404" in out.splitlines()
    assert (problem in err) if problem else err == ""


def test_main_exits_non_zero_above_the_failed_fraction_and_keeps_what_it_fetched(tmp_path):
    params = sample_params(source="live", sites=["livesinabox"], max_failed_fraction=0.1)
    with serve_files(LIVESINABOX, missing=set(FIXTURE_EPISODE_PATHS[:2])) as (base, log):
        params["scrape"]["livesinabox"]["url"] = f"{base}/friends/scripts.shtml"
        done = run_stage(tmp_path, params)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "scrape: livesinabox: 2 of 12 pages failed" in done.stderr and "max_failed_fraction 10%" in done.stderr
    kept = json.loads((tmp_path / "data/raw/live/livesinabox/episodes.json").read_text(encoding="utf-8"))
    assert len(kept) == FIXTURE_PAGES - 2


def test_main_with_no_imsdb_show_and_no_movies_names_the_keys_before_any_request(tmp_path):
    (tmp_path / "offline_site").symlink_to(OFFLINE_SITE)
    params = sample_params()
    params["scrape"]["imsdb"].update(shows=[], movies="none")
    done = run_stage(tmp_path, params)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "scrape.imsdb.shows is empty and scrape.imsdb.movies is none" in line
    assert "name a show in scrape.imsdb.shows" in line and "take imsdb out of scrape.sites" in line
    assert not (tmp_path / "data").exists()
