"""Training checkpoints: save after every epoch, and decide whether a rerun may resume from one.

In:  a checkpoint directory (the `train` stage's `persist: true` output `checkpoints/`), the
     model and optimizer, and a fingerprint of the run (the `train` params and the data).
Out: `checkpoints/model.keras` (weights and optimizer state) and `checkpoints/state.json`
     (`{"epochs_done", "fingerprint", "interrupted"}`), written atomically; `resume_point()` says
     how many epochs a rerun can skip, or why it must start fresh.

A rerun resumes only when everything that shapes the result is unchanged: the params other than
`epochs` (so more epochs extend a finished run) and the windows and vocabulary it trains on.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import keras

from common.settings import TrainSettings, json_ready

# Changing these makes a model of another shape: its weights cannot be loaded at all.
SHAPE_KEYS = ("hidden_units", "layers", "embedding", "vocab_sha256")
# Not part of what a run computes, so a change does not stop a resume.
FREE_KEYS = ("epochs", "sample_every", "sample_temperatures", "sample_length", "strategy", "jit_compile")


def fingerprint(settings: TrainSettings, windows_meta: dict) -> dict:
    """What must match for a checkpoint to be resumed: train params but epochs, and the data."""
    shards = [s.get("sha256", s["bytes"]) for split in windows_meta["splits"].values() for s in split["shards"]]
    kept = {key: value for key, value in json_ready(settings).items() if key not in FREE_KEYS}
    return {**kept, "vocab_sha256": windows_meta["vocab_sha256"], "step": windows_meta["step"],
            "windows": shards}


def load_state(directory: Path) -> dict | None:
    try:
        return json.loads((Path(directory) / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def resume_point(directory: Path, current: dict) -> tuple[int, str]:
    """(epochs already done, message) for a run with fingerprint `current`; 0 means start fresh."""
    directory = Path(directory)
    state = load_state(directory)
    if state is None or not (directory / "model.keras").exists():
        return 0, "no checkpoint: training from scratch"
    previous = state["fingerprint"]
    changed = sorted(key for key in set(previous) | set(current) if previous.get(key) != current.get(key))
    if changed:
        shape = [key for key in changed if key in SHAPE_KEYS]
        why = (f"the model's shape changed ({', '.join(shape)})" if shape
               else f"{', '.join(changed)} changed")
        return 0, f"checkpoint in {directory} not resumed: {why}; training from scratch"
    done = state["epochs_done"]
    note = " (it was interrupted mid-epoch; that epoch is redone)" if state.get("interrupted") else ""
    return done, f"resuming from the checkpoint in {directory} after epoch {done}{note}"


def save(directory: Path, model: keras.Model, epochs_done: int, current: dict, *, interrupted: bool = False) -> None:
    """Write the model (with optimizer state) and state.json; a crash mid-save keeps the old pair."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / ".model.keras.tmp.keras"
    model.save(temporary)
    os.replace(temporary, directory / "model.keras")
    state = {"epochs_done": epochs_done, "interrupted": interrupted, "fingerprint": current}
    (directory / ".state.json.tmp").write_text(json.dumps(state, indent=1) + "\n", encoding="utf-8")
    os.replace(directory / ".state.json.tmp", directory / "state.json")


def load_model(directory: Path) -> keras.Model:
    return keras.models.load_model(Path(directory) / "model.keras")
