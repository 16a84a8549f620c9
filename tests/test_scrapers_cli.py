"""`python -m scrapers SITE ...` run as a subprocess against the livesinabox fixture site on
127.0.0.1: a full scrape, a rerun that asks the server for nothing, `--refresh`, the exit-code
policy with partial results kept, defaults read from params.yaml, and `--help`.
"""
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from loopback import LIVESINABOX, serve_files
from common.params import load_params
from common.settings import KNOBS

PROJECT = Path(__file__).resolve().parent.parent
FRIENDS_PAGES = 11
ONE_MISSING = {"/friends/season4/414quiz.htm"}


def scrapers_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrapers", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, env={"PYTHONPATH": str(PROJECT), "PATH": ""})


def scrape_fixture(cwd: Path, base: str, *options: str) -> subprocess.CompletedProcess:
    return scrapers_cli(cwd, "livesinabox", "--base-url", f"{base}/friends/", "--out", "tmp", "--delay", "0", *options)


def written_episodes(cwd: Path) -> list[dict]:
    return json.loads((cwd / "tmp/livesinabox/episodes.json").read_text(encoding="utf-8"))


def test_help_lists_every_option_with_its_default(tmp_path):
    done = scrapers_cli(tmp_path, "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for option in ("SITE", "imsdb", "livesinabox", "--base-url URL", "--out DIR", "--limit N", "--delay SECONDS",
                   "--refresh"):
        assert option in text
    scrape, params = load_params(PROJECT / "params.yaml")["scrape"], PROJECT / "params.yaml"
    # no params.yaml in the working directory: the defaults are the project's params.yaml, nothing built in
    for default in (f"default: imsdb {scrape['imsdb']['url']}, livesinabox http://www.livesinabox.com/friends/",
                    "(default: data/raw/live)", f"(default: scrape.limit of {params}: {scrape['limit']})",
                    f"(default: scrape.delay of {params}: {scrape['delay']})",
                    f"(default: scrape.refresh of {params}: off)",
                    f"Defaults are read from {params}", "--params FILE"):
        assert "".join(default.split()) in "".join(text.split()), default   # argparse wraps a path at a hyphen
    for key in ("scrape.limit", "scrape.delay", "scrape.refresh"):   # what each means: the knob's declaration
        assert KNOBS[key].meaning in text, key


def test_scrapes_the_fixture_site_then_a_rerun_asks_for_nothing(tmp_path):
    with serve_files(LIVESINABOX) as (base, log):
        first = scrape_fixture(tmp_path, base)
        requests_of_first_run = len(log)
        rerun = scrape_fixture(tmp_path, base)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[:2] == [
        f"livesinabox: {FRIENDS_PAGES} of {FRIENDS_PAGES} episodes in tmp/livesinabox/episodes.json",
        f"  fetched {FRIENDS_PAGES + 1}, already stored 0, skipped 0, failed 0 (of {FRIENDS_PAGES + 1} pages)"]
    episodes = written_episodes(tmp_path)
    assert len(episodes) == FRIENDS_PAGES and episodes[0]["url"] == f"{base}/friends/season1/101kayak.htm"
    for episode in episodes:
        relative = episode["url"][len(base) + 1:]
        assert (tmp_path / "tmp/livesinabox" / episode["path"]).read_bytes() == (LIVESINABOX / relative).read_bytes()
    assert rerun.returncode == 0 and f"already stored {FRIENDS_PAGES + 1}," in rerun.stdout
    assert log[requests_of_first_run:] == []   # robots.txt too is only asked for before a request


