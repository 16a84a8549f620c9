"""Benchmark: validation loss against training time on real text, recipe against recipe, and nanoGPT.

In:  `texts/tinyshakespeare.txt` (char-rnn's and nanoGPT's corpus) through the real scrape and clean
     stages, split as nanoGPT splits it (the first 90% trains, the rest validates, nothing dropped);
     with `--nanogpt DIR --nanogpt-python PATH`, a nanoGPT checkout and a Python with torch.
Out: for the article's recipe, the defaults before issue 11 and today's (params.yaml), each trained by
     the train stage's own code, same model size, same training-time budget: every `--every` seconds,
     the standard measure (every validation character, read in order, state carried) and nanoGPT's
     (every position of 64-character blocks, each read from scratch; and of 256-character blocks,
     those of its published A100 figure); the best n-gram; the figures at 3 and 10 minutes; with
     nanoGPT, its best validation loss at each of those budgets (`bench/nanogpt.py`'s
     `best_at_budget`: its README configuration and a stronger one, each a whole run filling the
     budget); `bench/quality.png`; a sample of each recipe; one JSON line last. Without nanoGPT it
     says so and plots nanoGPT from `--nanogpt-json` files, or as published, labelled so.

Only training time counts, on both sides: evaluations are out of the clock. A schedule spanning the
run gets the epochs that fit the budget, from a measured probe. Budgets are seconds of a reference
machine (machines of our kind differ by about 3x): the script measures this one's float32 matmul peak
first (`bench/train.py`'s) and scales every budget, mark and interval by `--reference-peak` / peak
(430 GFLOP/s by default; 0 keeps this machine's seconds). Run it alone on an otherwise idle machine.
"""
import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import keras

from app.workspace import dvc, prepare_workspace
from common.generate import generate, pick_prompt
from common.model import Stepper
from common.params import load_settings
from common.settings import TrainSettings, WindowSettings
from common.vocab import encode, load_vocab
from pipeline.train.data import batches_per_epoch
from pipeline.train.evaluate import StreamEvaluator, block_nats
from pipeline.train.fit import train
from pipeline.train.paths import TrainPaths
from pipeline.window.write import make_windows
from nanogpt import NanoGPTError, best_at_budget, check_inputs, nanogpt_points  # bench/: this script's folder
from quality_plot import save_plot
from train import matmul_peak_gflops, time_scale

PROJECT = Path(__file__).resolve().parent.parent
MARKS = (180, 600)   # seconds of the reference machine
# The JSON line's figures at each mark: key, recipe, measure.
REPORTED = (("val_nats", "new default", "val_nats"), ("nanogpt_metric", "new default", "nanogpt_metric"),
            ("nanogpt_256", "new default", "nanogpt_256"), ("article_recipe", "article", "val_nats"),
            ("old_default", "old default", "val_nats"))
REFERENCE_PEAK = 430.0  # GFLOP/s: the float32 matmul peak the budgets are stated for (issue 23)
# The recipes as they were: the article's, and this project's defaults before issue 11.
HISTORIC = {
    "article": dict(section_length=50, step=10, objective="last", optimizer="sgd", learning_rate=0.01, clipnorm=0.0,
                    shuffle_buffer=0, batch_size=128, embedding=0, dropout=0.0, lr_schedule="constant",
                    warmup_steps=0),
    "old default": dict(section_length=50, step=10, objective="all", optimizer="adam", learning_rate=0.002,
                        clipnorm=5.0, shuffle_buffer=10_000, batch_size=128, embedding=0, dropout=0.0,
                        lr_schedule="constant", warmup_steps=0),
}


class Clock(keras.callbacks.Callback):
    """Counts training time (batches only), evaluates every `every` seconds of it and at each mark
    (out of the clock), and stops the run at `budget`."""

    def __init__(self, val_ids, budget: float, every: float, marks=MARKS):
        super().__init__()
        self.val_ids, self.budget = val_ids, budget
        every = max(1, int(every))
        self.checkpoints = sorted({*range(every, int(budget) + 1, every), *(m for m in marks if m <= budget)})
        self.trained, self.curve, self.evaluator = 0.0, [], StreamEvaluator(val_ids)

    def evaluate(self, marks: list) -> None:
        val_nats = self.evaluator(self.model)["nats_per_char"]  # the train stage's own measure
        point = {"trained_s": round(self.trained, 1), "val_nats": val_nats,
                 "nanogpt_metric": block_nats(self.evaluator.stepper, self.val_ids),
                 "nanogpt_256": block_nats(self.evaluator.stepper, self.val_ids, block=256)}
        self.curve += [{"seconds": mark, **point} for mark in marks]
        print(f"    {marks[0]:5.0f} s: {point['val_nats']:.4f} nats/char, "
              f"nanoGPT measure {point['nanogpt_metric']:.4f} (256-character blocks {point['nanogpt_256']:.4f})",
              flush=True)

    def on_train_batch_begin(self, batch, logs=None):
        self.started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.trained += time.perf_counter() - self.started
        while self.checkpoints and self.trained >= self.checkpoints[0]:
            self.evaluate([self.checkpoints.pop(0)])
        if self.trained >= self.budget:
            self.model.stop_training = True

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


