"""Benchmark: training throughput and time to quality, our default recipe vs the article's.

In:  nothing but the bundled sample site: a temporary DVC workspace runs scrape -> clean -> window
     on it (the real stages), then this script trains 256-cell models on those windows.
Out: human-readable lines; `bench/train_time_to_quality.png` (validation loss against wall-clock for
     both recipes); one JSON line last with `matmul_peak_gflops`, `train_gflops`, `chars_per_s_last`,
     `chars_per_s_all`, `val_loss_article_recipe`, `val_loss_default` and `budget_s`.

Throughput counts predicted characters: one per window for `last`, `section_length` per window for
`all`. `train_gflops` is the LSTM's arithmetic (forward + backward, taken as 3x forward) per
second for the `all` objective, against the float32 matmul peak measured in the same run. Both
recipes get the same wall-clock budget and the same model size; the validation loss is the
last-position loss on held-out episodes, so the two objectives compare.
Run: `.venv/bin/python bench/train.py [--budget 150] [--units 256]`.
"""
import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import keras
import tensorflow as tf

from common.settings import TrainSettings, load_settings
from common.vocab import load_vocab
from pipeline.train.data import window_dataset
from pipeline.train.fit import compile_model
from pipeline.workspace import dvc, prepare_workspace

SECTION_LENGTH = 50
RECIPES = {
    "article": {"objective": "last", "optimizer": "sgd", "learning_rate": 0.01, "clipnorm": 0.0},
    "last+adam": {"objective": "last", "optimizer": "adam", "learning_rate": 0.002, "clipnorm": 5.0},
    "default": {"objective": "all", "optimizer": "adam", "learning_rate": 0.002, "clipnorm": 5.0},
}


def sample_windows(root: Path) -> Path:
    """Run the real scrape, clean and window stages on the sample site in a workspace under `root`."""
    workspace = prepare_workspace(Path(__file__).resolve().parent.parent, root / "ws",
                                  {"scrape.source": "sample", "scrape.delay": 0.0, "train.step": 3})
    dvc(["repro", "window"], workspace, capture=True)
    return workspace


def matmul_peak_gflops(size: int = 2048, repeats: int = 20) -> float:
    a, b = tf.random.normal([size, size]), tf.random.normal([size, size])
    run = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))
    run()
    start = time.perf_counter()
    for _ in range(repeats):
        run().numpy()
    return 2 * size ** 3 * repeats / (time.perf_counter() - start) / 1e9


def lstm_train_flops_per_window(units: int, vocab: int, all_positions: bool) -> float:
    recurrent = SECTION_LENGTH * 2 * 4 * units * (units + vocab)
    head = (SECTION_LENGTH if all_positions else 1) * 2 * units * vocab
    return 3 * (recurrent + head)  # backward costs about twice the forward pass


def settings_for(recipe: dict, units: int) -> TrainSettings:
    project = load_settings(TrainSettings, Path(__file__).resolve().parent.parent / "params.yaml")
    return replace(project, section_length=SECTION_LENGTH, hidden_units=units, layers=1, embedding=0, dropout=0.0,
                   jit_compile=False, **recipe)


def throughput(workspace: Path, chars: list[str], units: int, objective: str, batches: int = 30) -> float:
    """Predicted characters per second over `batches` training steps (after a warm-up)."""
    model = compile_model(settings_for({**RECIPES["default"], "objective": objective}, units), len(chars), 0, Path())
    data = window_dataset(workspace / "data/windows", "train", section_length=SECTION_LENGTH, chars=chars,
                          batch_size=128, objective=objective, shuffle_buffer=10_000, repeat=True).take(batches + 3)
    model.fit(data.take(3), verbose=0, shuffle=False)
    start = time.perf_counter()
    model.fit(data.skip(3), verbose=0, shuffle=False)
    per_window = SECTION_LENGTH if objective == "all" else 1
    return batches * 128 * per_window / (time.perf_counter() - start)


class Budget(keras.callbacks.Callback):
    """Stops after `seconds` of training time and records (training seconds, val last-loss) per epoch."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds, self.trained, self.curve = seconds, 0.0, []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_test_begin(self, logs=None):  # validation time is not training time
        self.trained += time.perf_counter() - self.started

    def on_epoch_end(self, epoch, logs=None):
        self.curve.append((self.trained, logs["val_last_loss"]))
        self.model.stop_training = self.trained >= self.seconds


def time_to_quality(workspace: Path, chars: list[str], units: int, recipe: dict, budget: float) -> list:
    keras.utils.set_random_seed(1)
    model = compile_model(settings_for(recipe, units), len(chars), 0, Path())
    common = dict(section_length=SECTION_LENGTH, chars=chars, batch_size=128, objective=recipe["objective"])
    train = window_dataset(workspace / "data/windows", "train", shuffle_buffer=10_000, seed=1, repeat=True, **common)
    val = window_dataset(workspace / "data/windows", "val", **common)
    budget_callback = Budget(budget)
    model.fit(train, validation_data=val, epochs=10_000, steps_per_epoch=40, callbacks=[budget_callback], verbose=0,
              shuffle=False)
    return budget_callback.curve


def save_plot(curves: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4.5))
    for name, curve in curves.items():
        axes.plot([s for s, _ in curve], [loss for _, loss in curve], marker=".", label=name)
    axes.set_xlabel("training time (s), 2 CPU cores")
    axes.set_ylabel("validation loss, character after each window (nats)")
    axes.set_title("Time to quality: 256-cell LSTM on the sample site")
    axes.legend(fontsize=8, loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=120.0, help="training seconds per recipe (default: 120)")
    parser.add_argument("--units", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workspace = sample_windows(Path(tmp))
        chars = load_vocab(workspace / "data/corpus/vocab.json")
        peak = matmul_peak_gflops()
        rates = {objective: throughput(workspace, chars, args.units, objective) for objective in ("last", "all")}
        flops = lstm_train_flops_per_window(args.units, len(chars), True) * rates["all"] / SECTION_LENGTH / 1e9
        print(f"float32 matmul peak on this machine: {peak:.1f} GFLOP/s")
        print(f"training ({args.units} cells, batch 128): last {rates['last']:,.0f} predicted chars/s, "
              f"all {rates['all']:,.0f} predicted chars/s; {flops:.1f} GFLOP/s = {flops / peak:.0%} of the peak")
        curves = {name: time_to_quality(workspace, chars, args.units, recipe, args.budget)
                  for name, recipe in RECIPES.items()}
    plot = Path(__file__).with_name("train_time_to_quality.png")
    save_plot({f"{name} ({', '.join(f'{k}={v}' for k, v in RECIPES[name].items())})": curve
               for name, curve in curves.items()}, plot)
    print(f"val_loss_last_adam: {curves['last+adam'][-1][1]:.4f}")
    for name, curve in curves.items():
        print(f"{name} recipe: validation loss {curve[-1][1]:.3f} nats/char after {curve[-1][0]:.0f} s")
    print(f"plot: {plot}")
    print(json.dumps({"units": args.units, "budget_s": args.budget, "matmul_peak_gflops": round(peak, 1),
                      "train_gflops": round(flops, 1), "chars_per_s_last": round(rates["last"]),
                      "chars_per_s_all": round(rates["all"]),
                      "val_loss_article_recipe": round(curves["article"][-1][1], 4),
                      "val_loss_last_adam": round(curves["last+adam"][-1][1], 4),
                      "val_loss_default": round(curves["default"][-1][1], 4)}))


if __name__ == "__main__":
    main()
