"""Benchmark: training throughput of the train stage's model against this machine's matmul peak.

In:  nothing but the bundled offline site: a temporary DVC workspace runs scrape -> clean -> window on
     it (the real stages, with params.yaml's section_length and step), and this script trains the
     train stage's own model (`compile_model`) on those windows, with params.yaml's recipe.
Out: human-readable lines and one JSON line last: the float32 matmul peak measured in the same run,
     and for each model size (`--units`, default 256 and 1024) predicted characters per second,
     GFLOP/s and their share of the peak, and the share its recurrent matmuls alone reach (the ceiling);
     what that rate means for the README: the model's parameter count, the minutes of one epoch of the
     article's 2.6 MB corpus at params.yaml's section_length and step, and the hours of params.yaml's
     `train.epochs` of it.

The arithmetic counted is the model's own: per predicted character, the LSTM's input and recurrent
matmuls (its input is the embedding, or the one-hot vector) and the output layer, forward and
backward (taken as 3x forward). The peak is a 2048x2048 float32 matmul, the best case for this CPU.
The ceiling is what this CPU does with
the LSTM's own step shapes: the forward [batch, units] x [units, 4 units] matmul and the backward
[batch, 4 units] x [4 units, units] one, chained in sequence as the recurrence forces; no LSTM training
step at that batch size can beat it by much, since those matmuls are two thirds of its arithmetic.
Validation loss against time is `bench/quality.py`.
With `--jit`, each size is also trained with `train.jit_compile: true` (XLA) beside the plain step,
in the same process, and the ratio is reported. The step runs the LSTM as params.yaml's `train.fused_lstm`
says (`fused_N` tells whether the fused op ran); with `--keras`, each size is also trained on Keras's
LSTM (`train.fused_lstm: false`), and its rate, share of the peak and the ratio are reported beside.
Run: `.venv/bin/python bench/train.py [--units 256 1024] [--batches 20] [--jit] [--keras]` on an otherwise
idle machine.
"""
import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import tensorflow as tf

from app.workspace import dvc, prepare_workspace
from common.fused_lstm import fused
from common.model import build_model
from common.params import load_settings
from common.presets import OFFLINE
from common.settings import TrainSettings, WindowSettings
from common.vocab import load_vocab
from pipeline.train.build import compile_model
from pipeline.train.checkpoint import Resume
from pipeline.train.data import Batching, Order, training_batches

PROJECT = Path(__file__).resolve().parent.parent
ARTICLE_CORPUS_CHARS = 2_600_000  # the article's South Park corpus, 2.6 MB


def offline_windows(root: Path) -> Path:
    """Run the real scrape, clean and window stages on the offline site in a workspace under `root`."""
    workspace = prepare_workspace(PROJECT, root / "ws", OFFLINE)
    dvc(["repro", "window"], workspace, capture=True)
    return workspace


def matmul_peak_gflops(size: int = 2048, repeats: int = 20) -> float:
    a, b = tf.random.normal([size, size]), tf.random.normal([size, size])
    run = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))
    run()
    best = float("inf")
    for _ in range(3):  # the best of three: a busy moment should not lower the peak
        start = time.perf_counter()
        for _ in range(repeats):
            run().numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * size ** 3 * repeats / best / 1e9


def time_scale(peak: float, reference_peak: float) -> float:
    """How many seconds here a second of the reference machine is: reference_peak / peak (1 without a
    reference): a machine twice as fast as the reference gets half the seconds."""
    if peak <= 0:
        raise SystemExit(f"the measured matmul peak is {peak} GFLOP/s; rerun on an idle machine")
    return reference_peak / peak if reference_peak > 0 else 1.0


def recurrent_ceiling_gflops(batch: int, units: int, steps: int = 50, repeats: int = 5) -> float:
    """GFLOP/s of `steps` chained pairs of an LSTM step's forward and backward recurrent matmuls."""
    h = tf.random.normal([batch, units])
    forward = tf.random.normal([units, 4 * units], stddev=units ** -0.5)
    backward = tf.random.normal([4 * units, units], stddev=(4 * units) ** -0.5)

    @tf.function
    def run(h):
        for _ in range(steps):
            h = tf.matmul(tf.matmul(h, forward), backward)
        return tf.reduce_sum(h)

    run(h)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeats):
            run(h).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * 2 * batch * units * 4 * units * steps * repeats / best / 1e9


def train_flops_per_char(settings: TrainSettings, vocab: int) -> float:
    """Forward + backward arithmetic per predicted character (objective `all`)."""
    inputs = settings.embedding or vocab
    lstm, size = 0, inputs
    for _ in range(settings.layers):
        lstm += 2 * 4 * settings.hidden_units * (size + settings.hidden_units)
        size = settings.hidden_units
    return 3 * (lstm + 2 * settings.hidden_units * vocab)