def run_recipe(name: str, settings: TrainSettings, step: int, corpus_dir: Path, root: Path, args) -> dict:
    print(f"{name}: {settings.hidden_units} cells, section_length {settings.section_length}, step {step}, "
          f"{settings.objective}, {settings.optimizer} {settings.learning_rate}, batch {settings.batch_size}, "
          f"schedule {settings.lr_schedule}", flush=True)
    windows = root / name.replace(" ", "_") / "windows"
    meta = make_windows(corpus_dir, windows, windows.parent / "windows.json",
                        WindowSettings(settings.section_length, step, "none"), progress=False)
    if settings.lr_schedule != "constant":  # the schedule spans the run: give it the epochs that fit
        batches = batches_per_epoch(meta["splits"]["train"]["windows"], settings.batch_size)
        settings = replace(settings, epochs=max(1, round(args.budget / (probe_seconds(settings, windows, corpus_dir,
                                                                                     root) * batches))))
    else:
        settings = replace(settings, epochs=10_000)
    chars = load_vocab(corpus_dir / "vocab.json")
    val_ids = encode((corpus_dir / "val.txt").read_text(encoding="utf-8"), chars, "val")
    clock = Clock(val_ids, args.budget, args.every, args.marks)
    started = time.perf_counter()
    out = windows.parent
    summary = train(TrainPaths(windows, corpus_dir, out / "models", out / "checkpoints", out / "dvclive"), settings,
                    verbose=0, callbacks=(clock,))
    stepper = Stepper(keras.models.load_model(windows.parent / "models" / "model.keras"))
    prompt = pick_prompt("", corpus_dir / "val.txt", settings.section_length, 1)
    sample = generate(stepper, chars, prompt, length=300, temperature=0.5, seed=1)[0]
    print(f"  {settings.epochs if settings.lr_schedule != 'constant' else 'budget-bound'} epochs, "
          f"{time.perf_counter() - started:.0f} s wall-clock with the evaluations", flush=True)
    return {"curve": clock.curve, "epochs": settings.epochs, "wall_s": round(time.perf_counter() - started),
            "best_ngram": summary["baselines"]["best_ngram"], "prompt": prompt, "sample": sample}


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


