"""A bad params.yaml stops `dvc repro` and `dvc exp run` before anything is deleted, through real DVC.

Before the `check` stage, a typo key added beside the real one was never reported ("up to date"), and a
bad value was caught only by the stage that reads it, after DVC had deleted that stage's outputs. A params.yaml
of the previous release still runs: the check renames its old names in the file, and nothing else reruns."""

import pytest

from app.workspace import run
from processes import dvc, dvc_status
from test_knobs import with_old_names

OUTPUTS = ["data/windows/meta.json", "metrics/windows.json", "models/model.keras", "data/samples",
           "dvclive/metrics.json"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, tiny_workspace):
    return tiny_workspace(tmp_path_factory.mktemp("params") / "ws")


def repro_fails(workspace, *args) -> str:
    done = dvc(list(args or ["repro"]), workspace, check=False)
    assert done.returncode != 0, done.stdout
    return done.stdout + done.stderr


def edited(workspace, old: str, new: str):
    path = workspace / "params.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def restore(workspace):
    yield
    run(["git", "checkout", "HEAD", "--", "params.yaml", "dvc.lock"], workspace)  # HEAD: core.autostage stages dvc.lock


@pytest.mark.parametrize("old, new, message", [
    ("  dropout: 0.3\n", "  dropout: 0.3\n  dropuot: 0.3\n", "unknown key 'train.dropuot'"),   # typo beside the key
    ("  learning_rate: 0.008\n", "  learning_rate: .inf\n", "'train.learning_rate' is inf"),
    ("  step: 50\n", "  step: '8'\n", "'train.step' is the string '8'"),                       # a window param
])
def test_a_bad_params_file_stops_dvc_before_any_output_is_deleted(workspace, restore, old, new, message):
    edited(workspace, old, new)
    out = repro_fails(workspace)
    assert message in out and "check:" in out
    for output in OUTPUTS:
        assert (workspace / output).exists(), output


def test_exp_run_with_a_new_typo_key_is_refused(workspace, restore):
    out = repro_fails(workspace, "exp", "run", "-S", "+train.dropuot=0.2")
    assert "unknown key 'train.dropuot'" in out
    for output in OUTPUTS:
        assert (workspace / output).exists(), output


def test_old_names_are_renamed_in_the_file_by_the_check_and_nothing_else_reruns(workspace, restore):
    """A params.yaml of the previous release (train.sample_*, scrape.source: sample) runs: the check stage
    renames the words in place, and DVC reads the stages' params after it, so it sees the same values as
    before and reruns nothing (had it read them first, scrape would rerun and train miss its params)."""
    path = workspace / "params.yaml"
    current = path.read_text()
    path.write_text(with_old_names(current))
    out = dvc(["repro"], workspace).stdout
    assert path.read_text() == current
    assert "check: renamed in params.yaml: 'train.sample_every' is now called 'train.preview_every'" in out
    assert "'scrape.source: sample' is now 'scrape.source: offline'" in out
    for stage in ("scrape", "clean", "window", "train", "sample"):
        assert f"Running stage '{stage}'" not in out, stage
    assert dvc_status(workspace) == {}


def test_the_check_reruns_only_what_reads_the_changed_key(workspace, restore):
    """Fails if the check's output changed with params.yaml: every stage would rerun on any edit."""
    edited(workspace, "  length: ", "  length: 12 #")   # sample.length
    out = dvc(["repro"], workspace).stdout
    assert "Running stage 'check'" in out and "Running stage 'sample'" in out
    for stage in ("scrape", "clean", "window", "train"):
        assert f"Running stage '{stage}'" not in out, stage
