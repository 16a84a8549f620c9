"""The standard per-character evaluation of a character language model.

In:  a model (through `common.model.Stepper`, for its state-carrying twin) and a text as ids.
Out: `stream_nats(stepper, ids)`: mean cross-entropy in nats of every character of the text but
     the first, the model reading the text in order and carrying its state, as char-rnn and the
     literature measure it (bits per character = nats / ln 2); `scored_ids(ids)`, the characters
     it scores, for baselines scored on exactly the same ones; `block_nats(stepper, ids, block)`,
     nanoGPT's measure (every position of consecutive `block`-character blocks, each read from a
     fresh state), for comparing with it. For the train stage: `corpus_ids(corpus_dir, chars)`, the
     splits as ids; `StreamEvaluator(val_ids)(model)`, the `eval/` figures of one epoch;
     `baselines(ids, chars)`, the n-gram baselines scored on exactly the characters it scores.

The text is cut into `streams` contiguous parts read side by side as one batch, in chunks of
`chunk` characters, so a long text costs a few large steps; each part starts from a zero state, so
`streams` parts have a cold start (negligible against thousands of characters each).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import tensorflow as tf

from common.model import Stepper
from common.vocab import encode
from pipeline.train.baselines import baseline_report

STREAMS = 16
CHUNK = 1000


@tf.function(reduce_retracing=True)
def _summed_nats(targets, logits, weights):
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(targets, tf.cast(logits, tf.float32))
    return tf.reduce_sum(losses * weights)


def scored_ids(ids: np.ndarray) -> np.ndarray:
    """The characters `stream_nats` scores: all but the first, which has nothing before it."""
    return np.asarray(ids)[1:]


def stream_nats(stepper: Stepper, ids: np.ndarray, *, streams: int = STREAMS, chunk: int = CHUNK) -> float:
    """Mean nats per character over ids[1:], each predicted from everything before it in its stream."""
    ids = np.asarray(ids, dtype=np.int32)
    targets = len(ids) - 1
    if targets < 1:
        return float("nan")
    streams = min(streams, targets)
    bounds = np.linspace(0, targets, streams + 1).round().astype(int)  # stream s predicts ids[a+1 .. b]
    longest = int(np.diff(bounds).max())
    inputs = np.zeros([streams, longest], np.int32)
    outputs = np.zeros([streams, longest], np.int32)
    weights = np.zeros([streams, longest], np.float32)
    for s, (start, end) in enumerate(zip(bounds[:-1], bounds[1:])):
        inputs[s, :end - start] = ids[start:end]
        outputs[s, :end - start] = ids[start + 1:end + 1]
        weights[s, :end - start] = 1.0
    state, total = stepper.zero_state(streams), 0.0
    for begin in range(0, longest, chunk):
        logits, state = stepper.feed_all(inputs[:, begin:begin + chunk], state)
        total += float(_summed_nats(outputs[:, begin:begin + chunk], logits, weights[:, begin:begin + chunk]))
    return total / targets


def block_nats(stepper: Stepper, ids: np.ndarray, *, block: int = 64, batch: int = 256) -> float:
    """nanoGPT's validation loss: the mean over every position of consecutive `block`-character blocks,
    each read from a fresh state (any objective: the twin gives the logits after every position)."""
    ids = np.asarray(ids, dtype=np.int32)
    starts = np.arange(0, len(ids) - block, block)
    if len(starts) == 0:
        return float("nan")
    inputs = np.stack([ids[s:s + block] for s in starts])
    outputs = np.stack([ids[s + 1:s + block + 1] for s in starts])
    total = 0.0
    for begin in range(0, len(starts), batch):
        chunk = inputs[begin:begin + batch]
        logits, _ = stepper.feed_all(chunk, stepper.zero_state(len(chunk)))
        total += float(_summed_nats(outputs[begin:begin + batch], logits, np.ones(chunk.shape, np.float32)))
    return total / outputs.size


def corpus_ids(corpus_dir: Path, chars: list[str]) -> dict:
    return {split: encode((Path(corpus_dir) / f"{split}.txt").read_text(encoding="utf-8"), chars, split)
            for split in ("train", "val")}


def baselines(ids: dict, chars: list[str]) -> dict:
    """Unigram and n-gram nats/char fitted on train.txt and scored on exactly the characters of val.txt
    that `eval/nats_per_char` scores."""
    return baseline_report(ids["train"], ids["val"], len(chars), scored_from=len(ids["val"]) - len(scored_ids(ids["val"])))


class StreamEvaluator:
    """`eval/nats_per_char`, `eval/bpc` and `eval/perplexity` of a model on the validation ids, reading
    them in order with its state carried; {} without validation text."""

    def __init__(self, val_ids):
        self.val_ids, self.stepper = val_ids, None

    def __call__(self, model) -> dict:
        if len(self.val_ids) < 2:
            return {}
        if self.stepper is None:
            self.stepper = Stepper(model)
        self.stepper.refresh()
        nats = stream_nats(self.stepper, self.val_ids)
        return {"nats_per_char": nats, "bpc": nats / math.log(2), "perplexity": math.exp(min(nats, 700.0))}
