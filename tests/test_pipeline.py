"""End to end: real `dvc repro` and `dvc exp run` in a temporary git repo, on the bundled offline site.

The module's workspace is a plain one, like a clone of the project (no `core.autostage`, which the demo
sets): the README's way back from an experiment must work there too (its test runs after the experiments)."""
import json
import re
import socket
import subprocess

import pytest
import yaml

from app.workspace import dvc_env, prepare_workspace
from common.scores import Reference
from processes import dvc, dvc_status, run
from workspaces import TINY, readme_way_back, snapshot

STAGES = ["scrape", "clean", "window", "train", "sample"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, tiny_workspace):
    return tiny_workspace(tmp_path_factory.mktemp("pipeline") / "ws", autostage=False)


@pytest.fixture(scope="module")
def baseline(workspace):
    """Every file of the workspace as the full run left it, before the experiments below."""
    return snapshot(workspace)


def test_repro_runs_every_stage_and_writes_every_output(workspace, baseline):
    lock = yaml.safe_load((workspace / "dvc.lock").read_text())
    assert list(lock["stages"]) == ["check", *STAGES]
    episodes = json.loads((workspace / "data/raw/offline/imsdb/episodes.json").read_text())
    assert len(episodes) == TINY["scrape.limit"]
    assert (workspace / "data/corpus/train.txt").stat().st_size > 0
    windows = json.loads((workspace / "metrics/windows.json").read_text())
    assert windows["train"]["windows"] > 0
    assert (workspace / "models/model.keras").exists()
    summary = json.loads((workspace / "dvclive/metrics.json").read_text())
    assert summary["train"]["loss"] > 0 and summary["eval"]["loss"] > 0
    assert (workspace / "data/samples/temperature-1.0.txt").read_text().count("<<<prompt ends here>>>") == 1
    shown = json.loads(dvc(["metrics", "show", "--json"], workspace).stdout)
    assert shown  # DVC reads the committed, uncached metrics files


def test_second_repro_reruns_nothing(workspace):
    out = dvc(["repro"], workspace).stdout
    assert "Running stage" not in out
    for stage in STAGES:
        assert f"'{stage}' didn't change" in out


def test_sample_stage_scores_its_samples_as_a_dvc_metric(workspace):
    """Catches the stage not writing metrics/sample.json, dvc.yaml not listing it as a metric (then
    `dvc metrics show` leaves it out), or line rules that real script text fails (its share of
    well-formed lines, the reference a perfect model reaches, must be near 1)."""
    scores = json.loads((workspace / "metrics/sample.json").read_text())
    assert set(scores) == {"temperature-0", "temperature-1.0", "reference"}
    # the tiny samples are 10 characters: words, but no whole line (a share of nothing is null, which
    # DVC leaves out)
    shown = json.loads(dvc(["metrics", "show", "--json"], workspace).stdout)
    numbers = {name: {key: value for key, value in shares.items() if value is not None}
               for name, shares in scores.items()}
    assert shown[""]["data"]["metrics/sample.json"]["data"] == numbers
    table = dvc(["metrics", "show"], workspace).stdout
    for key in ("temperature-0.known_words", "temperature-1.0.lines", "reference.known_words"):
        assert key in table
    corpus = workspace / "data/corpus"
    real = Reference((corpus / "train.txt").read_text()).score((corpus / "val.txt").read_text()[:1000])
    assert real["lines"] >= 5 and real["well_formed_lines"] >= 0.95
    assert real["known_speakers"] > 0.5 and real["known_words"] > 0.5


