"""The `window` stage: cut the corpus into fixed-length windows of character ids, as TFRecords.

In:  `data/corpus/train.txt`, `data/corpus/val.txt`, `data/corpus/vocab.json`;
     params `train.section_length`, `train.step`, `window.compression`.
Out: `data/windows/{train,val}-NNNNN-of-NNNNN.tfrecord`, `data/windows/meta.json`,
     and `metrics/windows.json` (window counts, for `dvc metrics diff`).

A window is `section_length + 1` consecutive character ids (uint8): the model reads the first
`section_length` and learns to predict the last one (or, shifted by one, every next character).
Windows start every `step` characters, exactly as the article's
`range(0, len(text) - section_length, step)`, and never cross from one split into the other.

`meta.json` records, per split, the window count and each shard's file name, window count, size
and sha256, so the reader can refuse a stale, truncated or corrupted shard by name.

Record schema: each TFRecord record is a `tf.train.Example` with one feature,
`windows` (bytes_list of one value): up to `WINDOWS_PER_RECORD` windows laid end to end, i.e.
`k * (section_length + 1)` uint8 ids. Packing many windows per record keeps the per-record overhead
(about 30 bytes) negligible, so the files hold about `section_length + 1` bytes per window. Shards
hold at most `windows_per_shard` windows each. Windows are generated chunk by chunk from the
encoded text, so memory does not grow with the number of windows.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf
from tqdm import tqdm

from pipeline.corpus import vocab_hash
from pipeline.params import ParamsError, load_params

WINDOWS_PER_RECORD = 1024
WINDOWS_PER_SHARD = 1 << 20
SPLITS = ("train", "val")


class WindowError(ValueError):
    """Windows that cannot be written or read as asked; the message names the file."""


def load_vocab(path: Path) -> list[str]:
    """Return the list of characters in `vocab.json`; a character's id is its index."""
    try:
        chars = json.loads(Path(path).read_text(encoding="utf-8"))["chars"]
    except (OSError, ValueError, KeyError) as error:
        raise WindowError(f"{path}: not a readable vocab file ({error}). Run `dvc repro clean`.") from None
    if len(chars) > 256:
        raise WindowError(f"{path}: {len(chars)} symbols do not fit in uint8 ids (at most 256).")
    return chars


def encode(text: str, chars: list[str], source: str = "text") -> np.ndarray:
    """Map each character to its uint8 id; a character outside the vocabulary is an error."""
    index = {char: i for i, char in enumerate(chars)}
    try:
        return np.fromiter((index[c] for c in text), dtype=np.uint8, count=len(text))
    except KeyError as error:
        raise WindowError(f"{source}: character {error.args[0]!r} is not in the vocabulary. "
                          "Rerun the clean stage so vocab.json covers the corpus.") from None


def count_windows(n_chars: int, section_length: int, step: int) -> int:
    """Windows of `section_length + 1` ids starting at 0, step, 2*step, ... within `n_chars` ids."""
    span = section_length + 1
    return 0 if n_chars < span else (n_chars - span) // step + 1


def iter_window_chunks(ids: np.ndarray, section_length: int, step: int, chunk: int):
    """Yield arrays of shape (k, section_length + 1), k <= chunk, covering every window in order."""
    total = count_windows(len(ids), section_length, step)
    offsets = np.arange(section_length + 1)
    for first in range(0, total, chunk):
        starts = np.arange(first, min(first + chunk, total), dtype=np.int64) * step
        yield ids[starts[:, None] + offsets]


def _serialize(windows: np.ndarray) -> bytes:
    feature = tf.train.Feature(bytes_list=tf.train.BytesList(value=[windows.tobytes()]))
    return tf.train.Example(features=tf.train.Features(feature={"windows": feature})).SerializeToString()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def shard_name(split: str, index: int, count: int) -> str:
    return f"{split}-{index:05d}-of-{count:05d}.tfrecord"


def write_split(ids: np.ndarray, split: str, out_dir: Path, *, section_length: int, step: int,
                compression: str, windows_per_shard: int = WINDOWS_PER_SHARD, progress: bool = True) -> dict:
    """Write one split's windows as shards in `out_dir`; return its entry for meta.json."""
    total = count_windows(len(ids), section_length, step)
    n_shards = max(1, -(-total // windows_per_shard))
    options = tf.io.TFRecordOptions(compression_type="GZIP" if compression == "gzip" else "")
    shards = []
    bar = tqdm(total=total, unit="win", desc=f"window {split}", disable=not progress, file=sys.stderr)
    for index in range(n_shards):
        name = shard_name(split, index, n_shards)
        first = index * windows_per_shard
        shard_ids = ids[first * step:]  # the shard's windows start at window number `first`
        in_shard = min(windows_per_shard, total - first)
        with tf.io.TFRecordWriter(str(out_dir / name), options) as writer:
            for windows in iter_window_chunks(shard_ids, section_length, step, WINDOWS_PER_RECORD):
                windows = windows[:in_shard]
                if len(windows) == 0:
                    break
                writer.write(_serialize(windows))
                in_shard -= len(windows)
                bar.update(len(windows))
        shards.append({"file": name, "windows": min(windows_per_shard, total - first),
                       "bytes": (out_dir / name).stat().st_size, "sha256": file_sha256(out_dir / name)})
    bar.close()
    return {"windows": total, "chars": int(len(ids)), "shards": shards}


def make_windows(corpus_dir: Path, out_dir: Path, metrics_path: Path, *, section_length: int, step: int,
                 compression: str = "none", windows_per_shard: int = WINDOWS_PER_SHARD,
                 progress: bool = True) -> dict:
    """Encode train.txt and val.txt with vocab.json and write both splits; return meta.json's content."""
    if section_length <= 0 or step <= 0:
        raise WindowError(f"section_length ({section_length}) and step ({step}) must both be > 0")
    corpus_dir, out_dir, metrics_path = Path(corpus_dir), Path(out_dir), Path(metrics_path)
    chars = load_vocab(corpus_dir / "vocab.json")
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = {"section_length": section_length, "step": step, "compression": compression,
            "windows_per_record": WINDOWS_PER_RECORD, "vocab_size": len(chars),
            "vocab_sha256": vocab_hash(chars), "splits": {}}
    for split in SPLITS:
        path = corpus_dir / f"{split}.txt"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise WindowError(f"{path}: cannot read ({error.strerror}). Run `dvc repro clean`.") from None
        ids = encode(text, chars, str(path))
        meta["splits"][split] = write_split(ids, split, out_dir, section_length=section_length, step=step,
                                            compression=compression, windows_per_shard=windows_per_shard,
                                            progress=progress)
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics = {split: {"windows": meta["splits"][split]["windows"],
                       "bytes": sum(s["bytes"] for s in meta["splits"][split]["shards"])} for split in SPLITS}
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    return meta


def main() -> None:
    try:
        params = load_params()
        train = params["train"]
        meta = make_windows(Path("data/corpus"), Path("data/windows"), Path("metrics/windows.json"),
                            section_length=train["section_length"], step=train["step"],
                            compression=params["window"]["compression"])
    except (ParamsError, WindowError) as error:
        sys.exit(f"window: {error}")
    for split, info in meta["splits"].items():
        print(f"{split}: {info['windows']:,} windows of {meta['section_length'] + 1} ids "
              f"from {info['chars']:,} characters in {len(info['shards'])} shard(s)")


if __name__ == "__main__":
    main()
