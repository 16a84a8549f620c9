"""The last good run, kept aside while a new one trains, and put back if the new one fails or is left.

In:  the checkpoint directory and DVCLive's directory of the `train` stage, and the fingerprint of
     the run about to train (`fingerprint.py`).
Out: `<checkpoints>/.last-good/`: a copy of the checkpoint as it was before the run started
     (state.json and the model and history it names, `checkpoint.py`), of DVCLive's files, and
     `attempt.json`, the fingerprint of the latest run that trained while the copy was kept.
     `set_aside(current)`: `snapshot` then `take_back`, before the run reads its resume point;
     `with put_back_on_failure():` around the training: `restore()` if it fails, `discard()` if it
     finishes, nothing if it is interrupted (its checkpoint stays, to be resumed).
     `take_back(current)`: when the checkpoint in place belongs to another run than `current` and
     the copy to this one (params put back after an abandoned or killed run), the copy is put back;
     `restore()`: after a failure, the copy put back and dropped (with no earlier checkpoint, the
     failed run's own last good epoch stays), and which epoch the kept checkpoint holds, in words;
     `discard()`: the copy dropped once the run has finished.

Why a copy and not a staging directory: an interrupted run (SIGTERM, `dvc repro` killed) must leave
its own checkpoint and curves in place to be resumed, and DVC empties none of these paths, since
they are `persist: true` outputs (so is `models/`, which only a finished run replaces). So the run
writes in place and the copy is taken only when no unfinished attempt left one: after an
interruption, or a kill -9 at any point, the copy still holds the last run that finished, which is
what a failure of a later attempt, or going back to that run's params, puts back. Every step writes
under a temporary name and commits with one rename (the checkpoint's state.json, the copy's folder),
so a kill during the copy or the restore leaves either the old or the new state, and the next run
finishes the job. A copy that no longer applies (the checkpoint is neither the copied one nor an
attempt's, e.g. after `dvc checkout` of another run) is taken anew.
`.dvcignore` lists `.last-good`, so the copy is never part of the cached `checkpoints/` output.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

from pipeline.train import history
from pipeline.train.callbacks import Interrupted, NonFiniteLoss
from pipeline.train.checkpoint import STATE, named_files, raw_state, write_state

KEPT = ".last-good"
ATTEMPT = "attempt.json"


class LastGood:
    def __init__(self, checkpoints: Path, live_dir: Path):
        self.checkpoints, self.live_dir = Path(checkpoints), Path(live_dir)
        self.kept = self.checkpoints / KEPT

    def _applies(self) -> bool:
        """Whether the copy there still applies: the checkpoint is the copied one, or one saved by an
        attempt made while the copy was kept. Otherwise (e.g. `dvc checkout` of another run since)
        it is stale."""
        if not (self.kept / ATTEMPT).is_file():
            return False
        state, kept = raw_state(self.checkpoints), raw_state(self.kept / "checkpoints")
        if state is None:
            return kept is None
        if state == kept:
            return True
        try:
            return state.get("fingerprint") == json.loads((self.kept / ATTEMPT).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False

    def set_aside(self, current: dict) -> None:
        """Before the run with fingerprint `current` clears or overwrites a file of the last good run:
        copy it aside, and put it back if an abandoned attempt with other params replaced it."""
        self.snapshot(current)
        taken_back = self.take_back(current)
        if taken_back:
            print(taken_back, flush=True)

    @contextmanager
    def put_back_on_failure(self):
        """Around the training: a run that fails puts the last good one back (and says so: in the
        error of a non-finite loss, else on stderr); one that finishes drops the copy. An interrupted
        run's checkpoint and curves stay, to be resumed."""
        try:
            yield
        except (Interrupted, KeyboardInterrupt):
            raise
        except NonFiniteLoss as error:
            raise NonFiniteLoss(f"{error} {self.restore()}") from None
        except BaseException:
            print(f"train: the run failed. {self.restore()}", file=sys.stderr, flush=True)
            raise
        self.discard()

    def snapshot(self, current: dict) -> None:
        """Copy the checkpoint and curves aside before the run with fingerprint `current` trains,
        unless a copy taken before an unfinished attempt still applies (then it now names this one)."""
        if self._applies():
            (self.kept / f"{ATTEMPT}.tmp").write_text(json.dumps(current), encoding="utf-8")
            os.replace(self.kept / f"{ATTEMPT}.tmp", self.kept / ATTEMPT)
            return
        staging = self.checkpoints / f"{KEPT}.tmp"
        history.remove(staging)
        state = raw_state(self.checkpoints) or {}  # a damaged one is copied as it is, for the error to name
        for name in [STATE, *named_files(state)]:
            history.replace(self.checkpoints / name, staging / "checkpoints" / name)
        for name in history.LIVE_FILES:
            history.replace(self.live_dir / name, staging / "live" / name)
        staging.mkdir(parents=True, exist_ok=True)
        (staging / ATTEMPT).write_text(json.dumps(current), encoding="utf-8")
        history.remove(self.kept)
        os.replace(staging, self.kept)  # the copy is complete or absent, never half there

    def take_back(self, current: dict) -> str | None:
        """Put the copy back when it holds the run with fingerprint `current` and the checkpoint in
        place does not (an attempt with other params was abandoned); what was done, in words."""
        state, kept = raw_state(self.checkpoints), raw_state(self.kept / "checkpoints")
        if kept is None or kept.get("fingerprint") != current or (state or {}).get("fingerprint") == current:
            return None
        self._put_back(kept)
        return (f"checkpoint in {self.checkpoints} belongs to an unfinished run with other params: putting back "
                f"the last finished run's, kept in {self.kept}/")

    def _put_back(self, kept: dict) -> None:
        """The copied checkpoint, then its curves, in place; files first, state.json last (the commit)."""
        for name in named_files(kept):
            if not (self.checkpoints / name).exists():  # named by content: an existing one is the same
                history.replace(self.kept / "checkpoints" / name, self.checkpoints / name)
        write_state(self.checkpoints, kept, (self.kept / "checkpoints" / STATE).read_text(encoding="utf-8"))
        self._put_back_curves(kept)

    def _put_back_curves(self, state: dict | None) -> None:
        if state is not None and state.get("live"):
            history.put_back(self.checkpoints / state["live"], self.live_dir)
        elif (self.kept / "live").is_dir():  # a checkpoint from before histories were kept with it
            history.put_back(self.kept / "live", self.live_dir)

    def restore(self) -> str:
        """Put the copy back and drop it; what is kept, in words. With no earlier checkpoint to
        protect, the failed run's own last good epoch stays instead, with its curves, to look into."""
        kept = raw_state(self.kept / "checkpoints")
        if kept is not None:
            self._put_back(kept)
        else:
            state = raw_state(self.checkpoints)
            if state is not None and state.get("live"):
                history.put_back(self.checkpoints / state["live"], self.live_dir)
        shutil.rmtree(self.kept, ignore_errors=True)
        return self.describe()

    def describe(self) -> str:
        done = raw_state(self.checkpoints)
        if done is None:
            return f"No checkpoint is kept: there was no good epoch to keep in {self.checkpoints}/."
        where = f"after epoch {done['epochs_done']}" + (f", batch {done['batches_done']} of the next"
                                                        if done["batches_done"] else "")
        return (f"The checkpoint {where} is kept in {self.checkpoints}/, with its curves and samples in "
                f"{self.live_dir}/, and the last finished run's model in models/.")

    def discard(self) -> None:
        shutil.rmtree(self.kept, ignore_errors=True)
