"""The window stage's core: cut the corpus into windows of character ids and write them as TFRecords.

In:  `train.txt`, `val.txt` and `vocab.json` of a corpus directory; section_length, step and
     compression (params `train.section_length`, `train.step`, `window.compression`).
Out: the shards and `meta.json` in the windows directory (the format is in `common/windows.py`),
     and a metrics file with the window count and bytes per split, for `dvc metrics diff`.

Windows are generated chunk by chunk from the encoded text, so memory does not grow with the
number of windows. Before anything is written, `check_room` refuses a `train.section_length` that
leaves no window in a split that has text, and windows that would not fit on the disk.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf
from tqdm import tqdm

from common.settings import WindowSettings
from common.vocab import encode, load_vocab, vocab_hash
from common.windows import (SPLITS, WINDOWS_PER_RECORD, WindowError, count_windows, file_sha256, serialize,
                            shard_name)

WINDOWS_PER_SHARD = 1 << 20
RECORD_OVERHEAD = 64   # bytes a TFRecord and its tf.train.Example add to each record's packed windows


def iter_window_chunks(ids: np.ndarray, section_length: int, step: int, chunk: int):
    """Yield arrays of shape (k, section_length + 1), k <= chunk, covering every window in order."""
    total = count_windows(len(ids), section_length, step)
    offsets = np.arange(section_length + 1)
    for first in range(0, total, chunk):
        starts = np.arange(first, min(first + chunk, total), dtype=np.int64) * step
        yield ids[starts[:, None] + offsets]


def write_split(ids: np.ndarray, split: str, out_dir: Path, settings: WindowSettings, *,
                windows_per_shard: int = WINDOWS_PER_SHARD, progress: bool = True) -> dict:
    """Write one split's windows as shards in `out_dir`; return its entry for meta.json."""
    section_length, step = settings.section_length, settings.step
    total = count_windows(len(ids), section_length, step)
    n_shards = max(1, -(-total // windows_per_shard))
    options = tf.io.TFRecordOptions(compression_type="GZIP" if settings.compression == "gzip" else "")
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
                writer.write(serialize(windows))
                in_shard -= len(windows)
                bar.update(len(windows))
        shards.append({"file": name, "windows": min(windows_per_shard, total - first),
                       "bytes": (out_dir / name).stat().st_size, "sha256": file_sha256(out_dir / name)})
    bar.close()
    return {"windows": total, "chars": int(len(ids)), "shards": shards}


def _free_bytes(directory: Path) -> int:
    """Free space where `directory` is, or will be (its nearest existing parent)."""
    directory = directory.absolute()
    while not directory.exists():
        directory = directory.parent
    return shutil.disk_usage(directory).free


def check_room(lengths: dict[str, int], out_dir: Path, settings: WindowSettings) -> int:
    """The bytes the windows of splits of `lengths` characters need; WindowError, naming the key,
    when a split that has text gets no window, or when they would not fit in the free disk space."""
    span = settings.section_length + 1
    counts = {split: count_windows(n, settings.section_length, settings.step) for split, n in lengths.items()}
    for split, n in lengths.items():
        if n and not counts[split]:
            raise WindowError(f"train.section_length {settings.section_length} leaves no window in {split}: "
                              f"{split}.txt has {n:,} characters, and a window needs section_length + 1 = {span:,}. "
                              f"Lower train.section_length below {n:,}"
                              + (" or raise clean.val_fraction." if split == "val" else "."))
    need = sum(count * span + -(-count // WINDOWS_PER_RECORD) * RECORD_OVERHEAD for count in counts.values())
    free = _free_bytes(out_dir)
    if need > free:
        raise WindowError(f"{out_dir}: {sum(counts.values()):,} windows of {span:,} characters (train.section_length "
                          f"{settings.section_length}, train.step {settings.step}) need {need:,} bytes, and the disk "
                          f"has {free:,} free. Raise train.step or lower train.section_length, or free some space.")
    return need


def make_windows(corpus_dir: Path, out_dir: Path, metrics_path: Path, settings: WindowSettings, *,
                 windows_per_shard: int = WINDOWS_PER_SHARD, progress: bool = True) -> dict:
    """Encode train.txt and val.txt with vocab.json and write both splits; return meta.json's content."""
    section_length, step, compression = settings.section_length, settings.step, settings.compression
    if section_length <= 0 or step <= 0:
        raise WindowError(f"section_length ({section_length}) and step ({step}) must both be > 0")
    corpus_dir, out_dir, metrics_path = Path(corpus_dir), Path(out_dir), Path(metrics_path)
    chars = load_vocab(corpus_dir / "vocab.json")
    ids = {}
    for split in SPLITS:
        path = corpus_dir / f"{split}.txt"
        try:
            ids[split] = encode(path.read_text(encoding="utf-8"), chars, str(path))
        except OSError as error:
            raise WindowError(f"{path}: cannot read ({error.strerror}). Run `dvc repro clean`.") from None
    check_room({split: len(ids[split]) for split in SPLITS}, out_dir, settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = {"section_length": section_length, "step": step, "compression": compression,
            "windows_per_record": WINDOWS_PER_RECORD, "vocab_size": len(chars),
            "vocab_sha256": vocab_hash(chars), "splits": {}}
    for split in SPLITS:
        meta["splits"][split] = write_split(ids[split], split, out_dir, settings, windows_per_shard=windows_per_shard,
                                            progress=progress)
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics = {split: {"windows": meta["splits"][split]["windows"],
                       "bytes": sum(s["bytes"] for s in meta["splits"][split]["shards"])} for split in SPLITS}
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    return meta