def test_refresh_fetches_every_page_again(tmp_path):
    with serve_files(LIVESINABOX) as (base, log):
        scrape_fixture(tmp_path, base)
        requests_of_first_run = len(log)
        refreshed = scrape_fixture(tmp_path, base, "--refresh")
    assert refreshed.returncode == 0, refreshed.stderr
    assert sorted(log[requests_of_first_run:]) == sorted(log[:requests_of_first_run])
    manifest = (tmp_path / "tmp/livesinabox/manifest.jsonl").read_text(encoding="utf-8").splitlines()
    outcomes = [json.loads(line)["outcome"] for line in manifest]
    assert outcomes == ["fetched"] * (FRIENDS_PAGES + 1) + ["refreshed"] * (FRIENDS_PAGES + 1)


def test_too_many_failures_exit_non_zero_and_keep_the_partial_results(tmp_path):
    with serve_files(LIVESINABOX, missing=ONE_MISSING | {"/friends/1005.shtml", "/friends/1017.shtml"}) as (base, _):
        done = scrape_fixture(tmp_path, base)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "3 of 12 pages failed (25%, more than scrape.max_failed_fraction 20%)" in done.stderr
    assert "  failed: 3 HTTP 404" in done.stdout.splitlines()
    assert len(written_episodes(tmp_path)) == FRIENDS_PAGES - 3


def test_defaults_come_from_params_yaml_in_the_working_directory(tmp_path):
    params = load_params(PROJECT / "params.yaml")
    params["scrape"].update(max_failed_fraction=0.5, limit=4)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    with serve_files(LIVESINABOX, missing=ONE_MISSING) as (base, _):
        done = scrape_fixture(tmp_path, base)
    assert done.returncode == 0, done.stderr   # 1 of 5 pages failed: 20% <= 50%
    assert done.stdout.startswith("livesinabox: 3 of 4 episodes")


def test_params_names_the_file_to_read_and_a_bad_one_is_named(tmp_path):
    params = load_params(PROJECT / "params.yaml")
    params["scrape"]["limit"] = 2
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    with serve_files(LIVESINABOX) as (base, _):
        done = scrape_fixture(tmp_path, base, "--params", "mine.yaml")
    assert done.returncode == 0 and done.stdout.startswith("livesinabox: 2 of 2 episodes"), done.stderr
    params["scrape"]["delya"] = 1
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    done = scrapers_cli(tmp_path, "livesinabox", "--params", "mine.yaml")
    assert done.returncode == 1 and "mine.yaml: unknown key 'scrape.delya'" in done.stderr
    assert "Traceback" not in done.stderr


def test_no_usable_page_exits_non_zero(tmp_path):
    with serve_files(LIVESINABOX, missing={"/friends/scripts.shtml"}) as (base, _):
        done = scrape_fixture(tmp_path, base)
    assert done.returncode == 1 and "found no episodes at" in done.stderr
    assert written_episodes(tmp_path) == []


def test_imsdb_with_no_show_and_no_movies_names_the_keys_before_any_request(tmp_path):
    params = load_params(PROJECT / "params.yaml")
    params["scrape"]["imsdb"].update(shows=[], movies="none")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    with serve_files(LIVESINABOX) as (base, log):
        done = scrapers_cli(tmp_path, "imsdb", "--base-url", base, "--out", "tmp")
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1 and log == []
    assert "scrape.imsdb.shows is empty and scrape.imsdb.movies is none" in done.stderr


def test_an_unreachable_base_url_fails_fast_with_a_hint(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    done = scrape_fixture(tmp_path, f"http://127.0.0.1:{closed}")
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1
    assert "cannot reach 127.0.0.1" in done.stderr and "make demo" in done.stderr


@pytest.mark.parametrize("args, message", [
    (["livesinabox", "--delay", "-1"], "--delay: must be in [0, 86400]"),
    (["livesinabox", "--limit", "x"], "--limit: not a whole number: 'x'"),
    (["livesinabox", "--base-url", "ftp://example.invalid/"], "not an http(s) URL"),
    (["netflix"], "invalid choice"),
])
def test_bad_arguments_are_refused_before_any_request(tmp_path, args, message):
    done = scrapers_cli(tmp_path, *args)
    assert done.returncode == 2 and message in done.stderr
    assert not (tmp_path / "data").exists()
