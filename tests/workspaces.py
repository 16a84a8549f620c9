"""Tiny offline DVC workspaces for the end-to-end tests: the pipeline runs once a session, each test gets a copy.

In:  the project directory, a folder for the session's builds, and per copy: a destination, param overrides,
     the last stage that has run (`until`), and whether `core.autostage` is on (as in the demo) or off (as in
     a plain clone of the project).
Out: at the destination, a git + DVC repository (app/workspace.py's `prepare_workspace`) of the small
     offline pipeline (TINY) in which `dvc repro <until>` has run and everything is committed: `dvc status`
     is clean. With overrides, params.yaml carries them too (committed), and the stages that read them are
     due to rerun. Also: `snapshot` (every file's bytes, to compare before and after) and the README's own
     way back from an experiment, as commands.

A copy is a whole repository, `.git` and `.dvc/cache` included, so DVC and git treat it as the original
(DVC's cache links files by copying, so the outputs do not point into the original). Only `.dvc/tmp`, the
original's locks and DVC's per-path state, is left behind.
"""
from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import sys
from pathlib import Path

from app.workspace import commit_all, prepare_workspace
from common.presets import OFFLINE
from processes import dvc

# The small pipeline: two episodes of the bundled site, an 8-cell model, two epochs and a constant learning
# rate (so a shorter experiment starts over, and a longer one resumes: under the default cosine schedule
# the epochs shape the schedule and any change starts over), a preview per epoch, samples at two temperatures.
TINY = {**OFFLINE, "scrape.limit": 2, "train.hidden_units": 8,
        "train.epochs": 2, "train.batch_size": 256, "train.lr_schedule": "constant", "train.preview_every": 1,
        "sample.length": 10, "sample.temperatures": [0, 1.0]}
STAGES = ["check", "scrape", "clean", "window", "train", "sample"]
# git's and DVC's own books (an experiment or a queue writes there by design), and the trainer's lock file
# (the PID of its last holder; .dvcignore keeps it out of the checkpoints output)
BOOKS = (".git", ".dvc/tmp", ".dvc/cache", "checkpoints/.lock")


def copy_repo(source: Path, dest: Path) -> Path:
    """A copy of a workspace, without DVC's locks and per-path state in `.dvc/tmp`."""
    def leave_tmp(folder, names):
        if Path(folder) == source:
            return [".built"]
        return ["tmp"] if Path(folder) == source / ".dvc" else []

    shutil.copytree(source, dest, symlinks=True, ignore=leave_tmp)
    return dest


class TinyWorkspaces:
    """`factory(dest, overrides, until=..., autostage=...)`: a fresh copy of a built tiny workspace."""

    def __init__(self, project: Path, store: Path):
        self.project, self.store = Path(project), Path(store)

    def _build(self, until: str) -> Path:
        """The build that ran up to `until`, made once for all the session's processes (pytest-xdist's
        workers share `store`; a lock lets one build while the others wait)."""
        from filelock import FileLock  # DVC's own dependency

        self.store.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.store / ".lock")):
            built = {stage: self.store / stage for stage in STAGES if (self.store / stage / ".built").exists()}
            if until not in built:
                dest = self.store / until
                shutil.rmtree(dest, ignore_errors=True)  # a build that a killed process left half done
                earlier = [stage for stage in built if STAGES.index(stage) < STAGES.index(until)]
                if earlier:  # go on from the furthest build there is: the stages before are not run again
                    copy_repo(built[max(earlier, key=STAGES.index)], dest)
                else:
                    prepare_workspace(self.project, dest, TINY)
                dvc(["repro", until], dest)
                commit_all(dest, f"tiny pipeline up to {until}")
                (dest / ".built").touch()  # untracked, and left out of every copy
        return self.store / until

    def __call__(self, dest: Path, overrides: dict | None = None, *, until: str = "sample",
                 autostage: bool = True) -> Path:
        if until not in STAGES:
            raise ValueError(f"until={until!r}: one of {STAGES}")
        dest = copy_repo(self._build(until), Path(dest))
        if overrides:
            prepare_workspace(self.project, dest, {**TINY, **overrides})  # rewrites params.yaml, commits
        if not autostage:
            dvc(["config", "--unset", "core.autostage"], dest)
            commit_all(dest, "no core.autostage, as in a clone of the project")
        return dest


def snapshot(root: Path, skip: tuple[str, ...] = BOOKS) -> dict[str, str]:
    """Every file under `root` (but `skip`) with a hash of its bytes, or of its target for a symlink."""
    files = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if any(name == s or name.startswith(s + "/") for s in skip) or path.is_dir() and not path.is_symlink():
            continue
        data = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
        files[name] = hashlib.sha256(data).hexdigest()
    return files


def readme_way_back(project: Path) -> list[list[str]]:
    """The README's commands for going back from an experiment, each as argv (`dvc` run by this Python)."""
    readme = (Path(project) / "README.md").read_text(encoding="utf-8")
    found = re.search(r"going back from an experiment\s+\(`([^`]+)`", readme)
    assert found, "README.md no longer says how to go back from an experiment: '(`...`' after that phrase"
    commands = [shlex.split(part) for part in found.group(1).split("&&")]
    return [[sys.executable, "-m", "dvc", *argv[1:]] if argv[0] == "dvc" else argv for argv in commands]
