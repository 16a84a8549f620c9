"""bench/quality.py's runs: one recipe trained by the train stage's own code for a budget of training
time, evaluated on a clock.

In:  the tiny Shakespeare corpus through the real scrape and clean stages (`corpus`), a recipe's
     `TrainSettings` and window step, and the budget, interval and marks in this machine's seconds.
Out: `run_recipe(...)`: the recipe's curve (every `every` seconds of training and at each mark: the
     standard measure, every validation character read in order with the state carried, and
     nanoGPT's, every position of 64- and of 256-character blocks each read from scratch), the
     "kept" figures at each mark (those of the best epoch's model so far, the model the stage
     publishes under `train.keep: best`, as nanoGPT keeps its best checkpoint), its epochs, the best
     n-gram and a sample (1000 characters at temperature 0.5) with the sample stage's scores, beside
     those of the validation text cut to its length; `probe_seconds(...)`: seconds per batch, from a short run.

Only training time counts: the evaluations, at the marks and after each epoch, are out of the clock.
"""
import time
from dataclasses import replace
from pathlib import Path

import keras

from app.workspace import dvc, prepare_workspace
from common.generate import generate, pick_prompt
from common.model import Stepper
from common.scores import Reference
from common.settings import TrainSettings, WindowSettings
from common.vocab import encode, load_vocab
from pipeline.train.data import batches_per_epoch
from pipeline.train.evaluate import StreamEvaluator, block_nats
from pipeline.train.fit import train
from pipeline.train.paths import TrainPaths
from pipeline.window.write import make_windows

PROJECT = Path(__file__).resolve().parent.parent
MEASURES = ("val_nats", "nanogpt_metric", "nanogpt_256")


class Clock(keras.callbacks.Callback):
    """Counts training time (batches only), evaluates every `every` seconds of it and at each mark
    (out of the clock), and stops the run at `budget`. After each epoch it scores the model (out of
    the clock too) and keeps the best epoch's figures, which each mark also records as `kept_*`."""

    def __init__(self, val_ids, budget: float, every: float, marks=()):
        super().__init__()
        self.val_ids, self.budget = val_ids, budget
        every = max(1, int(every))
        self.checkpoints = sorted({*range(every, int(budget) + 1, every), *(m for m in marks if m <= budget)})
        self.trained, self.curve, self.epochs, self.evaluator = 0.0, [], [], StreamEvaluator(val_ids)
        self.best = None

    def measure(self) -> dict:
        val_nats = self.evaluator(self.model)["nats_per_char"]  # the train stage's own measure (refreshes the stepper)
        stepper = self.evaluator.stepper
        return {"val_nats": val_nats, "nanogpt_metric": block_nats(stepper, self.val_ids),
                "nanogpt_256": block_nats(stepper, self.val_ids, block=256)}

    def evaluate(self, marks: list) -> None:
        point = {"trained_s": round(self.trained, 1), **self.measure()}
        kept = self.best or point  # before the first epoch ends, the model in training is all there is
        self.curve += [{"seconds": mark, **point, **{f"kept_{k}": kept[k] for k in MEASURES}} for mark in marks]
        print(f"    {marks[0]:5.0f} s: {point['val_nats']:.4f} nats/char, nanoGPT measure {point['nanogpt_metric']:.4f} "
              f"(256-character blocks {point['nanogpt_256']:.4f}); kept model {kept['val_nats']:.4f}", flush=True)

    def on_train_batch_begin(self, batch, logs=None):
        self.started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.trained += time.perf_counter() - self.started
        while self.checkpoints and self.trained >= self.checkpoints[0]:
            self.evaluate([self.checkpoints.pop(0)])
        if self.trained >= self.budget:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.trained >= self.budget:  # the budget cut this epoch short: the stage would not keep it
            return
        nats = self.evaluator(self.model)["nats_per_char"]
        self.epochs.append({"epoch": epoch + 1, "trained_s": round(self.trained, 1), "val_nats": nats})
        if self.best is None or nats < self.best["val_nats"]:
            self.best = {"trained_s": round(self.trained, 1), **self.measure()}

    def on_train_end(self, logs=None):
        # A run that finished inside the budget is, at the later marks, the model it ended with.
        if self.checkpoints and len(self.val_ids):
            self.evaluate(self.checkpoints)
            self.checkpoints = []


