"""Read the window stage's TFRecords back as a `tf.data.Dataset` for training.

In:  `data/windows/` (shards + meta.json, see `common/windows.py`), the vocabulary and
     section_length the model expects, and the training objective.
Out: a dataset of `(inputs, targets)` batches of int32 character ids. `inputs` is
     `[batch, section_length]`; `targets` is `[batch]` (objective `last`: the character after each
     window, as in the article) or `[batch, section_length]` (objective `all`: the next character
     at every position, i.e. the window shifted by one). One stored window serves both.

Each epoch is shuffled with a seed of its own (`epoch_seed`), so any epoch can be rebuilt by
itself, in another process, with the same order: that is what makes a resumed run train on exactly
the batches the uninterrupted run would have (`training_batches`).

`meta.json` is checked against what the caller expects, and every shard's size and sha256 against
meta.json, so a stale, truncated or corrupted window set is a clear error naming the file instead
of a silently wrong model.
"""
from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from common.windows import parse, read_meta, shard_paths

OBJECTIVES = ("last", "all")


def epoch_seed(seed: int, epoch):
    """The shuffle seed of one epoch: a function of the run's seed and the epoch alone (`epoch` may be
    an int64 tensor, inside the dataset)."""
    return (seed * 1_000_003) % 2**62 + epoch


def batches_per_epoch(windows: int, batch_size: int) -> int:
    return -(-windows // batch_size)


def training_batches(windows_dir: Path, *, first_epoch: int, skip: int, epochs: int, shuffle_buffer: int,
                     seed: int, **common) -> tf.data.Dataset:
    """The training batches of epochs `first_epoch` to `epochs - 1` back to back, each epoch shuffled
    by its own seed, without the first `skip` batches of the first (already trained)."""
    first = window_dataset(windows_dir, "train", shuffle_buffer=shuffle_buffer, seed=epoch_seed(seed, first_epoch),
                           prefetch=False, **common).skip(skip)
    # One dataset that builds each later epoch when it is reached: its cost does not grow with `epochs`.
    # traced once, as plain Python: autograph's rewrite of window_dataset cost 1.4 s of every run's start
    later = tf.data.Dataset.range(first_epoch + 1, epochs).flat_map(tf.autograph.experimental.do_not_convert(
        lambda epoch: window_dataset(windows_dir, "train", shuffle_buffer=shuffle_buffer, verify=False,
                                     seed=epoch_seed(seed, epoch), prefetch=False, **common)))
    per_epoch = int(first.cardinality()) + skip
    total = per_epoch * (epochs - first_epoch) - skip  # known, as Keras needs to end each epoch exactly
    dataset = first.concatenate(later).apply(tf.data.experimental.assert_cardinality(total))
    return dataset.prefetch(tf.data.AUTOTUNE)


def window_dataset(windows_dir: Path, split: str, *, section_length: int, chars: list[str],
                   batch_size: int, objective: str = "last", shuffle_buffer: int = 0, seed: int = 0,
                   repeat: bool = False, verify: bool = True, prefetch: bool = True) -> tf.data.Dataset:
    """Batches of (inputs, targets) from one split, shuffled if `shuffle_buffer` > 0 (the same order
    every time it is read, unless `repeat`: a new order needs a new seed)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, not {objective!r}")
    meta = read_meta(windows_dir, section_length=section_length, chars=chars)
    compression = "GZIP" if meta["compression"] == "gzip" else ""
    span = section_length + 1

    def unpack(record):
        return parse(record, span)

    def split_window(windows):
        windows = tf.cast(windows, tf.int32)
        return windows[:, :-1], (windows[:, -1] if objective == "last" else windows[:, 1:])

    paths = shard_paths(windows_dir, meta, split, verify=verify)
    dataset = tf.data.TFRecordDataset(paths, compression_type=compression)
    dataset = dataset.map(unpack, num_parallel_calls=tf.data.AUTOTUNE).unbatch()
    if shuffle_buffer > 0:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=repeat)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.batch(batch_size)
    if not repeat:  # a known length gives Keras a real progress bar and no "ran out of data" warning
        batches = batches_per_epoch(meta["splits"][split]["windows"], batch_size)
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    dataset = dataset.map(split_window, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE) if prefetch else dataset

