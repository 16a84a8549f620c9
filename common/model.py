"""The character-level LSTM language model, and a one-step version of it for fast generation.

In:  vocabulary size and the `train.*` model params.
Out: `build_model(...)`, a Keras model from int ids `[batch, time]` to the logits `[batch, vocab]` of
     the character that follows; `Stepper`, which runs the same weights one character at a time,
     carrying the LSTM state, so generating n characters costs n steps instead of n windows.

The LSTM keeps Keras's defaults (tanh, sigmoid, no recurrent dropout, no unroll) so that it can use
the cuDNN kernel on a GPU. Mixed precision (`precision(setting)`, params `train.mixed_precision`):
a model built under it computes its layers in float16 or bfloat16 with float32 weights, and its
logits in float32; the `Stepper` always runs those float32 weights in float32, whatever policy the
model was trained or loaded under, so generation and evaluation do not depend on it.
"""
from __future__ import annotations

from contextlib import contextmanager

import keras
import tensorflow as tf

# train.mixed_precision -> Keras dtype policy
POLICIES = {False: "float32", True: "mixed_float16", "float16": "mixed_float16", "bfloat16": "mixed_bfloat16"}


@contextmanager
def precision(setting):
    """Keras's global dtype policy for `setting` while inside, the previous one after: the policy is
    global to the process, and a model built inside keeps its own policy when it leaves."""
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(POLICIES[setting])
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


@keras.saving.register_keras_serializable(package="scriptlm")
class OneHot(keras.layers.Layer):
    """Integer ids -> one-hot float vectors, as the article fed its LSTM."""

    def __init__(self, depth: int, **kwargs):
        super().__init__(**kwargs)
        self.depth = depth

    def call(self, ids):
        return keras.ops.one_hot(ids, self.depth)

    def get_config(self):
        return {**super().get_config(), "depth": self.depth}


def build_model(vocab_size: int, *, hidden_units: int, layers: int = 1, embedding: int = 0,
                dropout: float = 0.0, input_dropout: float = 0.0, all_positions: bool = False,
                stateful_batch: int = 0) -> keras.Model:
    """ids [batch, time] -> LSTM stack -> logits for the next character: [batch, vocab_size] after the
    last position, or [batch, time, vocab_size] after every position if `all_positions`. Dropout, while
    training: `input_dropout` on the first layer's input, `dropout` after each layer. With
    `stateful_batch` > 0 the batch has that many rows, and each LSTM carries its state from a batch to
    the next (Keras's `stateful`; `reset_state()` zeroes it)."""
    ids = keras.Input(shape=(None,), dtype="int32", name="ids", batch_size=stateful_batch or None)
    if embedding > 0:
        x = keras.layers.Embedding(vocab_size, embedding, name="embedding")(ids)
    else:
        x = OneHot(vocab_size, name="one_hot")(ids)
    if input_dropout > 0:
        x = keras.layers.Dropout(input_dropout, name="input_dropout")(x)
    for layer in range(layers):
        last = layer == layers - 1
        x = keras.layers.LSTM(hidden_units, return_sequences=all_positions or not last, name=f"lstm_{layer}",
                              stateful=stateful_batch > 0)(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"dropout_{layer}")(x)
    # float32 logits even under a mixed-precision policy: the softmax needs the range.
    logits = keras.layers.Dense(vocab_size, name="logits", dtype="float32")(x)
    return keras.Model(ids, logits, name="char_lstm")


def last_position(y_true, y_pred):
    """The targets and logits of the last position only, whatever the objective's shapes."""
    if len(y_pred.shape) == 3:
        return y_true[:, -1], y_pred[:, -1]
    return y_true, y_pred


@keras.saving.register_keras_serializable(package="scriptlm")
def last_loss(y_true, y_pred):
    """Cross-entropy (nats) of the character after the window: the article's task, for every objective."""
    y_true, y_pred = last_position(y_true, y_pred)
    return keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)


@keras.saving.register_keras_serializable(package="scriptlm")
def last_accuracy(y_true, y_pred):
    y_true, y_pred = last_position(y_true, y_pred)
    return keras.metrics.sparse_categorical_accuracy(y_true, y_pred)


