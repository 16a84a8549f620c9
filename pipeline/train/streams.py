"""`train.carry_state`: the LSTM state carried from one batch to the next (truncated backpropagation
through time), reset at each epoch's start, and kept in a mid-epoch checkpoint.

In:  a model built with `stateful_batch` (`common/model.py`), whose batches come as streams
     (`data.stream_batches`); the run's `tf.distribute` strategy.
Out: `ResetStates(resumed_mid_epoch)`: a callback zeroing the carried state at each epoch's start
     and before each validation pass (but not at the start of an epoch resumed in its middle, whose
     state the checkpoint put back); `carried_states(model)` / `put_back(model, values)`: that state
     as lists, for `checkpoint.py`; `refusal(settings, strategy)`: why a run cannot carry its state.

Keras keeps a stateful layer's state in variables it does not track (they are not weights, so a
.keras file does not hold them): the checkpoint saves them itself, and a resumed run would otherwise
continue its streams from zero.
"""
from __future__ import annotations

import keras
import numpy as np

from common.settings import TrainSettings


def stateful_layers(model: keras.Model) -> list:
    return [layer for layer in model.layers if getattr(layer, "stateful", False)]


def carried_states(model: keras.Model) -> list:
    return [variable.numpy().tolist() for layer in stateful_layers(model) for variable in layer.states]


def put_back(model: keras.Model, values: list) -> None:
    variables = [variable for layer in stateful_layers(model) for variable in layer.states]
    if len(values) != len(variables):
        raise ValueError(f"{len(values)} carried states saved where the model has {len(variables)}")
    for value, variable in zip(values, variables):
        variable.assign(np.asarray(value, dtype=variable.dtype))


class ResetStates(keras.callbacks.Callback):
    """Zeroes the carried LSTM state at each epoch's start (every stream starts its text again) and
    before each validation pass; not at the start of the first epoch if it resumes in its middle."""

    def __init__(self, resumed_mid_epoch: bool):
        super().__init__()
        self.keep_next = resumed_mid_epoch

    def reset(self) -> None:
        for layer in stateful_layers(self.model):
            layer.reset_state()

    def on_epoch_begin(self, epoch, logs=None):
        if not self.keep_next:
            self.reset()
        self.keep_next = False

    def on_test_begin(self, logs=None):
        self.reset()


def refusal(settings: TrainSettings, replicas: int) -> str | None:
    """Why a run with `replicas` model replicas cannot carry its state, or None."""
    if settings.carry_state and replicas > 1:
        return (f"train.carry_state: true trains on one device (each batch row continues its own stream), but "
                f"train.strategy = {settings.strategy} gives {replicas} replicas: set train.strategy: one_device.")
    return None
