"""Training checkpoints: the model with its optimizer, and exactly where in the run it stands.

In:  a checkpoint directory (the `train` stage's output `checkpoints/`, cached by DVC and
     `persist: true`), the model, its position and the run's fingerprint (`fingerprint.py`).
Out: `checkpoints/model-<epochs>-<batches>-<sha256[:12]>.keras` (weights and optimizer state, at that
     position), `checkpoints/live-<sha256[:16]>/` (the run's DVCLive files at that point, `history.py`)
     and `checkpoints/state.json`: `{"epochs_done", "batches_done", "iterations", "model",
     "model_sha256", "live", "live_sha256", "fingerprint", "random_states", "metric_states", "best",
     "carried_states"}`,
     where `batches_done` counts the batches of epoch `epochs_done + 1` already trained (0 at an epoch's
     end), and `best` is the epoch with the lowest `eval/nats_per_char` so far (`{"model", "model_sha256",
     "epochs_done", "nats_per_char"}`; its model file is kept, `best.py`), the model `train.keep: best`
     publishes. `resume_point()` says where a rerun starts, or why from scratch.

`metric_states` are the running sums of the training metrics (loss, last_loss, ...) in the epoch
so far, put back when a mid-epoch checkpoint resumes, so the epoch cut in two logs the mean over all
its batches, as the uninterrupted run does; `carried_states`, the LSTM state a `train.carry_state`
run carries from batch to batch at that point (`streams.py`). `random_states` are the values of the model's variables that a `.keras` file does not keep: the
states of its seed generators, from which dropout draws each batch's mask. Without them a resumed
run would replay the masks from the start and end with other weights than the uninterrupted run.

The state file is the commit point: the model file and history it names are written first, so
replacing state.json (one atomic rename) switches model, history and position together; older ones
are removed after. Files are named by their content, so putting back an earlier checkpoint
(`lastgood.py`) never overwrites a file the current state.json names. A state, model or history that
cannot be read is a `CheckpointError` naming the file, never a silent fresh start.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

import common.model  # noqa: F401  (registers the custom layer and metrics that load_model() needs)
from common.knobs import flagged
from common.settings import TrainSettings
from common.windows import file_sha256
from pipeline.train import history, streams

STATE = "state.json"
# Changing these makes a model of another shape (`shape=True` on the knobs' declarations, and the
# vocabulary): its weights cannot be loaded at all.
SHAPE_KEYS = (*flagged(TrainSettings, "shape"), "vocab_sha256")


class CheckpointError(RuntimeError):
    """A checkpoint that exists but cannot be used; the message names the file and what to do."""


@dataclass(frozen=True)
class Resume:
    epochs_done: int
    batches_done: int
    message: str
    metric_states: tuple = ()  # the running means of the epoch a mid-epoch checkpoint cut in two
    live: str | None = None    # the folder of the checkpoint's DVCLive history

    @property
    def fresh(self) -> bool:
        return self.epochs_done == 0 and self.batches_done == 0


def unusable(path: Path, why: str) -> CheckpointError:
    return CheckpointError(f"{path}: {why}. The checkpoint cannot be resumed; delete {path.parent}/ to train "
                           "from scratch (or restore it with `dvc checkout`).")


def random_state_variables(model: keras.Model) -> list:
    """The variables of `model` that are not among its weights (which the .keras file saves): the
    seed generators' states, in the model's own order."""
    weights = {id(weight) for weight in model.weights}
    return [variable for variable in model.variables if id(variable) not in weights]


def load_state(directory: Path) -> dict | None:
    """state.json checked for its fields and its model file; None when there is no checkpoint."""
    path = Path(directory) / STATE
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        fields = (state["epochs_done"], state["batches_done"], state["iterations"], state["model"],
                  state["model_sha256"], state["fingerprint"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise unusable(path, f"unreadable ({type(error).__name__}: {error})") from None
    if not all(isinstance(value, int) and value >= 0 for value in fields[:3]) or not isinstance(fields[5], dict):
        raise unusable(path, "its position or fingerprint is malformed")
    if not all(isinstance(state.setdefault(key, []), list) for key in ("random_states", "metric_states",
                                                                       "carried_states")):
        raise unusable(path, "its random_states, metric_states or carried_states are malformed")
    model = Path(directory) / state["model"]
    if not model.is_file():
        raise unusable(model, "missing, though state.json names it")
    if file_sha256(model) != state["model_sha256"]:
        raise unusable(model, "its content does not match the sha256 in state.json (truncated or corrupt)")
    best = state.setdefault("best", None)
    if best is not None and not (isinstance(best, dict) and isinstance(best.get("model"), str)
                                 and isinstance(best.get("nats_per_char"), (int, float))):
        raise unusable(path, "its best epoch's record is malformed")
    if state.setdefault("live", None) is not None:
        live = Path(directory) / str(state["live"])
        if not live.is_dir():
            raise unusable(live, "missing, though state.json names it")
        if history.tree_sha256(live) != state.get("live_sha256"):
            raise unusable(live, "its content does not match the sha256 in state.json (truncated or corrupt)")
    return state


def resume_point(directory: Path, current: dict, epochs: int) -> Resume:
    """Where a run with fingerprint `current` and `epochs` epochs starts: a checkpoint of the same run
    no further than `epochs`, or the beginning."""
    directory = Path(directory)
    state = load_state(directory)
    if state is None:
        return Resume(0, 0, "no checkpoint: training from scratch")
    previous = state["fingerprint"]
    changed = sorted(key for key in set(previous) | set(current) if previous.get(key) != current.get(key))
    if changed:
        shape = [key for key in changed if key in SHAPE_KEYS]
        why = f"the model's shape changed ({', '.join(shape)})" if shape else f"{', '.join(changed)} changed"
        return Resume(0, 0, f"checkpoint in {directory} not resumed: {why}; training from scratch")
    done, batches = state["epochs_done"], state["batches_done"]
    if done > epochs or (done == epochs and batches):
        return Resume(0, 0, f"checkpoint in {directory} holds {done} epochs, more than train.epochs = {epochs}; "
                            "training those from scratch")
    where = f"after epoch {done}" if not batches else f"in epoch {done + 1}, after batch {batches}"
    return Resume(done, batches, f"resuming from the checkpoint in {directory} {where}",
                  tuple(state["metric_states"]) if batches else (), state["live"])


def save(directory: Path, model: keras.Model, epochs_done: int, batches_done: int, current: dict,
         live_dir: Path | None = None) -> None:
    """Write the model and the DVCLive history in `live_dir`, then commit them with their position by
    replacing state.json; drop older ones."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    iterations = int(model.optimizer.iterations.numpy())
    temporary = directory / ".model.tmp.keras"
    model.save(temporary)
    digest = file_sha256(temporary)
    # by position (under float16 loss scaling two saves can have the same step count) and content
    name = f"model-{epochs_done:05d}-{batches_done:09d}-{digest[:12]}.keras"
    os.replace(temporary, directory / name)
    live, live_sha256 = history.keep(live_dir, directory) if live_dir is not None else (None, None)
    previous = raw_state(directory) or {}
    # The best so far of the same run only: a fresh start (other params, or fewer epochs than the one
    # there) has other params or has taken fewer steps than it.
    same_run = previous.get("fingerprint") == current and previous.get("iterations", iterations) < iterations
    best = previous.get("best") if same_run else None
    state = {"epochs_done": epochs_done, "batches_done": batches_done, "iterations": iterations,
             "model": name, "model_sha256": digest, "live": live, "live_sha256": live_sha256,
             "fingerprint": current,
             "random_states": [variable.numpy().tolist() for variable in random_state_variables(model)],
             "metric_states": [variable.numpy().tolist() for variable in model.metrics_variables], "best": best,
             "carried_states": streams.carried_states(model) if batches_done else []}
    write_state(directory, state)


