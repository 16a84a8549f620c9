"""`train.threads`: TensorFlow's thread pools for a training run, set before TensorFlow starts.

In:  params `train.threads` (`auto`, or `[inter_op, intra_op]`, 0 meaning TensorFlow's choice).
Out: `chosen(settings)`: the `(inter_op, intra_op)` pair to set, or None for TensorFlow's own;
     `apply(settings)`: sets it, or says in one line why it could not (TensorFlow already ran in this
     process: a test or a benchmark that trains several times), and returns what it did, in words.

`auto` is what `bench/train.py` measured fastest (BENCHMARKS.md, "Thread settings"): TensorFlow's own
choice. Two inter-op threads of one intra-op thread each once won for Keras's LSTM at 256 and 512
cells (1.09-1.99x on 2026-12-05); on 2026-12-06, with the fused LSTM op (which runs each step's product
on the intra-op pool), it lost at every size (the fused op's rate 0.63x at 256 cells, about 0.6x at 512 and 0.5x at 1024), and Keras's
LSTM lost with it at 256 cells too. So `auto` leaves the pools to TensorFlow; a pair overrides it.
"""
from __future__ import annotations

import sys

import tensorflow as tf

from common.settings import TrainSettings


def chosen(settings: TrainSettings) -> tuple[int, int] | None:
    """The pair to set: the one given, or None (TensorFlow's choice) for `auto` on any model and machine."""
    return None if settings.threads == "auto" else tuple(settings.threads)


def apply(settings: TrainSettings) -> str:
    pair = chosen(settings)
    if pair is None:
        return "threads: TensorFlow's choice"
    inter, intra = pair
    threading = tf.config.threading
    if (threading.get_inter_op_parallelism_threads(), threading.get_intra_op_parallelism_threads()) == (inter, intra):
        return f"threads: {inter} inter-op, {intra} intra-op"
    try:
        threading.set_inter_op_parallelism_threads(inter)
        threading.set_intra_op_parallelism_threads(intra)
    except RuntimeError:  # TensorFlow already ran in this process: its pools are fixed
        print(f"train: train.threads ({inter} inter-op, {intra} intra-op) not applied: TensorFlow already ran in "
              "this process, whose threads stay as they were", file=sys.stderr, flush=True)
        return "threads: as TensorFlow had them"
    return f"threads: {inter} inter-op, {intra} intra-op"
