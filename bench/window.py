"""Benchmark: the window stage and reader against the article's one-hot arrays and a naive writer.

In:  nothing (a 2.6 MB corpus is generated in a temporary directory, 96 symbols: newline and the 95
     printable ASCII characters).
Out: human-readable lines, then one JSON line with `step1_seconds`, `speedup_vs_per_window_writer`,
     `peak_rss_mb_step1`, `peak_rss_mb_step10`, `reader_over_model_rate` and more.

Each configuration of our stage runs in a fresh child process so its peak RSS is its own
(`ru_maxrss`); the baselines run in this process on a slice and are extrapolated linearly
(labelled as such). The model's rate is the train stage's own model (1024 cells, params.yaml's recipe)
timed over as many batches as `bench/train.py` times, and printed both in batches/s and in predicted
characters per second, the unit of bench/train.py's table, so the two can be read side by side.
Run: `.venv/bin/python bench/window.py [--chars 2600000]` on an otherwise idle machine.
"""
import argparse
import json
import multiprocessing
import resource
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from common.params import load_settings
from common.settings import TrainSettings
from train import PROJECT, throughput  # bench/ is this script's own folder, first on sys.path

CORPUS_CHARS = 2_600_000
SECTION_LENGTH = 50
BATCH_SIZE = 128
MODEL_BATCHES = 20  # bench/train.py's default: fewer let the start of `fit` weigh on the rate


def generate_corpus(directory: Path, n_chars: int) -> list[str]:
    from common.vocab import vocab_hash

    chars = ["\n"] + [chr(c) for c in range(32, 127)]
    rng = np.random.default_rng(0)
    # Words of random letters between spaces and newlines: realistic enough for byte throughput.
    ids = rng.choice(len(chars), size=n_chars, p=np.r_[0.02, 0.18, np.full(94, 0.8 / 94)])
    text = "".join(chars[i] for i in ids)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "train.txt").write_text(text[: int(n_chars * 0.95)], encoding="utf-8")
    (directory / "val.txt").write_text(text[int(n_chars * 0.95):], encoding="utf-8")
    (directory / "vocab.json").write_text(json.dumps({"chars": chars, "sha256": vocab_hash(chars)}))
    return chars


