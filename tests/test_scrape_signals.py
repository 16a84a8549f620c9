"""A scrape stopped by SIGTERM exits as its `--help` says (130) with one line saying what was kept
and how to resume, for `python -m scrapers` and for the stage `python -m pipeline.scrape` alike.

Each test runs the real command against the livesinabox fixture site on 127.0.0.1 with
`scrape.delay` an hour, so the scraper is certainly waiting once the server has seen its first
request (robots.txt); then it gets a real SIGTERM. The process is killed in a `finally` whatever
happens.
"""
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from common.params import load_params
from loopback import LIVESINABOX, serve_files

PROJECT = Path(__file__).resolve().parent.parent
HOUR = 3600.0
GRACE = 30.0   # seconds a stopped scraper may take to write episodes.json and exit, on a busy machine


def write_params(cwd: Path, **scrape) -> None:
    params = load_params(PROJECT / "params.yaml")
    params["scrape"].update(scrape)
    (cwd / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")


def stop_when_waiting(command: list[str], cwd: Path, log: list[str], requests_before: int = 0):
    """Run `command`, send it SIGTERM once the server has seen one more request; (rc, stdout, stderr)."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={"PYTHONPATH": str(PROJECT), "PATH": ""})
    try:
        started = time.monotonic()
        while len(log) <= requests_before and process.poll() is None and time.monotonic() - started < 120:
            time.sleep(0.05)
        assert process.poll() is None, process.communicate()
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=GRACE)
        return process.returncode, out, err
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def scrapers_command(base: str, *options: str) -> list[str]:
    return [sys.executable, "-m", "scrapers", "livesinabox", "--base-url", f"{base}/friends/", "--out", "tmp",
            *options]


def test_the_help_promises_130():
    done = subprocess.run([sys.executable, "-m", "scrapers", "--help"], capture_output=True, text=True, timeout=60,
                          cwd=PROJECT, env={"PYTHONPATH": str(PROJECT), "PATH": ""})
    assert "130 when stopped by Ctrl-C, SIGTERM or SIGHUP" in " ".join(done.stdout.split())


def test_python_m_scrapers_stopped_by_sigterm_exits_130_keeping_its_pages(tmp_path):
    write_params(tmp_path, delay=0)
    with serve_files(LIVESINABOX) as (base, log):
        first = subprocess.run(scrapers_command(base, "--limit", "2"), cwd=tmp_path, capture_output=True,
                               text=True, timeout=120, env={"PYTHONPATH": str(PROJECT), "PATH": ""})
        assert first.returncode == 0, first.stderr
        stored = sorted((tmp_path / "tmp/livesinabox/pages").iterdir())
        write_params(tmp_path, delay=HOUR)
        # the index and two episodes are reused; robots.txt is asked for before the third, then an hour's wait
        code, out, err = stop_when_waiting(scrapers_command(base), tmp_path, log, requests_before=len(log))
    assert code == 130 and "Traceback" not in err
    [line] = err.strip().splitlines()
    assert line == ("python -m scrapers: stopped by SIGTERM; kept livesinabox: 0 pages fetched in this run, "
                    "2 episodes listed in tmp/livesinabox/episodes.json (nothing stored is lost); "
                    "run the same command again to resume.")
    assert sorted((tmp_path / "tmp/livesinabox/pages").iterdir()) == stored
    assert len(json.loads((tmp_path / "tmp/livesinabox/episodes.json").read_text(encoding="utf-8"))) == 2


def test_the_scrape_stage_stopped_by_sigterm_exits_130_with_one_line(tmp_path):
    with serve_files(LIVESINABOX) as (base, log):
        write_params(tmp_path, source="live", sites=["livesinabox"], delay=HOUR,
                     livesinabox={"url": f"{base}/friends/scripts.shtml"})
        code, out, err = stop_when_waiting([sys.executable, "-m", "pipeline.scrape", "offline_site", "data/raw"],
                                           tmp_path, log)
    assert log == ["/robots.txt"]   # the index was next, an hour later
    assert code == 130 and "Traceback" not in err
    # the stage's progress bars go to stderr too; what it says of itself is one line
    [line] = [line for line in err.splitlines() if line.startswith("scrape:")]
    assert err.rstrip().endswith(line)
    assert line.startswith("scrape: stopped by SIGTERM; kept livesinabox: 0 pages fetched in this run, "
                           "stopped before its episode list was read (episodes.json left as it was)")
    assert line.endswith("run `dvc repro` again to resume.")
