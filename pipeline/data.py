"""Read the window stage's TFRecords back as a `tf.data.Dataset` for training.

In:  `data/windows/` (shards + meta.json, see `pipeline/window.py`), the vocabulary and
     section_length the model expects, and the training objective.
Out: a dataset of `(inputs, targets)` batches of int32 character ids. `inputs` is
     `[batch, section_length]`; `targets` is `[batch]` (objective `last`: the character after each
     window, as in the article) or `[batch, section_length]` (objective `all`: the next character
     at every position, i.e. the window shifted by one). One stored window serves both.

`meta.json` is checked against what the caller expects, and every shard's size and sha256 against
meta.json, so a stale, truncated or corrupted window set is a clear error naming the file instead
of a silently wrong model.
"""
from __future__ import annotations

import json
from pathlib import Path

import tensorflow as tf

from pipeline.corpus import vocab_hash
from pipeline.window import WindowError, file_sha256

OBJECTIVES = ("last", "all")


def read_meta(windows_dir: Path, *, section_length: int, chars: list[str]) -> dict:
    """Return meta.json after checking it matches `section_length` and the vocabulary `chars`."""
    path = Path(windows_dir) / "meta.json"
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise WindowError(f"{path}: cannot read the window metadata ({error}). Run `dvc repro window`.") from None
    if meta.get("section_length") != section_length:
        raise WindowError(f"{path}: windows have section_length {meta.get('section_length')}, "
                          f"but {section_length} was asked for. Run `dvc repro window`.")
    if meta.get("vocab_sha256") != vocab_hash(chars) or meta.get("vocab_size") != len(chars):
        raise WindowError(f"{path}: windows were encoded with another vocabulary "
                          f"({meta.get('vocab_size')} symbols) than the one given ({len(chars)}). "
                          "Run `dvc repro window`.")
    return meta


def shard_paths(windows_dir: Path, meta: dict, split: str, *, verify: bool = True) -> list[str]:
    """The split's shard files, each checked to exist with the size (and sha256) meta.json recorded."""
    paths = []
    for shard in meta["splits"][split]["shards"]:
        path = Path(windows_dir) / shard["file"]
        size = path.stat().st_size if path.exists() else None
        if size != shard["bytes"]:
            found = "missing" if size is None else f"{size} bytes"
            raise WindowError(f"{path}: {found}, but meta.json records {shard['bytes']} bytes "
                              "(truncated or corrupt). Run `dvc repro -f window`.")
        if verify and "sha256" in shard and file_sha256(path) != shard["sha256"]:
            raise WindowError(f"{path}: its content does not match the sha256 in meta.json (corrupt). "
                              "Run `dvc repro -f window`.")
        paths.append(str(path))
    return paths


def window_dataset(windows_dir: Path, split: str, *, section_length: int, chars: list[str],
                   batch_size: int, objective: str = "last", shuffle_buffer: int = 0, seed: int = 0,
                   repeat: bool = False, verify: bool = True) -> tf.data.Dataset:
    """Batches of (inputs, targets) from one split, shuffled if `shuffle_buffer` > 0."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, not {objective!r}")
    meta = read_meta(windows_dir, section_length=section_length, chars=chars)
    compression = "GZIP" if meta["compression"] == "gzip" else ""
    span = section_length + 1
    schema = {"windows": tf.io.FixedLenFeature([], tf.string)}

    def unpack(record):
        packed = tf.io.parse_single_example(record, schema)["windows"]
        return tf.reshape(tf.io.decode_raw(packed, tf.uint8), [-1, span])

    def split_window(windows):
        windows = tf.cast(windows, tf.int32)
        return windows[:, :-1], (windows[:, -1] if objective == "last" else windows[:, 1:])

    paths = shard_paths(windows_dir, meta, split, verify=verify)
    dataset = tf.data.TFRecordDataset(paths, compression_type=compression)
    dataset = dataset.map(unpack, num_parallel_calls=tf.data.AUTOTUNE).unbatch()
    if shuffle_buffer > 0:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.batch(batch_size)
    if not repeat:  # a known length gives Keras a real progress bar and no "ran out of data" warning
        batches = -(-meta["splits"][split]["windows"] // batch_size)
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    dataset = dataset.map(split_window, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)

