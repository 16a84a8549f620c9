"""End to end: real `dvc repro` and `dvc exp run` in a temporary git repo, on the bundled sample site."""
import json
import re
import socket
import subprocess
import sys

import pytest
import yaml

from pipeline.workspace import commit_all, dvc, dvc_env, prepare_workspace

TINY = {
    "scrape.source": "sample",
    "scrape.delay": 0.0,
    "scrape.limit": 3,
    "train.hidden_units": 16,
    "train.epochs": 1,
    "train.batch_size": 256,
    "sample.length": 40,
    "sample.temperatures": [0, 1.0],
}
STAGES = ["scrape", "clean", "window", "train", "sample"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, project_root):
    dest = prepare_workspace(project_root, tmp_path_factory.mktemp("pipeline") / "ws", TINY)
    dvc(["repro"], dest, capture=True)
    commit_all(dest, "baseline run")
    return dest


def test_repro_runs_every_stage_and_writes_every_output(workspace):
    lock = yaml.safe_load((workspace / "dvc.lock").read_text())
    assert list(lock["stages"]) == ["check", *STAGES]
    episodes = json.loads((workspace / "data/raw/sample/imsdb/episodes.json").read_text())
    assert len(episodes) == 3
    assert (workspace / "data/corpus/train.txt").stat().st_size > 0
    windows = json.loads((workspace / "metrics/windows.json").read_text())
    assert windows["train"]["windows"] > 0
    assert (workspace / "models/model.keras").exists()
    summary = json.loads((workspace / "dvclive/metrics.json").read_text())
    assert summary["train"]["loss"] > 0 and summary["eval"]["loss"] > 0
    assert (workspace / "data/samples/temperature-1.0.txt").read_text().count("<<<prompt ends here>>>") == 1
    shown = json.loads(dvc(["metrics", "show", "--json"], workspace, capture=True).stdout)
    assert shown  # DVC reads the committed, uncached metrics files


def test_second_repro_reruns_nothing(workspace):
    out = dvc(["repro"], workspace, capture=True).stdout
    assert "Running stage" not in out
    for stage in STAGES:
        assert f"'{stage}' didn't change" in out


def test_exp_run_step_1_rewindows_and_metrics_diff_shows_it(workspace):
    before = json.loads((workspace / "metrics/windows.json").read_text())["train"]["windows"]
    out = dvc(["exp", "run", "-S", "train.step=1"], workspace, capture=True).stdout
    assert "Running stage 'window'" in out and "Running stage 'train'" in out
    assert "Running stage 'scrape'" not in out and "Running stage 'clean'" not in out
    diff = json.loads(dvc(["metrics", "diff", "--json"], workspace, capture=True).stdout)
    change = diff["metrics/windows.json"]["train.windows"]
    assert change["old"] == before
    assert change["new"] > 9 * before  # every character instead of every tenth starts a window


def test_exp_run_on_a_cleaning_param_shows_in_the_corpus_stats(workspace):
    dvc(["exp", "run", "-S", "clean.val_fraction=0.5", "-S", "train.step=10"], workspace, capture=True)
    diff = json.loads(dvc(["metrics", "diff", "--json"], workspace, capture=True).stdout)
    stats = diff["data/corpus/stats.json"]
    assert stats["episodes.val"]["new"] > stats["episodes.val"]["old"]
    assert stats["episodes.train"]["new"] < stats["episodes.train"]["old"]


def test_readme_exp_show_is_readable_in_100_columns(workspace, project_root):
    """Fails if the README's command drifts from dvc.yaml's names (a column silently missing) or its
    table no longer fits: DVC then elides columns with '…'. Runs after the experiments above."""
    readme = (project_root / "README.md").read_text()
    command = re.search(r"^dvc exp show --no-pager --drop '\.\*' --keep '([^']+)'$", readme, re.M)
    done = subprocess.run([sys.executable, "-m", "dvc", "exp", "show", "--no-pager", "--drop", ".*",
                           "--keep", command.group(1)], cwd=workspace, capture_output=True, text=True,
                          check=True, env=dict(dvc_env(), COLUMNS="100"))
    lines = done.stdout.splitlines()
    assert "…" not in done.stdout and max(map(len, lines)) <= 100, done.stdout
    assert lines[1].split() == ["Experiment", "eval.nats_per_char", "train.epochs",
                                "train.hidden_units", "train.step"]
    assert len(lines) >= 3 + 2 + 2   # rules and header, workspace and HEAD, the two experiments


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_plots_html_renders_offline(workspace, tmp_path):
    """Fails if `dvc plots show` (and so `plots diff` and the demo's page) goes back to DVC's own page,
    which loads Vega from a CDN and is blank offline."""
    dvc(["plots", "show", "-o", str(tmp_path / "plots")], workspace, capture=True)
    page = (tmp_path / "plots" / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<script[^>]*\bsrc\s*=", page, re.I) == []          # nothing fetched
    assert "window.vegaEmbed=" in page.replace(" ", "")                   # Vega-Embed is inlined
    assert page.count("vegaEmbed('#") == 3                                # the three plots of dvc.yaml


@pytest.mark.parametrize("edit, message", [
    (lambda p: p["train"].update(stpe=1), "unknown key 'train.stpe'"),
    (lambda p: p["train"].update(step=-3), "'train.step' is -3"),
    (lambda p: p["train"].update(section_length=0), "'train.section_length' is 0"),
])
def test_bad_params_fail_before_any_work(tmp_path, project_root, edit, message):
    dest = prepare_workspace(project_root, tmp_path / "ws", TINY)
    params = yaml.safe_load((dest / "params.yaml").read_text())
    edit(params)
    (dest / "params.yaml").write_text(yaml.safe_dump(params))
    with pytest.raises(subprocess.CalledProcessError) as failure:
        dvc(["repro"], dest, capture=True)
    assert message in failure.value.stderr + failure.value.stdout
    assert not (dest / "data" / "raw").exists()


def test_live_scrape_without_network_fails_fast_naming_the_host_and_keeps_pages(tmp_path, project_root):
    port = closed_port()
    dest = prepare_workspace(project_root, tmp_path / "ws", {
        **TINY, "scrape.source": "live", "scrape.timeout": 2.0,
        "scrape.imsdb.url": f"http://127.0.0.1:{port}",
        "scrape.livesinabox.url": f"http://127.0.0.1:{port}/friends/scripts.shtml"})
    kept = dest / "data/raw/live/imsdb/pages/fetched-before.html"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"<html>fetched in an earlier run</html>")
    with pytest.raises(subprocess.CalledProcessError) as failure:
        dvc(["repro", "scrape"], dest, capture=True)
    stderr = failure.value.stderr
    assert f"127.0.0.1:{port}" in stderr or "127.0.0.1" in stderr
    assert "make demo" in stderr
    assert kept.read_bytes() == b"<html>fetched in an earlier run</html>"
