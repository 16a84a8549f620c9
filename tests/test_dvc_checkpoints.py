"""Checkpoints travel with DVC, and a result is a function of params, code and data only.

Real DVC in a temporary git repo running the small sample pipeline, with a local DVC remote: a fresh
clone that pulls reruns nothing; a shorter experiment after a longer run trains from scratch; going
back from an experiment with `git checkout` + `dvc checkout` leaves nothing to rerun; queued
experiments (run in DVC's temporary workspaces) work and give the same result as in the workspace.
"""
import json
import subprocess

import pytest

from pipeline.workspace import commit_all, dvc, prepare_workspace, run

SMALL = {"scrape.source": "sample", "scrape.delay": 0.0, "scrape.limit": 2, "train.hidden_units": 8,
         "train.epochs": 2, "train.batch_size": 256, "train.sample_every": 1, "sample.length": 10,
         "sample.temperatures": [0]}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, project_root):
    root = tmp_path_factory.mktemp("checkpoints")
    dest = prepare_workspace(project_root, root / "ws", SMALL)
    dvc(["remote", "add", "-d", "local", str(root / "remote")], dest)
    dvc(["repro"], dest, capture=True)
    commit_all(dest, "baseline: 2 epochs")
    dvc(["push"], dest, capture=True)
    return dest


def status(repo) -> dict:
    return json.loads(dvc(["status", "--json"], repo, capture=True).stdout)


def state(repo) -> dict:
    return json.loads((repo / "checkpoints" / "state.json").read_text())


def ran(output: str) -> list[str]:
    return [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")]


def test_checkpoints_are_cached_not_left_to_git_or_nothing(workspace):
    lock = (workspace / "dvc.lock").read_text()
    assert "path: checkpoints\n      hash: md5\n      md5:" in lock
    tracked = run(["git", "ls-files"], workspace, capture=True).stdout.split()
    assert not any(path.startswith("checkpoints/") for path in tracked)


def test_a_fresh_clone_that_pulls_reruns_nothing(workspace, tmp_path):
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(workspace), str(clone)], tmp_path)
    dvc(["pull"], clone, capture=True)
    assert status(clone) == {}
    assert state(clone) == state(workspace)
    out = dvc(["repro"], clone, capture=True).stdout
    assert ran(out) == [], out


def test_a_shorter_experiment_trains_from_scratch_and_going_back_reruns_nothing(workspace):
    baseline = state(workspace)
    out = dvc(["exp", "run", "-S", "train.epochs=1"], workspace, capture=True).stdout
    assert "training from scratch" in out  # (cosine: epochs shape the schedule; constant: the checkpoint is longer)
    short = state(workspace)
    assert short["epochs_done"] == 1 and short["iterations"] * 2 == baseline["iterations"]
    metrics = json.loads((workspace / "dvclive" / "metrics.json").read_text())
    assert metrics["step"] == 0
    assert sorted(p.name for p in (workspace / "dvclive" / "samples").iterdir()) == ["epoch-001.md", "index.md"]

    run(["git", "checkout", "--", "."], workspace)
    dvc(["checkout"], workspace, capture=True)
    assert status(workspace) == {}
    assert state(workspace) == baseline
    out = dvc(["repro"], workspace, capture=True).stdout
    assert ran(out) == [], out


def test_an_edit_to_the_training_code_retrains_from_scratch(workspace):
    path = workspace / "pipeline" / "train" / "callbacks.py"
    original = path.read_text()
    try:
        path.write_text(original + "\n# an edit\n")
        out = dvc(["repro"], workspace, capture=True).stdout
        assert ran(out) == ["train", "sample"], out
        assert "code_sha256 changed; training from scratch" in out
    finally:
        path.write_text(original)
        run(["git", "checkout", "HEAD", "--", "."], workspace)  # core.autostage staged the new dvc.lock
        dvc(["checkout"], workspace, capture=True)
    assert status(workspace) == {}


def test_queued_experiments_run_in_temporary_workspaces_like_in_the_workspace(workspace):
    dvc(["exp", "run", "--queue", "-n", "three", "-S", "train.epochs=3"], workspace, capture=True)
    dvc(["exp", "run", "--queue", "-n", "lr", "-S", "train.learning_rate=0.005"], workspace, capture=True)
    dvc(["exp", "run", "--run-all", "-j", "2"], workspace, capture=True)
    shown = json.loads(dvc(["exp", "show", "--json"], workspace, capture=True).stdout)
    experiments = {exp["name"]: exp for baseline in shown for exp in (baseline.get("experiments") or [])}
    assert {"three", "lr"} <= set(experiments), experiments.keys()
    queued = {}
    for name in ("three", "lr"):
        revision = experiments[name]["revs"][0]
        assert revision["error"] is None, revision["error"]
        queued[name] = revision["data"]["metrics"]["dvclive/metrics.json"]["data"]
    assert queued["three"]["step"] == 2 and queued["lr"]["step"] == 1

    # the same experiment run in the workspace (resuming from the 2-epoch checkpoint) gives the same numbers
    dvc(["exp", "run", "-S", "train.epochs=3"], workspace, capture=True)
    here = json.loads((workspace / "dvclive" / "metrics.json").read_text())
    assert here["eval"]["loss"] == pytest.approx(queued["three"]["eval"]["loss"], rel=1e-4)
    run(["git", "checkout", "--", "."], workspace)
    dvc(["checkout"], workspace, capture=True)
    assert status(workspace) == {}
    subprocess.run(["git", "status"], cwd=workspace, check=True, capture_output=True)