def train_rate(windows: Path, chars: list[str], settings: TrainSettings, batches: int) -> tuple[float, bool]:
    """Predicted characters per second over `batches` training steps of `fit`, after a warm-up, and whether
    the LSTM ran on the fused op."""
    model = compile_model(settings, len(chars), Resume(0, 0, ""), Path(), batches + 5)
    data = training_batches(windows, Batching(settings.section_length, chars, settings.batch_size, "all"),
                            Order(settings.shuffle_buffer, seed=1), first_epoch=0, skip=0, epochs=1)
    data = data.repeat()
    model.fit(data.take(5), verbose=0, shuffle=False)
    start = time.perf_counter()
    model.fit(data.take(batches), verbose=0, shuffle=False)
    return batches * settings.batch_size * settings.section_length / (time.perf_counter() - start), fused(model)


def throughput(windows: Path, chars: list[str], settings: TrainSettings, batches: int) -> float:
    """Predicted characters per second over `batches` training steps of `fit`, after a warm-up."""
    return train_rate(windows, chars, settings, batches)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[256, 512, 1024],
                        help="model sizes to time (default: 256 512 1024)")
    parser.add_argument("--batches", type=int, default=20, help="timed training steps per size (default: 20)")
    parser.add_argument("--jit", action="store_true", help="also time each size with jit_compile (XLA), as a ratio")
    parser.add_argument("--keras", action="store_true", help="also time each size on Keras's LSTM (fused_lstm: false), the main figure then on the op (true)")
    args = parser.parse_args()
    project = load_settings(TrainSettings, PROJECT / "params.yaml")
    step = load_settings(WindowSettings, PROJECT / "params.yaml").step
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        workspace = offline_windows(Path(tmp))
        chars = load_vocab(workspace / "data/corpus/vocab.json")
        peak = matmul_peak_gflops()
        print(f"float32 matmul peak on this machine: {peak:.1f} GFLOP/s")
        for units in args.units:
            # with --keras, the op against Keras's LSTM: `auto` would take Keras's where `make install` timed it faster
            settings = replace(project, hidden_units=units, objective="all", **({"fused_lstm": True} if args.keras else {}))
            rate, on_op = train_rate(workspace / "data/windows", chars, settings, args.batches)
            flops = train_flops_per_char(settings, len(chars))
            gflops = flops * rate / 1e9
            ceiling = recurrent_ceiling_gflops(settings.batch_size, units)
            epoch_min = ARTICLE_CORPUS_CHARS * settings.section_length / step / rate / 60  # objective `all`
            params = build_model(len(chars), hidden_units=units, layers=settings.layers,
                                 embedding=settings.embedding).count_params()
            results[units] = {"chars_per_s": round(rate), "fused": on_op, "gflops": round(gflops, 1),
                              "share": round(gflops / peak, 3),
                              "ceiling_share": round(ceiling / peak, 3), "params": params,
                              "epoch_min_2_6mb": round(epoch_min, 1),
                              "run_h_2_6mb": round(epoch_min * settings.epochs / 60, 2)}
            if args.jit:
                xla = throughput(workspace / "data/windows", chars, replace(settings, jit_compile=True), args.batches)
                results[units].update(jit_chars_per_s=round(xla), jit_ratio=round(xla / rate, 3))
                print(f"{units} cells with jit_compile (XLA): {xla:,.0f} predicted chars/s = {xla / rate:.2f}x "
                      "the plain step", flush=True)
            if args.keras:
                keras_rate = throughput(workspace / "data/windows", chars, replace(settings, fused_lstm=False),
                                        args.batches)
                results[units].update(keras_chars_per_s=round(keras_rate), fused_ratio=round(rate / keras_rate, 3),
                                      keras_share=round(flops * keras_rate / 1e9 / peak, 3))
                print(f"{units} cells on Keras's LSTM: {keras_rate:,.0f} predicted chars/s = "
                      f"{flops * keras_rate / 1e9 / peak:.0%} of the peak; the fused op: {rate / keras_rate:.2f}x",
                      flush=True)
            print(f"{units} cells ({'fused op' if on_op else 'Keras LSTM'}, section_length {settings.section_length}, step {step}, batch "
                  f"{settings.batch_size}, embedding {settings.embedding}): {rate:,.0f} predicted chars/s, "
                  f"{gflops:.1f} GFLOP/s = {gflops / peak:.0%} of the peak; its recurrent matmuls alone: "
                  f"{ceiling:.1f} GFLOP/s = {ceiling / peak:.0%}", flush=True)
            print(f"  {params:,} parameters ({len(chars)} symbols); one epoch of a 2.6 MB corpus: {epoch_min:.1f} min, "
                  f"params.yaml's {settings.epochs} epochs: {epoch_min * settings.epochs / 60:.2f} h", flush=True)
    line = {"matmul_peak_gflops": round(peak, 1)}
    for units, result in results.items():
        line.update({f"{key}_{units}": value for key, value in result.items()})
    print(json.dumps(line))


if __name__ == "__main__":
    main()