def nanogpt_budgets(args, marks: list, reference_marks: list) -> dict:
    """nanoGPT's `best_at_budget` at each mark, by the reference minutes it stands for; {} without nanoGPT."""
    if not args.nanogpt:
        print("nanoGPT: not given (--nanogpt DIR --nanogpt-python PATH): ours alone", flush=True)
        return {}
    return {f"{reference // 60:.0f}min": best_at_budget(args.nanogpt, args.nanogpt_python, mark)
            for mark, reference in zip(marks, reference_marks)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=600.0,
                        help="training seconds per recipe, of the reference machine (default: 600)")
    parser.add_argument("--every", type=float, default=30.0,
                        help="seconds of training between evaluations, of the reference machine")
    parser.add_argument("--reference-peak", type=float, default=REFERENCE_PEAK, metavar="GFLOPS",
                        help=f"the matmul peak the seconds are stated for (default: {REFERENCE_PEAK:g}); 0: this "
                             "machine's seconds as they are")
    parser.add_argument("--units", type=int, default=256, help="LSTM cells, the same for every recipe (default: 256)")
    parser.add_argument("--nanogpt", type=Path, help="a checkout of karpathy/nanoGPT, run at the same budgets")
    parser.add_argument("--nanogpt-python", type=Path, help="a Python with torch, numpy and requests, for nanoGPT")
    parser.add_argument("--nanogpt-json", action="append", default=[], metavar="FILE",
                        help="the output of a bench/nanogpt.py run (its JSON line last), plotted as measured; "
                             "repeat for several budgets. Without it nanoGPT's published CPU figure is plotted")
    parser.add_argument("--plot", type=Path, default=Path(__file__).with_name("quality.png"),
                        help="where the plot goes (default: bench/quality.png, which the README shows); the "
                             "curves go beside it, as .json (bench/quality_plot.py redraws the plot from them)")
    args = parser.parse_args()
    nanogpt = nanogpt_points(args.nanogpt_json)  # before the long run: a bad file is refused at once
    if bool(args.nanogpt) != bool(args.nanogpt_python):
        parser.error("--nanogpt and --nanogpt-python go together: a checkout and the Python that runs it")
    if args.nanogpt:
        try:
            check_inputs(args.nanogpt.resolve(), args.nanogpt_python.absolute())
        except NanoGPTError as error:
            parser.error(str(error))
        args.nanogpt, args.nanogpt_python = args.nanogpt.resolve(), args.nanogpt_python.absolute()
    reference_marks = [mark for mark in MARKS if mark <= args.budget]
    peak = matmul_peak_gflops()
    scale = time_scale(peak, args.reference_peak)
    reference_budget = args.budget
    args.budget, args.every = args.budget * scale, args.every * scale
    args.marks = marks = [mark * scale for mark in reference_marks]
    print(f"float32 matmul peak on this machine: {peak:.1f} GFLOP/s; a reference second ({args.reference_peak:g} "
          f"GFLOP/s) is {scale:.3f} s here: budget {args.budget:.0f} s of training per recipe", flush=True)
    project = load_settings(TrainSettings, PROJECT / "params.yaml")
    project_step = load_settings(WindowSettings, PROJECT / "params.yaml").step
    recipes = {name: (replace(project, hidden_units=args.units, preview_every=0,
                              **{k: v for k, v in recipe.items() if k != "step"}), recipe["step"])
               for name, recipe in HISTORIC.items()}
    recipes["new default"] = (replace(project, hidden_units=args.units, preview_every=0), project_step)
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        corpus_dir = corpus(Path(tmp))
        results = {name: run_recipe(name, settings, step, corpus_dir, Path(tmp), args)
                   for name, (settings, step) in recipes.items()}
    budgets = nanogpt_budgets(args, marks, reference_marks)
    best_runs = {tag: min(b["runs"], key=lambda r: r["best_val_loss"]) for tag, b in budgets.items()}
    nanogpt = [{"val_loss": r["best_val_loss"], "train_s": r["train_s"], "label": f"nanoGPT's best at the {tag} "
                f"budget ({r['config']}, {r['max_iters']} iterations), measured in this run ({r['best_val_loss']:.3f})"}
               for tag, r in best_runs.items()] or nanogpt
    best_ngram = results["new default"]["best_ngram"]
    args.plot.with_suffix(".json").write_text(json.dumps({"results": results, "best_ngram": best_ngram,
                                                          "nanogpt": nanogpt}, indent=1) + "\n", encoding="utf-8")
    save_plot(results, best_ngram, nanogpt, args.plot)
    for name, result in results.items():
        figures = ", ".join(f"{at(result['curve'], m, 'val_nats'):.4f} at {r // 60:.0f} min"
                            for m, r in zip(marks, reference_marks))
        print(f"{name}: {figures}; sample at temperature 0.5:\n{result['prompt']}|{result['sample']}\n")
    print(f"best n-gram on the same characters: {best_ngram:.4f}; plot: {args.plot}")
    line = {"units": args.units, "budget_s": reference_budget, "budget_here_s": round(args.budget, 1),
            "matmul_peak_gflops": round(peak, 1), "reference_peak_gflops": args.reference_peak,
            "best_ngram": round(best_ngram, 4)}
    for mark, reference in zip(marks, reference_marks):
        tag = f"{reference // 60:.0f}min"
        for key, recipe, measure in REPORTED:
            line[f"{key}_{tag}"] = round(at(results[recipe]["curve"], mark, measure), 4)
        if tag in budgets:  # ours on nanoGPT's measure against nanoGPT's best: below 1 is ahead
            line[f"nanogpt_best_{tag}"] = best = budgets[tag]["best_val_loss"]
            line[f"ratio_to_nanogpt_{tag}"] = round(line[f"nanogpt_metric_{tag}"] / best, 3)
    line["nanogpt"] = budgets or [{"source": "measured" if "max_iters" in point else "published",
                                   **{k: point[k] for k in ("max_iters", "train_s", "val_loss") if k in point}}
                                  for point in nanogpt]
    for point in nanogpt:
        print(f"{point['label']}: {point['val_loss']:.3f} after {point['train_s'] / 60:.1f} min of training")
    print(json.dumps(line))


if __name__ == "__main__":
    main()
