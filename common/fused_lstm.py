"""The fused CPU LSTM op (common/fused_lstm_op.cc, built by `make install`) for training, Keras's LSTM otherwise.

In:  a Keras model whose LSTM layers are plain `keras.layers.LSTM`, and the `train.fused_lstm` setting
     (`auto`, true or false); for `auto`, `make install`'s timing of the op against Keras's LSTM on this
     machine (common/_fused_lstm.json, written by common/fused_timing.py).
Out: `load()`: the compiled op library, or None and why not; `lstm(...)`: the op over a whole window,
     with its gradient registered; `fuse(model, setting)`: the model's LSTM layers run on the op from
     then on, on a CPU in float32, or else one line on stderr says why Keras's LSTM runs instead;
     `fused(model)`: whether it does; `measured_speedup(units)`: the op's measured speed over Keras's, and
     `keras_faster(speedup)`: whether `auto` then keeps Keras's LSTM.

`fuse` gives each layer its own `inner_loop` (the LSTM's loop over time, which Keras lets a backend
replace, as it does with cuDNN) instead of swapping in a subclass: the layer stays a plain
`keras.layers.LSTM`, so its saved file names that class and loads with nothing compiled, and a
loaded model is fused again by the run that resumes it. Whatever `fuse` cannot run exactly (a mask,
dropout inside the layer, other activations, another dtype) goes to Keras's own loop, call by call.
`SCRIPTLM_FUSED_LSTM=0` in the environment makes `load()` refuse, as if the library were missing.
"""
from __future__ import annotations

import json
import math
import os
import sys
import types
from pathlib import Path

import keras
import tensorflow as tf

LIBRARY = Path(__file__).with_name("_fused_lstm.so")
MEASURED = LIBRARY.with_suffix(".json")  # written by `make install` (common/fused_timing.py)
SWITCH = "SCRIPTLM_FUSED_LSTM"

_library: list = []  # [(library or None, reason)] once load() has run


def load():
    """(the op library, "") or (None, why it cannot be used); tried once per process."""
    if not _library:
        if os.environ.get(SWITCH, "") in ("0", "false"):
            _library.append((None, f"{SWITCH}={os.environ[SWITCH]}"))
        elif not LIBRARY.is_file():
            _library.append((None, f"{LIBRARY.name} is not built: `make install` builds it with g++"))
        else:
            try:
                _library.append((tf.load_op_library(str(LIBRARY)), ""))
            except (tf.errors.OpError, OSError) as error:  # built against another TensorFlow, say
                _library.append((None, f"{LIBRARY.name} does not load: {str(error).splitlines()[0]}"))
    return _library[0]


def lstm(x, h0, c0, kernel, recurrent, bias):
    """x [batch, time, in] -> (hidden states [batch, time, units], last h, last c), Keras's arithmetic."""
    seq, h, c, *_ = load()[0].scriptlm_fused_lstm(x, kernel, recurrent, bias, h0, c0)
    return seq, h, c


@tf.RegisterGradient("ScriptlmFusedLstm")
def _gradient(op, d_seq, d_h, d_c, *_saved):
    x, kernel, recurrent, _bias, h0, c0 = op.inputs
    seq, h, c, gates, cells = op.outputs
    d_seq, d_h, d_c = (tf.zeros_like(t) if d is None else d for t, d in ((seq, d_seq), (h, d_h), (c, d_c)))
    return load()[0].scriptlm_fused_lstm_grad(x, kernel, recurrent, h0, c0, gates, cells, seq, d_seq, d_h, d_c)


def runs_exactly(layer: keras.layers.LSTM, sequences, mask, training) -> bool:
    """Whether the op computes exactly what Keras's loop would for this call."""
    cell = layer.cell
    return (mask is None and not layer.go_backwards and sequences.dtype == tf.float32
            and cell.kernel.dtype == tf.float32 and cell.use_bias and not cell.recurrent_dropout
            and not (training and cell.dropout)
            and cell.activation is keras.activations.tanh and cell.recurrent_activation is keras.activations.sigmoid)


def _inner_loop(self, sequences, initial_state, mask, training=False):
    if not runs_exactly(self, sequences, mask, training):
        return type(self).inner_loop(self, sequences, initial_state, mask, training=training)
    cell = self.cell
    seq, h, c = lstm(sequences, initial_state[0], initial_state[1], cell.kernel, cell.recurrent_kernel, cell.bias)
    return h, seq, [h, c]


def measured_speedup(units: int) -> float | None:
    """Keras's LSTM's time over the op's for a training step, as `make install` measured it on this machine at
    the size nearest `units` (by ratio); None if it was not measured."""
    try:
        ratios = {int(size): float(ratio) for size, ratio in json.loads(MEASURED.read_text())["keras_over_op"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return ratios[min(ratios, key=lambda size: abs(math.log(size / units)))] if ratios else None


def keras_faster(speedup: float | None) -> bool:
    """Whether a measured speed-up (`measured_speedup`) makes `auto` keep Keras's LSTM."""
    return speedup is not None and speedup < 1


def fuse(model: keras.Model, setting, jit_compile: bool = False) -> bool:
    """Run `model`'s LSTM layers on the op when `setting` allows and it can: on a CPU (no GPU visible), in
    float32, without XLA (which cannot compile it); under `auto` only if `make install` did not measure
    Keras's LSTM faster on this machine. True if it does; a GPU, mixed precision or XLA keep Keras's LSTM
    silently (the cuDNN path stays as it is); a missing library, or Keras measured faster, is said on stderr."""
    lstms = [layer for layer in model.layers if isinstance(layer, keras.layers.LSTM)]
    if setting is False or jit_compile or not lstms or tf.config.list_physical_devices("GPU"):
        return False
    if any(layer.compute_dtype != "float32" for layer in lstms):
        return False
    library, reason = load()
    if library is None:
        print(f"train: training with Keras's LSTM, not the fused op ({reason})", file=sys.stderr, flush=True)
        return False
    units = max(layer.units for layer in lstms)
    speedup = measured_speedup(units) if setting == "auto" else None
    if keras_faster(speedup):
        print(f"train: training with Keras's LSTM, not the fused op: `make install` measured the op at {speedup:.2f}x "
              f"Keras's speed on this machine near {units} cells ({MEASURED.name}; `train.fused_lstm: true` takes "
              "the op anyway)", file=sys.stderr, flush=True)
        return False
    for layer in lstms:
        layer.inner_loop = types.MethodType(_inner_loop, layer)
        layer.supports_jit = False
    return True


def fused(model: keras.Model) -> bool:
    """Whether `fuse` put the model's LSTM layers on the op."""
    return any(getattr(layer.inner_loop, "__func__", None) is _inner_loop for layer in model.layers
               if isinstance(layer, keras.layers.LSTM))
