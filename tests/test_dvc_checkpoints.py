"""Checkpoints travel with DVC, a result is a function of params, code and data only, and the README's
way back from an experiment works where `core.autostage` is on, as in the demo.

Real DVC in a copy of the tiny sample workspace (tests/workspaces.py: 2 epochs done, autostage on), with
a local DVC remote: a fresh clone that pulls reruns nothing; a shorter experiment after a longer run
trains from scratch, and an edit to the training code retrains from scratch; after each, the README's
way back puts every file back byte for byte and leaves nothing to rerun. (Queued experiments, and that
one ends where the same experiment in the workspace ends: test_queue.py. The way back without autostage:
test_pipeline.py.)
"""
import json

import pytest

from app.workspace import commit_all, dvc_env, run
from processes import dvc, dvc_status, run as run_process
from workspaces import readme_way_back, snapshot


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, tiny_workspace):
    root = tmp_path_factory.mktemp("checkpoints")
    dest = tiny_workspace(root / "ws")
    dvc(["remote", "add", "-d", "local", str(root / "remote")], dest)
    commit_all(dest, "a local DVC remote")
    dvc(["push"], dest)
    return dest


def state(repo) -> dict:
    return json.loads((repo / "checkpoints" / "state.json").read_text())


def ran(output: str) -> list[str]:
    return [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")]


def go_back(workspace, project_root) -> None:
    for argv in readme_way_back(project_root):
        run_process(argv, cwd=workspace, env=dvc_env(), check=True)


def test_checkpoints_are_cached_not_left_to_git_or_nothing(workspace):
    lock = (workspace / "dvc.lock").read_text()
    assert "path: checkpoints\n      hash: md5\n      md5:" in lock
    tracked = run(["git", "ls-files"], workspace, capture=True).stdout.split()
    assert not any(path.startswith("checkpoints/") for path in tracked)


def test_a_fresh_clone_that_pulls_reruns_nothing(workspace, tmp_path):
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(workspace), str(clone)], tmp_path)
    dvc(["pull"], clone)
    assert dvc_status(clone) == {}
    assert state(clone) == state(workspace)
    out = dvc(["repro"], clone).stdout
    assert ran(out) == [], out


def test_a_shorter_experiment_trains_from_scratch_and_the_way_back_reruns_nothing(workspace, project_root):
    before, baseline = snapshot(workspace), state(workspace)
    out = dvc(["exp", "run", "train", "-S", "train.epochs=1"], workspace).stdout  # the sample stage: not needed
    assert "holds 2 epochs, more than train.epochs = 1; training those from scratch" in out
    short = state(workspace)
    assert short["epochs_done"] == 1 and short["iterations"] * 2 == baseline["iterations"]
    metrics = json.loads((workspace / "dvclive" / "metrics.json").read_text())
    assert metrics["step"] == 0
    assert sorted(p.name for p in (workspace / "dvclive" / "samples").iterdir()) == ["epoch-001.md", "index.md"]

    go_back(workspace, project_root)
    assert snapshot(workspace) == before  # params.yaml, dvc.lock, the model, checkpoints, curves, samples
    assert dvc_status(workspace) == {}
    out = dvc(["repro"], workspace).stdout
    assert ran(out) == [], out


def test_an_edit_to_the_training_code_retrains_from_scratch_and_the_way_back_undoes_it(workspace, project_root):
    """`dvc repro` under core.autostage stages the new dvc.lock: a way back that restores from git's
    index (`git checkout -- .`) kept the edited run's dvc.lock, and `dvc checkout` then its outputs."""
    before = snapshot(workspace)
    path = workspace / "pipeline" / "train" / "callbacks.py"
    path.write_text(path.read_text() + "\n# an edit\n")
    out = dvc(["repro", "train"], workspace).stdout  # (test_dvc_deps: the edit reaches the sample stage too)
    assert ran(out) == ["train"], out
    assert "code_sha256 changed; training from scratch" in out

    go_back(workspace, project_root)
    assert snapshot(workspace) == before  # the code too
    assert dvc_status(workspace) == {}
