"""`train.carry_state`: truncated backpropagation through time over parallel streams.

The bugs these catch: a batch row that does not continue its stream (rows shuffled, windows skipped or
repeated, streams that overlap); the state not carried between batches, or carried across an epoch's
start; a resumed run that continues its streams from zero (the state is not in a .keras file); a
setting that cannot carry a state (overlapping windows, more streams than windows, several replicas)
trained anyway instead of refused by name.
"""
import subprocess
import sys
from dataclasses import replace

import keras
import numpy as np
import pytest

from conftest import TINY_SETTINGS, TINY_TEXT, run_training, write_tiny_windows
from common.knobs import ParamsError
from pipeline.train.data import Batching, window_dataset
from test_resume import assert_same_run, make_run_dir, run_stage, signalled_at

STREAMS = replace(TINY_SETTINGS, carry_state=True, section_length=12, batch_size=4, objective="all", dropout=0.1)


def test_each_row_continues_its_stream_of_the_text(tmp_path):
    chars = write_tiny_windows(tmp_path, step=12)
    batches = list(window_dataset(tmp_path / "windows", "train", Batching(12, chars, 4, "all", streams=True)))
    ids = np.array([chars.index(c) for c in TINY_TEXT])
    length = (len(ids) - 1) // 12 // 4  # windows per stream
    assert len(batches) == length
    for row in range(4):  # reference: the text cut into 4 equal runs of whole windows, read in order
        start = row * length * 12
        stream = np.concatenate([inputs[row] for inputs, _ in batches])
        targets = np.concatenate([targets[row] for _, targets in batches])
        np.testing.assert_array_equal(stream, ids[start:start + length * 12])
        np.testing.assert_array_equal(targets, ids[start + 1:start + length * 12 + 1])


class Probe(keras.callbacks.Callback):
    """The first LSTM's carried state (its h) at the start of every batch."""

    def __init__(self):
        super().__init__()
        self.states = []

    def on_train_batch_begin(self, batch, logs=None):
        layer = self.model.get_layer("lstm_0")
        self.states.append(np.abs(layer.states[0].numpy()).sum())


def test_the_state_is_carried_between_batches_and_reset_at_each_epoch(tmp_path):
    write_tiny_windows(tmp_path, step=12)
    probe = Probe()
    run_training(tmp_path, replace(STREAMS, epochs=2, keep="last"), callbacks=(probe,))
    per_epoch = len(probe.states) // 2
    first, second = probe.states[:per_epoch], probe.states[per_epoch:]
    assert first[0] == 0 and second[0] == 0  # each epoch starts every stream from zero
    assert all(state > 0 for state in first[1:] + second[1:])  # and carries it after


def test_a_resumed_run_continues_its_streams_exactly(tmp_path):
    """SIGTERM in the middle of an epoch, then a rerun: the same weights as the run done in one go."""
    settings = dict(carry_state=True, section_length=12, batch_size=4, objective="all", dropout=0.1, epochs=2)
    straight = make_run_dir(tmp_path / "straight", **settings)
    stepped = make_run_dir(tmp_path / "stepped", **settings)
    for root in (straight, stepped):
        (root / "windows").rename(root / "windows-50")
    for root in (straight, stepped):
        write_tiny_windows(root, step=12)
    assert run_stage(straight).returncode == 0
    interrupted = run_stage(stepped, signalled_at(epoch=0, batch=5))
    assert interrupted.returncode == 130, interrupted.stderr[-2000:]
    resumed = run_stage(stepped)
    assert resumed.returncode == 0 and "in epoch 1, after batch 6" in resumed.stdout, resumed.stderr[-2000:]
    assert_same_run(stepped, straight)


@pytest.mark.parametrize("change, named", [(dict(step=6), "set train.step to train.section_length"),
                                           (dict(batch_size=10_000), "lower train.batch_size")])
def test_windows_that_cannot_form_streams_are_refused_by_name(tmp_path, change, named):
    write_tiny_windows(tmp_path, step=change.get("step", 12))
    settings = replace(STREAMS, batch_size=change.get("batch_size", 4))
    with pytest.raises(ParamsError, match=named):
        run_training(tmp_path, settings)
    assert not (tmp_path / "checkpoints" / "state.json").exists()
