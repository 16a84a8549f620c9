"""Read the window stage's TFRecords back as a `tf.data.Dataset` for training.

In:  `data/windows/` (shards + meta.json, see `pipeline/window.py`), the vocabulary and
     section_length the model expects.
Out: a dataset of `(inputs, targets)` batches: int32 `[batch, section_length]` character ids and
     the int32 `[batch]` id of the character that follows each window.

`meta.json` is checked against what the caller expects, and every shard's size against meta.json,
so a stale or truncated window set is a clear error naming the file instead of a silently wrong
model.
"""
from __future__ import annotations

import json
from pathlib import Path

import tensorflow as tf

from pipeline.window import WindowError, vocab_hash


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


def shard_paths(windows_dir: Path, meta: dict, split: str) -> list[str]:
    """The split's shard files, each checked to exist with the size meta.json recorded."""
    paths = []
    for shard in meta["splits"][split]["shards"]:
        path = Path(windows_dir) / shard["file"]
        size = path.stat().st_size if path.exists() else None
        if size != shard["bytes"]:
            found = "missing" if size is None else f"{size} bytes"
            raise WindowError(f"{path}: {found}, but meta.json records {shard['bytes']} bytes "
                              "(truncated or corrupt). Run `dvc repro -f window`.")
        paths.append(str(path))
    return paths


def window_dataset(windows_dir: Path, split: str, *, section_length: int, chars: list[str],
                   batch_size: int, shuffle_buffer: int = 0, seed: int = 0, repeat: bool = False) -> tf.data.Dataset:
    """Batches of (inputs, next-character targets) from one split, shuffled if `shuffle_buffer` > 0."""
    meta = read_meta(windows_dir, section_length=section_length, chars=chars)
    compression = "GZIP" if meta["compression"] == "gzip" else ""
    span = section_length + 1
    schema = {"windows": tf.io.FixedLenFeature([], tf.string)}

    def unpack(record):
        packed = tf.io.parse_single_example(record, schema)["windows"]
        return tf.reshape(tf.io.decode_raw(packed, tf.uint8), [-1, span])

    dataset = tf.data.TFRecordDataset(shard_paths(windows_dir, meta, split), compression_type=compression)
    dataset = dataset.map(unpack, num_parallel_calls=tf.data.AUTOTUNE).unbatch()
    if shuffle_buffer > 0:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.batch(batch_size)
    if not repeat:  # a known length gives Keras a real progress bar and no "ran out of data" warning
        batches = -(-meta["splits"][split]["windows"] // batch_size)
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    dataset = dataset.map(lambda w: (tf.cast(w[:, :-1], tf.int32), tf.cast(w[:, -1], tf.int32)),
                          num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def count_windows_in(windows_dir: Path, split: str) -> int:
    meta = json.loads((Path(windows_dir) / "meta.json").read_text(encoding="utf-8"))
    return meta["splits"][split]["windows"]