def raw_state(directory: Path) -> dict | None:
    """state.json as it is, unchecked (None if absent or not a JSON object): for a copy, or a file this
    process has just written."""
    try:
        state = json.loads((Path(directory) / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def named_files(state: dict) -> list[str]:
    """The files of the checkpoint directory that `state` names: the model, the history, the best model."""
    best = state.get("best") if isinstance(state.get("best"), dict) else {}
    return [name for name in (state.get("model"), state.get("live"), best.get("model")) if isinstance(name, str)]


def keep_final_history(directory: Path, live_dir: Path) -> None:
    """Keep with the checkpoint the history as the finished run leaves it (DVCLive writes the summary,
    with the baselines, only when the run ends)."""
    state = load_state(directory)
    state["live"], state["live_sha256"] = history.keep(live_dir, Path(directory))
    write_state(Path(directory), state)


def write_state(directory: Path, state: dict, text: str | None = None) -> None:
    """Commit `state` (its model and history already in `directory`; `text`: its file's exact text, when
    putting back a copy), then remove what it does not name."""
    text = json.dumps(state, indent=1) + "\n" if text is None else text
    (directory / f".{STATE}.tmp").write_text(text, encoding="utf-8")
    os.replace(directory / f".{STATE}.tmp", directory / STATE)
    named = named_files(state)
    for stale in [*directory.glob("*.keras"), *directory.glob(f"{history.PREFIX}*"), *directory.glob(".*.tmp*")]:
        if stale.name not in named:
            history.remove(stale)


def restore_metrics(model: keras.Model, values: tuple) -> None:
    """Add the running sums of the training metrics a mid-epoch checkpoint saved to the model's, after
    the first batch of the resumed epoch (Keras builds a loaded model's metrics only then). Each of
    our metrics is a (total, count) mean, and float addition commutes, so the sums become exactly
    those of the uninterrupted epoch."""
    variables = model.metrics_variables
    if len(values) != len(variables):
        raise CheckpointError(f"the checkpoint holds {len(values)} metric states where the model has "
                              f"{len(variables)}; delete checkpoints/ to train from scratch.")
    for value, variable in zip(values, variables):
        variable.assign(np.asarray(variable.numpy()) + np.asarray(value, dtype=variable.dtype))


def load_model(directory: Path) -> keras.Model:
    """The checkpointed model with its optimizer state (load_state() has checked the file)."""
    state = load_state(directory)
    path = Path(directory) / state["model"]
    try:
        model = keras.models.load_model(path)
    except Exception as error:  # Keras raises many kinds for a damaged archive
        raise unusable(path, f"Keras cannot load it ({type(error).__name__}: {error})") from None
    # Keras only warns when it skips an optimizer's state (a float16 checkpoint loaded outside its
    # policy gets a plain optimizer with zero moments): a resume from it would silently differ.
    loaded = int(model.optimizer.iterations.numpy())
    if loaded != state["iterations"]:
        raise unusable(path, f"its optimizer state did not load (step {loaded}, saved at step {state['iterations']})")
    variables = random_state_variables(model)
    saved = state["random_states"]
    if len(saved) != len(variables) or any(np.shape(value) != tuple(variable.shape)
                                           for value, variable in zip(saved, variables)):
        raise unusable(Path(directory) / STATE, f"it holds {len(saved)} random states where the model has "
                                                 f"{len(variables)}")
    for value, variable in zip(saved, variables):
        variable.assign(np.asarray(value, dtype=variable.dtype))
    if state.get("carried_states"):  # the streams' LSTM state, in the middle of an epoch
        try:
            streams.put_back(model, state["carried_states"])
        except (ValueError, TypeError) as error:
            raise unusable(Path(directory) / STATE, str(error)) from None
    return model