class Stepper:
    """The trained model's weights, run with the LSTM state carried between calls.

    `feed` runs a whole chunk of ids (e.g. a prompt) through a Keras twin of the model, and
    `feed_all` gives the logits after every position of the chunk (for evaluating long texts);
    `one_step` is the same arithmetic for a single character written out as plain tensor ops
    (a row lookup instead of a one-hot matmul, no RNN loop), which is what makes generating one
    character at a time cheap. `refresh(model)` copies the model's current weights in again.
    Both run in float32 (states too), on the float32 weights a mixed-precision model also keeps.
    """

    def __init__(self, model: keras.Model):
        lstms = [l for l in model.layers if isinstance(l, keras.layers.LSTM)]
        encoder = next(l for l in model.layers if isinstance(l, (OneHot, keras.layers.Embedding)))
        head = model.get_layer("logits")
        self.units = [l.units for l in lstms]
        ids = keras.Input(shape=(None,), dtype="int32")
        states_in, states_out = [], []
        if isinstance(encoder, keras.layers.Embedding):  # the model's own may compute in float16
            twin_encoder = keras.layers.Embedding(encoder.input_dim, encoder.output_dim, dtype="float32")
            self.twins = [(twin_encoder, encoder)]
        else:
            twin_encoder, self.twins = OneHot(encoder.depth, dtype="float32"), []
        x = twin_encoder(ids)
        for lstm in lstms:
            h, c = keras.Input(shape=(lstm.units,)), keras.Input(shape=(lstm.units,))
            stateful_twin = keras.layers.LSTM(lstm.units, return_sequences=True, return_state=True, dtype="float32")
            x, h_out, c_out = stateful_twin(x, initial_state=[h, c])
            self.twins.append((stateful_twin, lstm))
            states_in += [h, c]
            states_out += [h_out, c_out]
        twin_head = keras.layers.Dense(head.units, dtype="float32")
        self.twins.append((twin_head, head))
        self.graph = keras.Model([ids, *states_in], [twin_head(x), *states_out])
        self.step = tf.function(lambda ids, state: self.graph([ids, *state]), reduce_retracing=True)
        self.encoder, self.lstms, self.head = encoder, lstms, head

        def frozen(weights):
            return tf.Variable(weights, trainable=False)

        self.embeddings = frozen(encoder.get_weights()[0]) if isinstance(encoder, keras.layers.Embedding) else None
        self.cells = [tuple(frozen(w) for w in lstm.get_weights()) for lstm in lstms]  # kernel, recurrent, bias
        self.head_kernel, self.head_bias = (frozen(w) for w in head.get_weights())
        self.refresh()

    def refresh(self) -> None:
        """Copy the model's current weights into the twin and the one-step variables (after training)."""
        for twin, layer in self.twins:
            twin.set_weights(layer.get_weights())
        if self.embeddings is not None:
            self.embeddings.assign(self.encoder.get_weights()[0])
        for variables, lstm in zip(self.cells, self.lstms):
            for variable, weights in zip(variables, lstm.get_weights()):
                variable.assign(weights)
        self.head_kernel.assign(self.head.get_weights()[0])
        self.head_bias.assign(self.head.get_weights()[1])

    def zero_state(self, batch: int) -> list:
        return [tf.zeros([batch, u]) for u in self.units for _ in range(2)]

    def feed_all(self, ids, state):
        """Feed ids [batch, time]; return (logits after every id [batch, time, vocab], new state)."""
        logits, *state = self.step(tf.convert_to_tensor(ids, dtype=tf.int32), list(state))
        return logits, state

    def feed(self, ids, state):
        """Feed ids [batch, time] (time >= 1); return (logits after the last id, new state)."""
        logits, state = self.feed_all(ids, state)
        return logits[:, -1], state

    def one_step(self, ids, state):
        """Feed one id per sample, ids [batch]; return (logits [batch, vocab], new state)."""
        new_state = []
        x = None
        for layer, (kernel, recurrent, bias) in enumerate(self.cells):
            h, c = state[2 * layer], state[2 * layer + 1]
            if layer > 0:
                projected = tf.matmul(x, kernel)
            elif self.embeddings is None:
                projected = tf.gather(kernel, ids)  # one-hot row times kernel is just that row
            else:
                projected = tf.matmul(tf.gather(self.embeddings, ids), kernel)
            gates = projected + tf.matmul(h, recurrent) + bias
            i, f, g, o = tf.split(gates, 4, axis=-1)  # Keras's gate order
            c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
            h = tf.sigmoid(o) * tf.tanh(c)
            new_state += [h, c]
            x = h
        return tf.matmul(x, self.head_kernel) + self.head_bias, new_state
