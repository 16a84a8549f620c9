"""Read the window stage's TFRecords back as a `tf.data.Dataset` for training.

In:  `data/windows/` (shards + meta.json, see `common/windows.py`), the vocabulary and
     section_length the model expects, and the training objective.
Out: `TrainingData.read(paths, settings)`: what a run reads before anything else (the vocabulary,
     meta.json, the window counts), refusing what cannot train; a dataset of `(inputs, targets)`
     batches of int32 character ids, cut as a `Batching` says, in the `Order` given. `inputs` is
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

from dataclasses import dataclass
from pathlib import Path

import tensorflow as tf

from common.costs import train_refusal
from common.params import ParamsError
from common.settings import TrainSettings
from common.vocab import load_vocab
from common.windows import WindowError, parse, read_meta, shard_paths
from pipeline.train.paths import TrainPaths

OBJECTIVES = ("last", "all")


@dataclass(frozen=True)
class Batching:
    """How windows become batches: windows of `section_length` ids of `chars` (both checked against
    meta.json), `batch_size` to a batch, with the targets of `objective`."""
    section_length: int
    chars: list[str]
    batch_size: int
    objective: str = "last"
    streams: bool = False  # train.carry_state: row r of batch k is window k of stream r (`stream_batches`)


@dataclass(frozen=True)
class Order:
    """The order the windows come in: shuffled within `shuffle_buffer` windows by `seed` (0: corpus
    order), the same every time the dataset is read; or, with `repeat`, read forever, each pass in a
    new order (a new order of a dataset that is not repeated needs a new seed)."""
    shuffle_buffer: int = 0
    seed: int = 0
    repeat: bool = False


@dataclass(frozen=True)
class TrainingData:
    """The vocabulary and the windows' meta.json of a run, checked; how they are batched."""
    chars: list[str]
    meta: dict
    batching: Batching

    @classmethod
    def read(cls, paths: TrainPaths, settings: TrainSettings) -> TrainingData:
        """Read them; refuse, before anything is touched, a corpus with no training window and a setting
        whose memory the machine does not have (a setting that cannot fit would grow until the kernel
        kills it)."""
        chars = load_vocab(paths.corpus / "vocab.json")
        meta = read_meta(paths.windows, section_length=settings.section_length, chars=chars)
        if meta["splits"]["train"]["windows"] == 0:
            raise WindowError(f"{paths.windows}: no training windows; the corpus is shorter than "
                              f"section_length + 1 = {settings.section_length + 1} characters.")
        refusal = train_refusal(settings, meta["splits"]["train"]["windows"], len(chars)) or streams_refusal(
            settings, meta)
        if refusal:
            raise ParamsError(f"{refusal} Nothing was changed in {paths.checkpoints}/ or {paths.dvclive}/.")
        return cls(chars, meta, Batching(settings.section_length, chars, settings.batch_size, settings.objective,
                                         settings.carry_state))

    def windows(self, split: str) -> int:
        return self.meta["splits"][split]["windows"]

    @property
    def batches(self) -> int:
        """Training batches per epoch."""
        return batches_per_epoch(self.windows("train"), self.batching.batch_size, self.batching.streams)

    def validates(self) -> bool:
        """Whether Keras's validation pass has a batch: with streams, a full one."""
        return self.windows("val") >= (self.batching.batch_size if self.batching.streams else 1)

    @property
    def targets_per_epoch(self) -> int:
        """Characters predicted in an epoch (a window has one target, or one per position)."""
        windows = self.batches * self.batching.batch_size if self.batching.streams else self.windows("train")
        return windows * (self.batching.section_length if self.batching.objective == "all" else 1)


def streams_refusal(settings: TrainSettings, meta: dict) -> str | None:
    """Why `train.carry_state` cannot train on these windows, or None."""
    if not settings.carry_state:
        return None
    if meta["step"] != settings.section_length:
        return (f"train.carry_state: true continues each row where it stopped, so the windows must follow each "
                f"other: set train.step to train.section_length ({settings.section_length}; it is {meta['step']}).")
    if meta["splits"]["train"]["windows"] < settings.batch_size:
        return (f"train.carry_state: true cuts the training text into train.batch_size = {settings.batch_size} "
                f"streams, but it has only {meta['splits']['train']['windows']} windows: lower train.batch_size.")
    return None


