"""The windows format: what the window stage writes in `data/windows/` and the train stage reads.

In:  a windows directory, and what the reader expects (section_length, the vocabulary).
Out: the record layout (`serialize`, `parse`), shard names, window counts, and `read_meta` /
     `shard_paths`, which refuse a stale, truncated or corrupted window set by name.

A window is `section_length + 1` consecutive character ids (uint8): the model reads the first
`section_length` and learns to predict the last one (or, shifted by one, every next character).
Windows start every `step` characters, exactly as the article's
`range(0, len(text) - section_length, step)`, and never cross from one split into the other.

Files: `{train,val}-NNNNN-of-NNNNN.tfrecord` and `meta.json`, which records `section_length`,
`step`, `compression`, `windows_per_record`, `vocab_size`, `vocab_sha256` and, per split, the
window and character counts and each shard's file name, window count, size and sha256.

Record schema: each TFRecord record is a `tf.train.Example` with one feature,
`windows` (bytes_list of one value): up to `WINDOWS_PER_RECORD` windows laid end to end, i.e.
`k * (section_length + 1)` uint8 ids. Packing many windows per record keeps the per-record overhead
(about 30 bytes) negligible, so the files hold about `section_length + 1` bytes per window. Shards
hold at most `windows_per_shard` windows each.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import tensorflow as tf

from common.vocab import vocab_hash

WINDOWS_PER_RECORD = 1024
SPLITS = ("train", "val")
FEATURE = "windows"


class WindowError(ValueError):
    """Windows that cannot be written or read as asked; the message names the file."""


def count_windows(n_chars: int, section_length: int, step: int) -> int:
    """Windows of `section_length + 1` ids starting at 0, step, 2*step, ... within `n_chars` ids."""
    span = section_length + 1
    return 0 if n_chars < span else (n_chars - span) // step + 1


def shard_name(split: str, index: int, count: int) -> str:
    return f"{split}-{index:05d}-of-{count:05d}.tfrecord"


def serialize(windows: np.ndarray) -> bytes:
    """One record holding the uint8 windows [k, section_length + 1]."""
    feature = tf.train.Feature(bytes_list=tf.train.BytesList(value=[windows.tobytes()]))
    return tf.train.Example(features=tf.train.Features(feature={FEATURE: feature})).SerializeToString()


def parse(record: tf.Tensor, span: int) -> tf.Tensor:
    """The uint8 windows [k, span] of one serialized record (inside a tf.data pipeline)."""
    packed = tf.io.parse_single_example(record, {FEATURE: tf.io.FixedLenFeature([], tf.string)})[FEATURE]
    return tf.reshape(tf.io.decode_raw(packed, tf.uint8), [-1, span])


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_meta(windows_dir: Path, *, section_length: int, chars: list[str]) -> dict:
    """Return meta.json after checking it matches `section_length` and the vocabulary `chars`."""
    path = Path(windows_dir) / "meta.json"
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise WindowError(f"{path}: cannot read the window metadata ({error}). Run `dvc repro window`.") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("splits"), dict):
        raise WindowError(f"{path}: not the window metadata this project writes (no 'splits'). "
                          "Run `dvc repro -f window`.")
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
