"""Editing a module reruns exactly the stages that import it: after a full `dvc repro` of the tiny
sample pipeline in a temporary repo, `dvc status` names exactly those stages, and `dvc repro`
then reruns them (and nothing upstream)."""
import pytest

from app.workspace import run
from processes import dvc, dvc_status
from workspaces import snapshot


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, tiny_workspace):
    return tiny_workspace(tmp_path_factory.mktemp("deps") / "ws")


def changed_stages(workspace) -> set[str]:
    return set(dvc_status(workspace))


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
    """The clean stage (no TensorFlow to start): it reruns, the scrape before it does not, and its
    outputs being the same bytes, nothing after it reruns either."""
    path = workspace / "scrapers/parsers.py"
    original = path.read_text(encoding="utf-8")
    outputs = snapshot(workspace / "data")
    try:
        path.write_text(original + "\n# an edit\n", encoding="utf-8")
        out = dvc(["repro"], workspace).stdout
        assert "Running stage 'clean'" in out
        assert "Running stage 'scrape'" not in out and "Running stage 'window'" not in out, out
        assert snapshot(workspace / "data") == outputs
    finally:
        path.write_text(original, encoding="utf-8")
        run(["git", "checkout", "HEAD", "--", "dvc.lock"], workspace)  # HEAD: core.autostage staged the new one
    assert changed_stages(workspace) == set()
