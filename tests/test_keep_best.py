"""`train.keep`: `models/` gets the best validation epoch's model (`best`, the default) or the last's.

The bugs these catch: the published model is the last epoch's whatever `keep` says; the best
epoch's file is dropped from `checkpoints/` by a later save, so the run fails at the end or
publishes another; a fresh start (here: fewer epochs than the checkpoint there) inherits the
previous run's best and publishes a model this run never trained.
"""
from dataclasses import replace

import keras
import numpy as np

from conftest import TINY_SETTINGS, run_training, write_tiny_windows


class Flatten(keras.callbacks.Callback):
    """At the end of epoch `epoch` (0-based), before it is evaluated, scales the logits layer by 0.3:
    flatter predictions, a worse epoch than the one before."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            for variable in self.model.get_layer("logits").weights:
                variable.assign(variable.numpy() * 0.3)


class Snapshots(keras.callbacks.Callback):
    """Every epoch's weights as evaluated (it runs after Flatten, before the stage's callbacks)."""

    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append([w.copy() for w in self.model.get_weights()])


def logged_nats(root) -> list[float]:
    rows = (root / "dvclive/plots/metrics/eval/nats_per_char.tsv").read_text().splitlines()[1:]
    return [float(row.split("\t")[-1]) for row in rows]


def published_weights(root) -> list:
    return keras.models.load_model(root / "models/model.keras").get_weights()


def same(weights, others) -> bool:
    return all(np.array_equal(a, b) for a, b in zip(weights, others, strict=True))


def train_with_a_worse_last_epoch(root, keep: str, epochs: int = 3) -> tuple[dict, list, list]:
    snapshots = Snapshots()
    summary = run_training(root, replace(TINY_SETTINGS, objective="all", epochs=epochs, keep=keep),
                           callbacks=(Flatten(epochs - 1), snapshots))
    nats = logged_nats(root)
    assert len(nats) == epochs and nats[-1] > min(nats), f"the flattened last epoch was not the worst: {nats}"
    return summary, nats, snapshots.weights


def test_keep_best_publishes_the_best_validation_epochs_model(tmp_path):
    write_tiny_windows(tmp_path)
    summary, nats, snapshots = train_with_a_worse_last_epoch(tmp_path, "best")
    best = int(np.argmin(nats))
    assert same(published_weights(tmp_path), snapshots[best])
    assert summary["kept"] == {"epoch": best + 1, "eval_nats_per_char": nats[best]}


def test_keep_last_publishes_the_last_epochs_model(tmp_path):
    write_tiny_windows(tmp_path)
    summary, nats, snapshots = train_with_a_worse_last_epoch(tmp_path, "last")
    assert same(published_weights(tmp_path), snapshots[-1])
    assert "kept" not in summary


def test_a_fresh_start_does_not_inherit_the_previous_runs_best(tmp_path):
    write_tiny_windows(tmp_path)
    run_training(tmp_path, replace(TINY_SETTINGS, objective="all", epochs=3))
    first_best = min(logged_nats(tmp_path))
    # Fewer epochs than the checkpoint holds: the stage trains those from scratch.
    _, nats, snapshots = train_with_a_worse_last_epoch(tmp_path, "best", epochs=2)
    assert first_best < nats[0], "the longer run's best must beat the new run's first epoch for this test to bite"
    assert same(published_weights(tmp_path), snapshots[0])
