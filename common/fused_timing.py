"""How fast the fused LSTM op trains against Keras's LSTM on this machine: measured once, by `make install`.

In:  the op library (`--library`, default common/_fused_lstm.so) and LSTM sizes (`--units`, default 256 512
     1024), at the shapes of params.yaml's `train.*` (batch, window, embedding; every position predicted).
Out: `--out` (default common/_fused_lstm.json): per size, the median seconds of a whole training step
     (forward, backward and Adam's update of the whole model) on each, and `keras_over_op`, Keras's time
     over the op's (above 1 the op is faster), which `train.fused_lstm: auto` reads
     (`common/fused_lstm.measured_speedup`); one line per size on stdout.

Why measure instead of always taking the op: it is 1.3-1.4x Keras's speed at 256 and 1024 cells on an AMD
EPYC with AVX2, but 0.78x at 512 there, and 0.97x, 0.81x and 0.63x at 256, 512 and 1024 on an Intel Xeon with
AVX-512, where TensorFlow's oneDNN matrix products beat the op's Eigen ones (BENCHMARKS.md).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np

from common import fused_lstm
from common.model import build_model
from common.params import PARAMS_FILE, load_settings
from common.settings import TrainSettings

VOCAB = 65  # tiny Shakespeare's characters; the output layer is a small share of a step at these sizes


def step_seconds(settings: TrainSettings, on_op: bool, repeats: int) -> float:
    """Median seconds of a training step of the train stage's model shape, on the op or on Keras's LSTM."""
    model = build_model(VOCAB, hidden_units=settings.hidden_units, layers=settings.layers,
                        embedding=settings.embedding, all_positions=True)
    if on_op and not fused_lstm.fuse(model, True):
        raise SystemExit(f"fused_timing: the op does not load ({fused_lstm.load()[1]})")
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    ids, targets = (rng.integers(0, VOCAB, size=(settings.batch_size, settings.section_length)).astype("int32")
                    for _ in range(2))
    model.train_on_batch(ids, targets)  # traces the step
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.train_on_batch(ids, targets)  # returns the loss as a number: the step has finished
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(settings: TrainSettings, sizes: list[int], repeats: int) -> dict:
    """{"units": {size: {"keras_s", "op_s", "keras_over_op"}}, "keras_over_op": {size: ratio}, the shapes}."""
    found = {}
    for units in sizes:
        sized = replace(settings, hidden_units=units)
        keras_s, op_s = step_seconds(sized, False, repeats), step_seconds(sized, True, repeats)
        ratio = round(keras_s / op_s, 3)  # as stored, so the line below says what `auto` will do with it
        found[str(units)] = {"keras_s": round(keras_s, 4), "op_s": round(op_s, 4), "keras_over_op": ratio}
        print(f"{units} cells: a training step takes {keras_s:.3f} s on Keras's LSTM, {op_s:.3f} s on the fused op "
              f"({ratio:.2f}x): `train.fused_lstm: auto` takes "
              f"{'Keras' if fused_lstm.keras_faster(ratio) else 'the op'}", flush=True)
    return {"batch_size": settings.batch_size, "section_length": settings.section_length,
            "embedding": settings.embedding, "layers": settings.layers, "units": found,
            "keras_over_op": {size: row["keras_over_op"] for size, row in found.items()}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[256, 512, 1024], help="LSTM sizes to time")
    parser.add_argument("--repeats", type=int, default=3, help="timed steps per size and LSTM (default: 3)")
    parser.add_argument("--library", type=Path, default=fused_lstm.LIBRARY, help="the op library to time")
    parser.add_argument("--out", type=Path, default=fused_lstm.MEASURED, help="where the timings go")
    parser.add_argument("--params", type=Path, default=PARAMS_FILE, help="whose train.* shapes to time")
    args = parser.parse_args(argv)
    if min(args.units) < 1 or args.repeats < 1:
        parser.error("--units and --repeats must be at least 1")
    fused_lstm.LIBRARY = args.library
    if fused_lstm.load()[0] is None:
        args.out.unlink(missing_ok=True)
        sys.exit(f"fused_timing: nothing to time: {fused_lstm.load()[1]}")
    result = measure(load_settings(TrainSettings, args.params), args.units, args.repeats)
    args.out.write_text(json.dumps({"library": str(args.library), **result}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
