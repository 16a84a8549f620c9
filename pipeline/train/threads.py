"""`train.threads`: TensorFlow's thread pools for a training run, set before TensorFlow starts.

In:  params `train.threads` (`auto`, or `[inter_op, intra_op]`, 0 meaning TensorFlow's choice) and
     `train.hidden_units`; the machine's cores.
Out: `chosen(settings, cores)`: the `(inter_op, intra_op)` pair to set, or None for TensorFlow's own;
     `apply(settings)`: sets it, or says in one line why it could not (TensorFlow already ran in this
     process: a test or a benchmark that trains several times), and returns what it did, in words.

`auto` is what `bench/train.py` measured (BENCHMARKS.md, "Thread settings"): the LSTM's step is a
chain of small ops, and on a machine with few cores running two of them at once, each on one
thread, beats splitting each op across the cores, for models of up to AUTO_UNITS cells; larger
matmuls gain from both cores inside each op, so those keep TensorFlow's choice.
"""
from __future__ import annotations

import os
import sys

import tensorflow as tf

from common.settings import TrainSettings

AUTO_UNITS = 512   # the largest model the one-thread-per-op setting won for
AUTO_CORES = 2     # ... on machines of this many cores or fewer


def chosen(settings: TrainSettings, cores: int) -> tuple[int, int] | None:
    if settings.threads != "auto":
        return tuple(settings.threads)
    if settings.hidden_units <= AUTO_UNITS and cores <= AUTO_CORES:
        return cores, 1
    return None


def apply(settings: TrainSettings) -> str:
    pair = chosen(settings, os.cpu_count() or 1)
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
