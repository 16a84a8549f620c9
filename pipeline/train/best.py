"""The best epoch of a run: which checkpoint's model `train.keep` publishes.

In:  the checkpoint directory (`checkpoint.py`: state.json's `best` record) and, after each epoch's
     checkpoint, its `eval/nats_per_char`.
Out: `mark_best(directory, nats)`: the epoch becomes the run's best when its figure is the lowest
     yet (its model file is then kept while later epochs are saved); `kept_model(directory, keep)`:
     the model file to publish, the best epoch's (`keep: best`, as nanoGPT keeps its best
     checkpoint) or the last's, and the best epoch's record when that is the one.
"""
from __future__ import annotations

from pathlib import Path

from common.windows import file_sha256
from pipeline.train.checkpoint import load_state, raw_state, unusable, write_state


def mark_best(directory: Path, nats_per_char: float) -> None:
    """After an epoch's checkpoint: if its `eval/nats_per_char` is the run's lowest so far, it becomes the
    checkpoint's `best` (its model file is kept while later epochs are saved). Reads the state.json
    `checkpoint.save` has just written, without checking its files' hashes again."""
    state = raw_state(directory)
    best = state.get("best")
    if best is not None and not nats_per_char < best["nats_per_char"]:
        return
    state["best"] = {"model": state["model"], "model_sha256": state["model_sha256"],
                     "epochs_done": state["epochs_done"], "nats_per_char": nats_per_char}
    write_state(Path(directory), state)


def kept_model(directory: Path, keep: str) -> tuple[Path, dict | None]:
    """The checkpoint's model file that `train.keep` publishes, and the best epoch's record if that is
    the one (`keep: best` with a validation text); the last epoch's file otherwise."""
    state = load_state(directory)
    best = state.get("best") if keep == "best" else None
    if best is None:
        return Path(directory) / state["model"], None
    path = Path(directory) / best["model"]
    if not path.is_file() or file_sha256(path) != best["model_sha256"]:
        raise unusable(path, "the best epoch's model is missing or does not match the sha256 in state.json")
    return path, best