def _run_stage(corpus: str, out: str, step: int, queue) -> None:
    from common.settings import WindowSettings
    from pipeline.window.write import make_windows

    start = time.perf_counter()
    meta = make_windows(Path(corpus), Path(out), Path(out) / "metrics.json",
                        WindowSettings(SECTION_LENGTH, step, "none"), progress=False)
    seconds = time.perf_counter() - start
    windows = sum(meta["splits"][s]["windows"] for s in meta["splits"])
    size = sum(sh["bytes"] for s in meta["splits"] for sh in meta["splits"][s]["shards"])
    queue.put({"seconds": seconds, "windows": windows, "bytes": size,
               "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def run_stage_in_child(corpus: Path, out: Path, step: int) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_run_stage, args=(str(corpus), str(out), step, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def article_one_hot(text_ids: np.ndarray, vocab: int, n_windows: int, step: int) -> dict:
    """The article's arrays: float64 one-hot X [n, 50, vocab] and Y [n, vocab], built in a loop."""
    start = time.perf_counter()
    x = np.zeros((n_windows, SECTION_LENGTH, vocab))
    y = np.zeros((n_windows, vocab))
    for i in range(n_windows):
        s = i * step
        x[i, np.arange(SECTION_LENGTH), text_ids[s:s + SECTION_LENGTH]] = 1
        y[i, text_ids[s + SECTION_LENGTH]] = 1
    return {"seconds": time.perf_counter() - start, "bytes": x.nbytes + y.nbytes}


def per_window_writer(text_ids: np.ndarray, path: Path, n_windows: int, step: int) -> float:
    """One tf.train.Example (an Int64List of 51 ids) per window: the obvious TFRecord writer."""
    import tensorflow as tf

    start = time.perf_counter()
    with tf.io.TFRecordWriter(str(path)) as writer:
        for i in range(n_windows):
            window = text_ids[i * step: i * step + SECTION_LENGTH + 1]
            feature = tf.train.Feature(int64_list=tf.train.Int64List(value=window.tolist()))
            example = tf.train.Example(features=tf.train.Features(feature={"window": feature}))
            writer.write(example.SerializeToString())
    return time.perf_counter() - start


def reader_batches_per_second(windows_dir: Path, chars: list[str], seconds: float = 5.0) -> float:
    from pipeline.train.data import Batching, Order, window_dataset

    dataset = window_dataset(windows_dir, "train", Batching(SECTION_LENGTH, chars, BATCH_SIZE),
                             Order(shuffle_buffer=10_000, seed=0, repeat=True))
    iterator = iter(dataset)
    for _ in range(50):  # warm-up: fill the shuffle buffer and the prefetch queue
        next(iterator)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        next(iterator)
        count += 1
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=CORPUS_CHARS, help="corpus size (default: 2.6 MB)")
    parser.add_argument("--units", type=int, default=1024, help="LSTM cells of the model the reader feeds (default: 1024)")
    parser.add_argument("--model-batches", type=int, default=MODEL_BATCHES,
                        help=f"timed training batches of that model (default: {MODEL_BATCHES}, as bench/train.py)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        chars = generate_corpus(tmp / "corpus", args.chars)
        ours = {step: run_stage_in_child(tmp / "corpus", tmp / f"windows-{step}", step) for step in (1, 10)}
        for step, result in ours.items():
            print(f"our stage, step {step:2d}: {result['seconds']:6.2f} s, {result['windows']:,} windows, "
                  f"{result['windows'] / result['seconds']:,.0f} windows/s, {result['bytes'] / 1e6:.1f} MB on disk, "
                  f"peak RSS {result['peak_rss_mb']:.0f} MB")

        index = {c: i for i, c in enumerate(chars)}
        text = (tmp / "corpus" / "train.txt").read_text(encoding="utf-8")
        text_ids = np.array([index[c] for c in text], dtype=np.int64)
        step1_windows = ours[1]["windows"]
        sample = min(20_000, step1_windows)
        article = article_one_hot(text_ids, len(chars), sample, 1)
        article_seconds = article["seconds"] * step1_windows / sample
        article_gb = article["bytes"] * step1_windows / sample / 1e9
        print(f"article one-hot (float64), {sample:,} windows measured, extrapolated to step 1: "
              f"{article_seconds:.1f} s and {article_gb:.1f} GB of RAM")
        naive_sample = min(50_000, step1_windows)
        naive = per_window_writer(text_ids, tmp / "naive.tfrecord", naive_sample, 1)
        naive_seconds = naive * step1_windows / naive_sample
        naive_bytes = (tmp / "naive.tfrecord").stat().st_size * step1_windows / naive_sample
        print(f"one Example per window, {naive_sample:,} measured, extrapolated to step 1: {naive_seconds:.1f} s, "
              f"{naive_bytes / 1e6:.0f} MB on disk")

        reader = reader_batches_per_second(tmp / "windows-1", chars)
        settings = replace(load_settings(TrainSettings, PROJECT / "params.yaml"), hidden_units=args.units,
                           objective="all", batch_size=BATCH_SIZE, section_length=SECTION_LENGTH, shuffle_buffer=10_000)
        model_chars = throughput(tmp / "windows-1", chars, settings, batches=args.model_batches)
        model = model_chars / (BATCH_SIZE * SECTION_LENGTH)  # objective `all`: every position is predicted
        print(f"reader: {reader:,.0f} batches/s of {BATCH_SIZE}; the {args.units}-cell LSTM trains {model:.2f} "
              f"batches/s ({model_chars:,.0f} predicted chars/s, {len(chars)} symbols) -> the reader is "
              f"{reader / model:,.0f}x faster than the model consumes")

    print(json.dumps({
        "corpus_chars": args.chars,
        "step1_seconds": round(ours[1]["seconds"], 2), "step10_seconds": round(ours[10]["seconds"], 2),
        "step1_windows": step1_windows, "step1_bytes": ours[1]["bytes"],
        "peak_rss_mb_step1": round(ours[1]["peak_rss_mb"]), "peak_rss_mb_step10": round(ours[10]["peak_rss_mb"]),
        "article_onehot_seconds_step1_extrapolated": round(article_seconds, 1),
        "article_onehot_gb_step1_extrapolated": round(article_gb, 1),
        "per_window_writer_seconds_step1_extrapolated": round(naive_seconds, 1),
        "speedup_vs_per_window_writer": round(naive_seconds / ours[1]["seconds"], 1),
        "reader_batches_per_s": round(reader), "model_units": args.units, "model_chars_per_s": round(model_chars),
        "model_batches_per_s": round(model, 3), "symbols": len(chars),
        "reader_over_model_rate": round(reader / model),
    }))


if __name__ == "__main__":
    main()
