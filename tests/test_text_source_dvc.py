"""`scrape.source: text` under real DVC, in a temporary git repo: dvc.yaml's `${scrape.text.path}` dep
makes DVC hash the user's files, so editing one makes `dvc status` name the scrape stage and
`dvc repro` rerun scrape and clean; `dvc exp run -S scrape.text.path=...` follows the new path (the
bundled tiny Shakespeare, which the workspace must carry for the default params to work)."""
import json
import subprocess

import pytest

from app.workspace import commit_all, prepare_workspace
from processes import dvc, dvc_status

# Original lines, one file each, every letter of the names in every file (so that no character is
# dropped for being in val only); val_fraction 0.5 so that both splits hold whole files.
FILES = {f"{name}.txt": f"A {name} note on the fridge, pinned by a magnet:\nbuy {name} bread, wax, quinces "
                        f"and jam; water the {name} plant.\n" for name in ("north", "south", "east", "west")}
TEXT = {"scrape.source": "text", "scrape.text.path": "texts/mine", "scrape.text.pattern": "*.txt",
        "clean.min_char_count": 0, "clean.val_fraction": 0.5}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, project_root):
    dest = prepare_workspace(project_root, tmp_path_factory.mktemp("text") / "ws", TEXT)
    for name, text in FILES.items():
        (dest / "texts/mine").mkdir(parents=True, exist_ok=True)
        (dest / "texts/mine" / name).write_text(text, encoding="utf-8")
    dvc(["repro", "clean"], dest)
    commit_all(dest, "text source: first run")
    return dest


def changed(workspace) -> set[str]:
    return set(dvc_status(workspace, ["clean"], with_deps=True))


def corpus(workspace) -> str:
    return "".join((workspace / f"data/corpus/{name}.txt").read_text(encoding="utf-8") for name in ("train", "val"))


def test_the_files_are_recorded_and_make_the_corpus(workspace):
    lock = (workspace / "dvc.lock").read_text()
    assert "path: texts/mine\n" in lock   # ${scrape.text.path} resolved to the params' value, and hashed
    listed = json.loads((workspace / "data/raw/text/files/episodes.json").read_text())
    assert [entry["title"] for entry in listed] == sorted(FILES)
    assert all(text in corpus(workspace) for text in FILES.values())
    assert changed(workspace) == set()


def test_editing_a_file_reruns_scrape_and_clean(workspace):
    path = workspace / "texts/mine/east.txt"
    original = path.read_text(encoding="utf-8")
    try:
        path.write_text(original.replace("bread", "bagels"), encoding="utf-8")
        status = dvc_status(workspace, ["clean"], with_deps=True)
        assert set(status) == {"scrape"}
        assert {"changed deps": {"texts/mine": "modified"}} in status["scrape"]
        out = dvc(["repro", "clean"], workspace).stdout
        assert "Running stage 'scrape'" in out and "Running stage 'clean'" in out
        assert "buy east bagels" in corpus(workspace) and "buy east bread" not in corpus(workspace)
    finally:
        path.write_text(original, encoding="utf-8")
        # HEAD, not the index: core.autostage has staged the new dvc.lock
        subprocess.run(["git", "checkout", "HEAD", "--", "dvc.lock", "data/corpus/stats.json"], cwd=workspace,
                       check=True)
        dvc(["checkout", "--with-deps", "clean"], workspace)
    assert changed(workspace) == set()


def test_exp_run_with_another_path_follows_it(workspace):
    out = dvc(["exp", "run", "clean", "-S", "scrape.text.path=texts/tinyshakespeare.txt",
               "-S", "clean.val_fraction=0.1"], workspace).stdout
    assert "Running stage 'scrape'" in out and "Running stage 'clean'" in out
    assert "path: texts/tinyshakespeare.txt\n" in (workspace / "dvc.lock").read_text()
    text = (workspace / "texts/tinyshakespeare.txt").read_text(encoding="utf-8")
    cut = int(len(text) * 0.9)
    assert (workspace / "data/corpus/train.txt").read_text(encoding="utf-8") == text[:cut]
    assert (workspace / "data/corpus/val.txt").read_text(encoding="utf-8") == text[cut:]
    listed = json.loads((workspace / "data/raw/text/files/episodes.json").read_text())
    assert [entry["title"] for entry in listed] == ["tinyshakespeare.txt"]   # the folder's files are gone
