"""Benchmark: training speed of the char LSTM on this machine, per model size.

In:  nothing (random ids and targets, the default section_length and batch size).
Out: one line per size with ms per batch and the minutes one epoch of the article's 260,539
     windows would take, then one JSON line with all results.

Run: `.venv/bin/python bench/train_speed.py [--units 256 1024] [--batches 8]`.
The README's hardware section quotes it.
"""
import argparse
import json
import time

import keras
import numpy as np

from common.model import build_model

ARTICLE_WINDOWS = 260_539  # 50-character windows every 10 characters of the 2.6 MB corpus


def seconds_per_batch(units: int, batches: int, batch_size: int, section_length: int, vocab: int) -> float:
    model = build_model(vocab, hidden_units=units)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    x = rng.integers(0, vocab, size=(batch_size * batches, section_length))
    y = rng.integers(0, vocab, size=(batch_size * batches,))
    model.fit(x[:batch_size * 2], y[:batch_size * 2], batch_size=batch_size, epochs=1, verbose=0)  # warm-up
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    return (time.perf_counter() - start) / batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[128, 256, 1024])
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    results = []
    for units in args.units:
        seconds = seconds_per_batch(units, args.batches, args.batch_size, 50, 95)
        epoch_minutes = seconds * ARTICLE_WINDOWS / args.batch_size / 60
        results.append({"units": units, "ms_per_batch": round(seconds * 1000, 1),
                        "article_epoch_minutes": round(epoch_minutes, 1)})
        print(f"{units:5d} cells: {seconds * 1000:7.1f} ms/batch of {args.batch_size}, "
              f"{epoch_minutes:6.1f} min per epoch of {ARTICLE_WINDOWS:,} windows")
    print(json.dumps({"train_speed": results}))


if __name__ == "__main__":
    main()
