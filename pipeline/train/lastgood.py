"""The last good run, kept aside while a new one trains, and put back if the new one fails.

In:  the checkpoint directory and DVCLive's directory of the `train` stage.
Out: `<checkpoints>/.last-good/`: a copy of the checkpoint (state.json and the model it names) and
     of DVCLive's `metrics.json`, `plots/` and `samples/` as they were before the run started.
     `restore()` puts them back exactly (absent ones removed; with no earlier checkpoint, the
     failed run's own last good epoch stays) and says which epoch the kept checkpoint holds;
     `discard()` drops the copy once the run has finished.

Why a copy and not a staging directory: an interrupted run (SIGTERM, `dvc repro` killed) must leave
its own checkpoint and curves in place to be resumed, and DVC empties none of these paths, since
they are `persist: true` outputs (so is `models/`, which only a finished run replaces). So the run
writes in place and the copy is taken only when no unfinished attempt left one: after an
interruption the copy still holds the last run that finished, which is what a failure of the resumed
attempt goes back to. A copy that no longer applies (the checkpoint is neither the copied one nor
the attempt's, e.g. after `dvc checkout` of another run) is taken anew.
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
ATTEMPT = "attempt.json"  # the fingerprint of the run that took the copy


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

    def _left_by_an_attempt(self) -> bool:
        """Whether the copy there was left by an attempt that did not finish, and still applies: the
        checkpoint is still the copied one, or one that attempt saved. Otherwise (e.g. `dvc checkout`
        of another run since) the copy is stale."""
        if not (self.kept / ATTEMPT).is_file():
            return False
        state = self.checkpoints / STATE
        if not state.exists():
            return not (self.kept / "checkpoints" / STATE).exists()
        if (self.kept / "checkpoints" / STATE).exists() and \
                state.read_bytes() == (self.kept / "checkpoints" / STATE).read_bytes():
            return True
        try:
            return json.loads(state.read_text(encoding="utf-8"))["fingerprint"] == \
                json.loads((self.kept / ATTEMPT).read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError):
            return False

    def snapshot(self, current: dict) -> None:
        """Copy the current checkpoint and curves aside, for the run with fingerprint `current`, unless
        an attempt that did not finish left a copy that still applies."""
        if self._left_by_an_attempt():
            return
        shutil.rmtree(self.kept, ignore_errors=True)
        staging = self.checkpoints / f"{KEPT}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        for name in self._model_files(self.checkpoints):
            _replace(self.checkpoints / name, staging / "checkpoints" / name)
        for name in LIVE_FILES:
            _replace(self.live_dir / name, staging / "live" / name)
        staging.mkdir(parents=True, exist_ok=True)
        (staging / ATTEMPT).write_text(json.dumps(current), encoding="utf-8")
        os.replace(staging, self.kept)  # the copy is complete or absent, never half there

    def restore(self) -> str:
        """Put the copy back and drop it; what is kept, in words. With no earlier checkpoint to
        protect, the failed run's own last good epoch stays instead, to look into."""
        if not (self.kept / "checkpoints" / STATE).exists():
            shutil.rmtree(self.kept)
            return self.describe()
        for name in set(self._model_files(self.checkpoints)) | set(self._model_files(self.kept / "checkpoints")):
            _replace(self.kept / "checkpoints" / name, self.checkpoints / name)
        for name in LIVE_FILES:
            _replace(self.kept / "live" / name, self.live_dir / name)
        shutil.rmtree(self.kept)
        return self.describe()

    def describe(self) -> str:
        state = self.checkpoints / STATE
        if not state.exists():
            return f"No checkpoint is kept: there was no good epoch to keep in {self.checkpoints}/."
        done = json.loads(state.read_text(encoding="utf-8"))
        where = f"after epoch {done['epochs_done']}" + (f", batch {done['batches_done']} of the next"
                                                        if done["batches_done"] else "")
        return (f"The checkpoint {where} is kept in {self.checkpoints}/, with its curves and samples in "
                f"{self.live_dir}/, and the last finished run's model in models/.")

    def discard(self) -> None:
        shutil.rmtree(self.kept, ignore_errors=True)