def epoch_seed(seed: int, epoch):
    """The shuffle seed of one epoch: a function of the run's seed and the epoch alone (`epoch` may be
    an int64 tensor, inside the dataset)."""
    return (seed * 1_000_003) % 2**62 + epoch


def batches_per_epoch(windows: int, batch_size: int, streams: bool = False) -> int:
    """Batches of a split: the last one partial; with streams, whole ones only (each stream
    `windows // batch_size` windows long, the last `windows % batch_size` windows left out)."""
    return windows // batch_size if streams else -(-windows // batch_size)


def stream_batches(windows: tf.data.Dataset, batch_size: int, count: int) -> tf.data.Dataset:
    """`count` windows in corpus order -> batches whose row r is window k of stream r in batch k: the
    text cut into `batch_size` consecutive streams, read side by side (truncated backpropagation through
    time, as char-rnn reads its text). The split is held in memory once, as its bytes."""
    length = count // batch_size
    grid = windows.take(length * batch_size).batch(length, drop_remainder=True).batch(batch_size)
    return grid.flat_map(lambda streams: tf.data.Dataset.from_tensor_slices(tf.transpose(streams, [1, 0, 2])))


def training_batches(windows_dir: Path, batching: Batching, order: Order, *, first_epoch: int, skip: int,
                     epochs: int) -> tf.data.Dataset:
    """The training batches of epochs `first_epoch` to `epochs - 1` back to back, each epoch shuffled
    by its own seed (from `order.seed`), without the first `skip` batches of the first (already trained)."""
    def epoch_order(epoch):
        return Order(order.shuffle_buffer, epoch_seed(order.seed, epoch))

    first = window_dataset(windows_dir, "train", batching, epoch_order(first_epoch), prefetch=False).skip(skip)
    # One dataset that builds each later epoch when it is reached: its cost does not grow with `epochs`.
    # traced once, as plain Python: autograph's rewrite of window_dataset cost 1.4 s of every run's start
    later = tf.data.Dataset.range(first_epoch + 1, epochs).flat_map(tf.autograph.experimental.do_not_convert(
        lambda epoch: window_dataset(windows_dir, "train", batching, epoch_order(epoch), verify=False,
                                     prefetch=False)))
    per_epoch = int(first.cardinality()) + skip
    total = per_epoch * (epochs - first_epoch) - skip  # known, as Keras needs to end each epoch exactly
    dataset = first.concatenate(later).apply(tf.data.experimental.assert_cardinality(total))
    return dataset.prefetch(tf.data.AUTOTUNE)


def window_dataset(windows_dir: Path, split: str, batching: Batching, order: Order = Order(), *,
                   verify: bool = True, prefetch: bool = True) -> tf.data.Dataset:
    """Batches of (inputs, targets) from one split, in `order` (by default corpus order, read once)."""
    section_length, objective, batch_size = batching.section_length, batching.objective, batching.batch_size
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, not {objective!r}")
    meta = read_meta(windows_dir, section_length=section_length, chars=batching.chars)
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
    count = meta["splits"][split]["windows"]
    if batching.streams:  # the order is the streams'; repeating is not used with them
        dataset = stream_batches(dataset, batch_size, count)
    else:
        if order.shuffle_buffer > 0:
            dataset = dataset.shuffle(order.shuffle_buffer, seed=order.seed, reshuffle_each_iteration=order.repeat)
        if order.repeat:
            dataset = dataset.repeat()
        dataset = dataset.batch(batch_size)
    if not order.repeat:  # a known length gives Keras a real progress bar and no "ran out of data" warning
        batches = batches_per_epoch(count, batch_size, batching.streams)
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    dataset = dataset.map(split_window, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE) if prefetch else dataset