def corpus(root: Path) -> Path:
    """Tiny Shakespeare through the real scrape and clean stages, split as nanoGPT splits it."""
    workspace = prepare_workspace(PROJECT, root / "ws", {"scrape.source": "text", "clean.val_fraction": 0.1,
                                                         "clean.min_char_count": 0, "clean.ascii": False})
    dvc(["repro", "clean"], workspace, capture=True)
    return workspace / "data" / "corpus"


def describe(name: str, settings: TrainSettings, step: int) -> str:
    return (f"{name}: {settings.hidden_units} cells × {settings.layers}, section_length {settings.section_length}, "
            f"step {step}, {settings.objective}, {settings.optimizer} {settings.learning_rate} (weight decay "
            f"{settings.weight_decay}), batch {settings.batch_size}, schedule {settings.lr_schedule}, dropout "
            f"{settings.input_dropout} in / {settings.dropout} out, keep {settings.keep}")


def run_recipe(name: str, settings: TrainSettings, step: int, corpus_dir: Path, root: Path, clock: dict) -> dict:
    """Train `settings` for `clock["budget"]` seconds of training, evaluating every `clock["every"]` and at
    `clock["marks"]`."""
    print(describe(name, settings, step), flush=True)
    windows = root / name.replace(" ", "_") / "windows"
    meta = make_windows(corpus_dir, windows, windows.parent / "windows.json",
                        WindowSettings(settings.section_length, step, "none"), progress=False)
    if settings.lr_schedule != "constant":  # the schedule spans the run: give it the epochs that fit
        batches = batches_per_epoch(meta["splits"]["train"]["windows"], settings.batch_size, settings.carry_state)
        per_batch = probe_seconds(settings, windows, corpus_dir, root)
        settings = replace(settings, epochs=max(1, round(clock["budget"] / (per_batch * batches))))
    else:
        settings = replace(settings, epochs=10_000)
    chars = load_vocab(corpus_dir / "vocab.json")
    val_ids = encode((corpus_dir / "val.txt").read_text(encoding="utf-8"), chars, "val")
    timer = Clock(val_ids, clock["budget"], clock["every"], clock["marks"])
    started = time.perf_counter()
    out = windows.parent
    summary = train(TrainPaths(windows, corpus_dir, out / "models", out / "checkpoints", out / "dvclive"), settings,
                    verbose=0, callbacks=(timer,))
    stepper = Stepper(keras.models.load_model(windows.parent / "models" / "model.keras"))
    prompt = pick_prompt("", corpus_dir / "val.txt", settings.section_length, 1)
    sample = generate(stepper, chars, prompt, length=1000, temperature=0.5, seed=1)[0]
    reference = Reference((corpus_dir / "train.txt").read_text(encoding="utf-8"))
    scores = {"sample": reference.score(sample),
              "validation text": reference.score((corpus_dir / "val.txt").read_text(encoding="utf-8")[:len(sample)])}
    print(f"  {settings.epochs if settings.lr_schedule != 'constant' else 'budget-bound'} epochs, "
          f"{time.perf_counter() - started:.0f} s wall-clock with the evaluations", flush=True)
    return {"curve": timer.curve, "epoch_ends": timer.epochs, "epochs": settings.epochs,
            "wall_s": round(time.perf_counter() - started), "best_ngram": summary["baselines"]["best_ngram"],
            "prompt": prompt, "sample": sample, "scores": scores, "recipe": describe(name, settings, step)}


def probe_seconds(settings: TrainSettings, windows: Path, corpus_dir: Path, root: Path) -> float:
    """Seconds per training batch of `settings`, from a short run of the train stage."""
    probe = replace(settings, epochs=1, preview_every=0)
    times = []

    class Batches(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.started = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            times.append(time.perf_counter() - self.started)
            self.model.stop_training = len(times) >= 25

    out = root / "probe"
    train(TrainPaths(windows, corpus_dir, out / "models", out / "checkpoints", out / "dvclive"), probe, verbose=0,
          callbacks=(Batches(),))
    return sorted(times[5:])[len(times[5:]) // 2]


def at(curve: list, seconds: float, key: str) -> float:
    return next(point[key] for point in curve if point["seconds"] == seconds)
