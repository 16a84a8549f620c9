"""The last good run, kept aside while a new one trains, and put back if the new one fails.

In:  the checkpoint directory and DVCLive's directory of the `train` stage.
Out: `<checkpoints>/.last-good/`: a copy of the checkpoint (state.json and the model it names) and
     of DVCLive's `metrics.json`, `plots/` and `samples/` as they were before the run started.
     `restore()` puts them back exactly (absent ones removed) and says which epoch the kept
     checkpoint holds; `discard()` drops the copy once the run has finished.

Why a copy and not a staging directory: an interrupted run (SIGTERM, `dvc repro` killed) must leave
its own checkpoint and curves in place to be resumed, and DVC empties none of these paths, since
they are `persist: true` outputs (`models/` is not: DVC deletes it before the stage runs, and
`dvc checkout models` puts back the last good one from its cache). So the run writes in place and
the copy is taken only when none is there: after an interruption the copy still holds the run
before the first attempt, which is what a failure of the resumed attempt goes back to.
`.dvcignore` lists `.last-good`, so the copy is never part of the cached `checkpoints/` output.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from pipeline.train.checkpoint import STATE

KEPT = ".last-good"
LIVE_FILES = ("metrics.json", "plots", "samples")


def _replace(source: Path, target: Path) -> None:
    """Make `target` a copy of `source`, or absent when `source` is."""
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()
    if source.is_dir():
        shutil.copytree(source, target)
    elif source.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


class LastGood:
    def __init__(self, checkpoints: Path, live_dir: Path):
        self.checkpoints, self.live_dir = Path(checkpoints), Path(live_dir)
        self.kept = self.checkpoints / KEPT

    def _model_files(self, directory: Path) -> list[str]:
        return [STATE, *sorted(path.name for path in directory.glob("*.keras"))]

    def snapshot(self) -> None:
        """Copy the current checkpoint and curves aside, unless an interrupted attempt left a copy."""
        if self.kept.is_dir():
            return
        staging = self.checkpoints / f"{KEPT}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        for name in self._model_files(self.checkpoints):
            _replace(self.checkpoints / name, staging / "checkpoints" / name)
        for name in LIVE_FILES:
            _replace(self.live_dir / name, staging / "live" / name)
        staging.mkdir(parents=True, exist_ok=True)
        os.replace(staging, self.kept)  # the copy is complete or absent, never half there

    def restore(self) -> str:
        """Put the copy back and drop it; what is kept, in words."""
        for name in set(self._model_files(self.checkpoints)) | set(self._model_files(self.kept / "checkpoints")):
            _replace(self.kept / "checkpoints" / name, self.checkpoints / name)
        for name in LIVE_FILES:
            _replace(self.kept / "live" / name, self.live_dir / name)
        shutil.rmtree(self.kept)
        return self.describe()

    def describe(self) -> str:
        state = self.checkpoints / STATE
        if not state.exists():
            return (f"There was no earlier run: {self.checkpoints}/ and {self.live_dir}/ are left without a "
                    "checkpoint or curves.")
        done = json.loads(state.read_text(encoding="utf-8"))
        where = f"after epoch {done['epochs_done']}" + (f", batch {done['batches_done']} of the next"
                                                        if done["batches_done"] else "")
        return (f"The last good run is kept: the checkpoint {where} in {self.checkpoints}/, with its curves and "
                f"samples in {self.live_dir}/ (`dvc checkout models` puts back its model).")

    def discard(self) -> None:
        shutil.rmtree(self.kept, ignore_errors=True)
