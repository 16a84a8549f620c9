"""Write new text with a trained model: the generator behind the sample stage, the training
samples and `scriptlm generate`.

In:  a model directory (`model.keras` and the `vocab.json` saved beside it), a prompt, and how to
     sample (length, temperature, top_k, seed, batch size).
Out: `load_generator` -> (Stepper, chars); `generate(...)` -> the continuations, as strings;
     `pick_prompt` -> the configured prime text or a seeded slice of the validation text.

Generation is stateful: the prompt warms the LSTM state once, then each new character costs one
LSTM step, and the step and the draw run as one compiled TensorFlow function. Logits are divided
by the temperature (in float64, so tiny temperatures stay finite), optionally cut to the `top_k`
most likely characters, and sampled with a seeded stateless categorical draw; temperature 0 means
greedy (argmax).
"""
from __future__ import annotations

import random
import weakref
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from common.model import Stepper
from common.vocab import VocabError, load_vocab


class SampleError(ValueError):
    """A model, vocabulary, prompt or temperature that cannot be used; the message says which."""


def load_generator(model_dir: Path) -> tuple[Stepper, list[str]]:
    """Load `model.keras` and the `vocab.json` saved beside it; check they belong together."""
    model_dir = Path(model_dir)
    model_path, vocab_path = model_dir / "model.keras", model_dir / "vocab.json"
    for path in (model_path, vocab_path):
        if not path.exists():
            raise SampleError(f"{path}: not found. Train a model first: `make demo` writes demo/models, "
                              "`dvc repro` writes models/.")
    try:
        chars = load_vocab(vocab_path, fix="It should be the one saved with the model: rerun `dvc repro train`, "
                                           "or `dvc checkout models` to restore the cached one.")
    except VocabError as error:
        raise SampleError(str(error)) from None
    try:
        model = keras.models.load_model(model_path, compile=False)  # generation needs no optimizer
    except Exception as error:  # Keras says "File not found" of a truncated zip, BadZipFile of a flipped byte
        reason = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:200]
        raise SampleError(f"{model_path}: not a readable Keras model, truncated or corrupt ({reason}). "
                          "Rerun `dvc repro train`, or `dvc checkout models` to restore the cached one.") from None
    if model.output_shape[-1] != len(chars):
        raise SampleError(f"{vocab_path}: {len(chars)} symbols, but {model_path} predicts "
                          f"{model.output_shape[-1]}; the vocabulary does not belong to this model.")
    return Stepper(model), chars


def encode_prompt(prompt: str, chars: list[str]) -> list[int]:
    """Ids of the prompt's characters; unknown characters are an error listing them and where."""
    index = {c: i for i, c in enumerate(chars)}
    unknown = [(pos, c) for pos, c in enumerate(prompt) if c not in index]
    if unknown:
        listed = ", ".join(f"{c!r} at {pos}" for pos, c in unknown[:10])
        raise SampleError(f"the prompt has characters the model does not know: {listed}"
                          + (" ..." if len(unknown) > 10 else ""))
    if not prompt:
        raise SampleError("the prompt is empty; give at least one character")
    return [index[c] for c in prompt]


def _pick_next(logits, temperature, top_k: int, seed):
    """Next ids from logits [batch, vocab]: argmax at temperature 0, else a seeded draw from
    softmax(logits / temperature) restricted to the `top_k` most likely ids (0 = all)."""
    logits = tf.cast(logits, tf.float64)  # float64 keeps tiny temperatures finite
    if top_k > 0:
        kth_best = tf.math.top_k(logits, k=min(top_k, logits.shape[-1])).values[:, -1:]
        logits = tf.where(logits < kth_best, tf.constant(-np.inf, tf.float64), logits)
    greedy = tf.argmax(logits, axis=-1, output_type=tf.int32)
    scaled = logits / tf.maximum(tf.cast(temperature, tf.float64), 1e-300)
    drawn = tf.cast(tf.random.stateless_categorical(scaled, 1, seed=seed)[:, 0], tf.int32)
    return tf.where(temperature > 0, drawn, greedy)


class Sampler:
    """Generates characters in compiled chunks: each call runs `n` one-step updates and draws."""

    def __init__(self, stepper: Stepper):
        def generate_chunk(next_ids, state, temperature, top_k: int, seed, start, n):
            drawn = tf.TensorArray(tf.int32, size=n)
            for t in tf.range(n):
                drawn = drawn.write(t, next_ids)
                logits, state = stepper.one_step(next_ids, state)
                next_ids = _pick_next(logits, temperature, top_k, tf.stack([seed, start + tf.cast(t, tf.int64) + 1]))
            return tf.transpose(drawn.stack()), next_ids, state

        self.generate_chunk = tf.function(generate_chunk, reduce_retracing=True)


_SAMPLERS: "weakref.WeakKeyDictionary[Stepper, Sampler]" = weakref.WeakKeyDictionary()
STREAM_CHUNK = 8  # characters per compiled call when streaming to a terminal


def generate(stepper: Stepper, chars: list[str], prompt: str, *, length: int, temperature: float,
             num: int = 1, seed: int = 0, top_k: int = 0, on_step=None) -> list[str]:
    """Generate `num` continuations of `length` characters each after `prompt`, all in one batch."""
    if not temperature >= 0 or not np.isfinite(temperature):
        raise SampleError(f"temperature must be a number >= 0 (0 = greedy), not {temperature}")
    if top_k < 0:
        raise SampleError(f"top_k must be >= 0 (0 = no limit), not {top_k}")
    ids = encode_prompt(prompt, chars)
    if stepper not in _SAMPLERS:  # one per model, so later calls reuse its traced function
        _SAMPLERS[stepper] = Sampler(stepper)
    sampler = _SAMPLERS[stepper]
    logits, state = stepper.feed(np.tile(ids, (num, 1)), stepper.zero_state(num))
    temperature = tf.constant(temperature, tf.float64)
    seed = tf.constant(seed, tf.int64)
    next_ids = _pick_next(logits, temperature, top_k, tf.stack([seed, tf.constant(0, tf.int64)]))
    chunk = STREAM_CHUNK if on_step is not None else length
    pieces = []
    for start in range(0, length, chunk):
        n = min(chunk, length - start)
        drawn, next_ids, state = sampler.generate_chunk(next_ids, state, temperature, top_k, seed,
                                                        tf.constant(start, tf.int64), tf.constant(n))
        drawn = drawn.numpy()
        pieces.append(drawn)
        if on_step is not None:
            for t in range(n):
                on_step([chars[i] for i in drawn[:, t]])
    out = np.concatenate(pieces, axis=1)
    return ["".join(chars[i] for i in row) for row in out]


def pick_prompt(prime: str, val_path: Path, length: int, seed: int) -> str:
    """The configured prime text, or else a seeded random slice of `length` characters of val.txt."""
    if prime:
        return prime
    text = Path(val_path).read_text(encoding="utf-8")
    if len(text) <= length:
        return text or "\n"
    start = random.Random(seed).randrange(len(text) - length)
    return text[start:start + length]
