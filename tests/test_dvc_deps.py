"""Editing a module reruns exactly the stages that import it: after a full `dvc repro` of the tiny
sample pipeline in a temporary repo, `dvc status` names exactly those stages, and `dvc repro`
then reruns them (and nothing upstream)."""
import json
import subprocess

import pytest

from pipeline.workspace import commit_all, dvc, prepare_workspace

TINY = {"scrape.source": "sample", "scrape.delay": 0.0, "scrape.limit": 2, "train.hidden_units": 8,
        "train.epochs": 1, "train.batch_size": 256, "train.sample_every": 0, "sample.length": 10,
        "sample.temperatures": [0]}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, project_root):
    dest = prepare_workspace(project_root, tmp_path_factory.mktemp("deps") / "ws", TINY)
    dvc(["repro"], dest, capture=True)
    commit_all(dest, "baseline run")
    return dest


def changed_stages(workspace) -> set[str]:
    return set(json.loads(dvc(["status", "--json"], workspace, capture=True).stdout))


@pytest.mark.parametrize("module, stages", [
    ("pipeline/window/write.py", {"window"}),            # only the window stage imports it
    ("pipeline/train/baselines.py", {"train"}),          # only the train stage imports it
    ("common/windows.py", {"window", "train"}),          # the windows format: written by one, read by the other
    ("scrapers/markup.py", {"scrape", "clean"}),         # the parsers' HTML reader: the crawl checks pages with them
    ("common/model.py", {"train", "sample"}),
])
def test_editing_a_module_changes_exactly_the_stages_that_import_it(workspace, module, stages):
    assert changed_stages(workspace) == set()
    path = workspace / module
    original = path.read_text(encoding="utf-8")
    try:
        path.write_text(original + "\n# an edit\n", encoding="utf-8")
        assert changed_stages(workspace) == stages
    finally:
        path.write_text(original, encoding="utf-8")
    assert changed_stages(workspace) == set()


def test_repro_after_an_edit_reruns_the_stage_that_imports_it(workspace):
    path = workspace / "pipeline/window/write.py"
    original = path.read_text(encoding="utf-8")
    try:
        path.write_text(original + "\n# an edit\n", encoding="utf-8")
        out = dvc(["repro"], workspace, capture=True).stdout
        assert "Running stage 'window'" in out
        assert "Running stage 'scrape'" not in out and "Running stage 'clean'" not in out
    finally:
        path.write_text(original, encoding="utf-8")
        subprocess.run(["git", "checkout", "--", "dvc.lock"], cwd=workspace, check=True)
        dvc(["checkout"], workspace, capture=True)