def test_the_readmes_exp_run_rewindows_and_metrics_diff_shows_it(workspace, project_root):
    """The README's first experiment in the demo, `dvc exp run -S train.step=25`: fails if the step does
    not reach the window stage (the windows counted again here from train.txt), or the change reruns
    the stages before it."""
    readme = (project_root / "README.md").read_text()
    assert re.search(r"^dvc exp run -S train.step=25 ", readme, re.M)
    before = json.loads((workspace / "metrics/windows.json").read_text())["train"]["windows"]
    out = dvc(["exp", "run", "-S", "train.step=25"], workspace).stdout
    assert "Running stage 'window'" in out and "Running stage 'train'" in out
    assert "Running stage 'scrape'" not in out and "Running stage 'clean'" not in out
    diff = json.loads(dvc(["metrics", "diff", "--json"], workspace).stdout)
    change = diff["metrics/windows.json"]["train.windows"]
    section = yaml.safe_load((workspace / "params.yaml").read_text())["train"]["section_length"]
    characters = len((workspace / "data/corpus/train.txt").read_text(encoding="utf-8"))
    assert change["old"] == before and change["new"] == (characters - section - 1) // 25 + 1 > before


def test_exp_run_on_a_cleaning_param_shows_in_the_corpus_stats(workspace):
    """Up to the clean stage only (the stages after it would retrain on the new split: the experiment
    above covers them)."""
    out = dvc(["exp", "run", "clean", "-S", "clean.val_fraction=0.5"], workspace).stdout
    assert "Running stage 'clean'" in out and "Running stage 'train'" not in out
    diff = json.loads(dvc(["metrics", "diff", "--json"], workspace).stdout)
    stats = diff["data/corpus/stats.json"]
    assert stats["episodes.val"]["new"] > stats["episodes.val"]["old"]
    assert stats["episodes.train"]["new"] < stats["episodes.train"]["old"]


def test_readme_exp_show_is_readable_in_100_columns(workspace, project_root):
    """Fails if the README's command drifts from dvc.yaml's names (a column silently missing) or its
    table no longer fits: DVC then elides columns with '…'. Runs after the experiments above."""
    readme = (project_root / "README.md").read_text()
    command = re.search(r"^dvc exp show --no-pager --drop '\.\*' --keep '([^']+)'$", readme, re.M)
    done = dvc(["exp", "show", "--no-pager", "--drop", ".*", "--keep", command.group(1)], workspace,
               env=dict(dvc_env(), COLUMNS="100"))
    lines = done.stdout.splitlines()
    assert "…" not in done.stdout and max(map(len, lines)) <= 100, done.stdout
    assert lines[1].split() == ["Experiment", "eval.nats_per_char", "train.epochs",
                                "train.hidden_units", "train.step"]
    assert len(lines) >= 3 + 2 + 2   # rules and header, workspace and HEAD, the two experiments


def test_the_readmes_way_back_from_an_experiment_restores_everything(workspace, baseline, project_root):
    """After the experiments above, in a workspace without core.autostage: params.yaml, dvc.lock and
    every output byte for byte as before them, and nothing for DVC to do."""
    assert snapshot(workspace) != baseline
    for argv in readme_way_back(project_root):
        run(argv, cwd=workspace, env=dvc_env(), check=True)
    assert snapshot(workspace) == baseline
    assert dvc_status(workspace) == {}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_plots_html_renders_offline(workspace, tmp_path):
    """Fails if `dvc plots show` (and so `plots diff` and the demo's page) goes back to DVC's own page,
    which loads Vega from a CDN and is blank offline."""
    dvc(["plots", "show", "-o", str(tmp_path / "plots")], workspace)
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
    dest = prepare_workspace(project_root, tmp_path / "ws", TINY)  # nothing has run
    params = yaml.safe_load((dest / "params.yaml").read_text())
    edit(params)
    (dest / "params.yaml").write_text(yaml.safe_dump(params))
    with pytest.raises(subprocess.CalledProcessError) as failure:
        dvc(["repro"], dest)
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
        dvc(["repro", "scrape"], dest)
    stderr = failure.value.stderr
    assert f"127.0.0.1:{port}" in stderr or "127.0.0.1" in stderr
    assert "make demo" in stderr
    assert kept.read_bytes() == b"<html>fetched in an earlier run</html>"
