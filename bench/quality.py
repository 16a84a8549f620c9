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
     Each mark also gives the "kept" figures (`kept_*`): those of the best epoch's model so far, the
     one the train stage publishes (`train.keep: best`), as nanoGPT keeps its best checkpoint; the
     ratio to nanoGPT compares those two. `--set KEY=VALUE` adds a `candidate` recipe (params.yaml
     with those keys set, its figures as `candidate_*`), `--only RECIPE` runs just the recipes named.

Only training time counts, on both sides: evaluations are out of the clock. A schedule spanning the
run gets the epochs that fit the budget, from a measured probe. Budgets are seconds of a reference
machine (machines of our kind differ by about 3x): the script measures this one's float32 matmul peak
first (`bench/train.py`'s) and scales every budget, mark and interval by `--reference-peak` / peak
(430 GFLOP/s by default; 0 keeps this machine's seconds). Run it alone on an otherwise idle machine.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import yaml

from app.workspace import with_overrides
from common.knobs import ParamsError
from common.params import load_params, settings_from
from common.settings import TrainSettings, WindowSettings
from nanogpt import NanoGPTError, best_at_budget, check_inputs, nanogpt_points  # bench/: this script's folder
from quality_plot import save_plot
from quality_runs import MEASURES, at, corpus, run_recipe
from train import time_scale

PROJECT = Path(__file__).resolve().parent.parent
MARKS = (180, 600)   # seconds of the reference machine
# The JSON line's figures at each mark: key, recipe, measure.
REPORTED = (("val_nats", "new default", "val_nats"), ("nanogpt_metric", "new default", "nanogpt_metric"),
            ("nanogpt_256", "new default", "nanogpt_256"), ("article_recipe", "article", "val_nats"),
            ("old_default", "old default", "val_nats"),
            *((f"kept_{m}", "new default", f"kept_{m}") for m in MEASURES),
            *((f"candidate_{m}", "candidate", m) for m in MEASURES),
            *((f"candidate_kept_{m}", "candidate", f"kept_{m}") for m in MEASURES))
REFERENCE_PEAK = 430.0  # GFLOP/s: the float32 matmul peak the budgets are stated for (issue 23)
# The recipes as they were: the article's, and this project's defaults before issue 11 (whole runs: keep last).
HISTORIC = {
    "article": dict(section_length=50, step=10, objective="last", optimizer="sgd", learning_rate=0.01, clipnorm=0.0,
                    shuffle_buffer=0, batch_size=128, embedding=0, dropout=0.0, lr_schedule="constant",
                    warmup_steps=0, input_dropout=0.0, weight_decay=0.0, keep="last"),
    "old default": dict(section_length=50, step=10, objective="all", optimizer="adam", learning_rate=0.002,
                        clipnorm=5.0, shuffle_buffer=10_000, batch_size=128, embedding=0, dropout=0.0,
                        lr_schedule="constant", warmup_steps=0, input_dropout=0.0, weight_decay=0.0, keep="last"),
}
RECIPES = ("article", "old default", "new default", "candidate")


def overrides(pairs: list) -> dict:
    """`KEY=VALUE` pairs (dotted params.yaml keys, YAML values) as a dict."""
    parsed = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ParamsError(f"--set {pair}: write KEY=VALUE, e.g. --set train.dropout=0.3")
        parsed[key.strip()] = yaml.safe_load(value)
    return parsed


def recipes(args) -> dict:
    """name -> (TrainSettings, window step): the historic recipes, the new default (params.yaml) and,
    with --set, the candidate (params.yaml with those overrides); only those --only names."""
    params = load_params(PROJECT / "params.yaml")
    project = settings_from(TrainSettings, params)
    chosen = {name: (replace(project, **{k: v for k, v in recipe.items() if k != "step"}), recipe["step"])
              for name, recipe in HISTORIC.items()}
    chosen["new default"] = (project, settings_from(WindowSettings, params).step)
    changes = overrides(args.set)
    if changes:
        candidate = with_overrides(params, changes)
        chosen["candidate"] = (settings_from(TrainSettings, candidate), settings_from(WindowSettings, candidate).step)
    only = args.only or [name for name in RECIPES if name in chosen]
    missing = [name for name in only if name not in chosen]
    if missing:
        raise ParamsError(f"--only {missing[0]}: a candidate needs --set KEY=VALUE")
    own_size = "train.hidden_units" in changes  # a candidate that sets its size keeps it
    return {name: (replace(chosen[name][0], preview_every=0,
                           hidden_units=chosen[name][0].hidden_units if name == "candidate" and own_size else args.units),
                   chosen[name][1])
            for name in only}


def nanogpt_budgets(args, marks: list, reference_marks: list) -> dict:
    """nanoGPT's `best_at_budget` at each mark, by the reference minutes it stands for; {} without nanoGPT."""
    if not args.nanogpt:
        print("nanoGPT: not given (--nanogpt DIR --nanogpt-python PATH): ours alone", flush=True)
        return {}
    return {f"{reference // 60:.0f}min": best_at_budget(args.nanogpt, args.nanogpt_python, mark)
            for mark, reference in zip(marks, reference_marks)}


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=600.0,
                        help="training seconds per recipe, of the reference machine (default: 600)")
    parser.add_argument("--every", type=float, default=30.0,
                        help="seconds of training between evaluations, of the reference machine")
    parser.add_argument("--reference-peak", type=float, default=REFERENCE_PEAK, metavar="GFLOPS",
                        help=f"the matmul peak the seconds are stated for (default: {REFERENCE_PEAK:g}); 0: this "
                             "machine's seconds as they are")
    parser.add_argument("--units", type=int, default=256,
                        help="LSTM cells, the same for every recipe but a candidate that sets its own (default: 256)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="adds a recipe, `candidate`: params.yaml with this key set (repeat for several keys)")
    parser.add_argument("--only", action="append", choices=RECIPES, metavar="RECIPE",
                        help=f"run only this recipe (repeat for several; of: {', '.join(RECIPES)})")
    parser.add_argument("--nanogpt", type=Path, help="a checkout of karpathy/nanoGPT, run at the same budgets")
    parser.add_argument("--nanogpt-python", type=Path, help="a Python with torch, numpy and requests, for nanoGPT")
    parser.add_argument("--nanogpt-json", action="append", default=[], metavar="FILE",
                        help="the output of a bench/nanogpt.py run (its JSON line last), plotted as measured; "
                             "repeat for several budgets. Without it nanoGPT's published CPU figure is plotted")
    parser.add_argument("--plot", type=Path, default=Path(__file__).with_name("quality.png"),
                        help="where the plot goes (default: bench/quality.png, which the README shows); the "
                             "curves go beside it, as .json (bench/quality_plot.py redraws the plot from them)")
    args = parser.parse_args()
    args.nanogpt_points = nanogpt_points(args.nanogpt_json)  # before the long run: a bad file is refused at once
    if bool(args.nanogpt) != bool(args.nanogpt_python):
        parser.error("--nanogpt and --nanogpt-python go together: a checkout and the Python that runs it")
    if args.nanogpt:
        try:
            check_inputs(args.nanogpt.resolve(), args.nanogpt_python.absolute())
        except NanoGPTError as error:
            parser.error(str(error))
        args.nanogpt, args.nanogpt_python = args.nanogpt.resolve(), args.nanogpt_python.absolute()
    try:
        args.recipes = recipes(args)
    except (ParamsError, KeyError) as error:
        parser.error(str(error))
    return args


def peak_elsewhere() -> float:
    """`bench/train.py`'s matmul peak, measured in a process of its own: in this one TensorFlow must not
    start before the train stage's code sets its threads (`train.threads`)."""
    script = "import sys; sys.path.insert(0, sys.argv[1]); from train import matmul_peak_gflops; print(matmul_peak_gflops())"
    done = subprocess.run([sys.executable, "-c", script, str(Path(__file__).parent)], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"measuring the matmul peak failed:\n{done.stderr[-2000:]}")
    return float(done.stdout.split()[-1])


def main() -> None:
    args = arguments()
    reference_marks = [mark for mark in MARKS if mark <= args.budget]
    peak = peak_elsewhere()
    scale = time_scale(peak, args.reference_peak)
    clock = {"budget": args.budget * scale, "every": args.every * scale,
             "marks": [mark * scale for mark in reference_marks]}
    marks = clock["marks"]
    print(f"float32 matmul peak on this machine: {peak:.1f} GFLOP/s; a reference second ({args.reference_peak:g} "
          f"GFLOP/s) is {scale:.3f} s here: budget {clock['budget']:.0f} s of training per recipe", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        corpus_dir = corpus(Path(tmp))
        results = {name: run_recipe(name, settings, step, corpus_dir, Path(tmp), clock)
                   for name, (settings, step) in args.recipes.items()}
    budgets = nanogpt_budgets(args, marks, reference_marks)
    best_runs = {tag: min(b["runs"], key=lambda r: r["best_val_loss"]) for tag, b in budgets.items()}
    nanogpt = [{"val_loss": r["best_val_loss"], "train_s": r["train_s"], "label": f"nanoGPT's best at the {tag} "
                f"budget ({r['config']}, {r['max_iters']} iterations), measured in this run ({r['best_val_loss']:.3f})"}
               for tag, r in best_runs.items()] or args.nanogpt_points
    best_ngram = next(iter(results.values()))["best_ngram"]
    args.plot.with_suffix(".json").write_text(json.dumps({"results": results, "best_ngram": best_ngram, "nanogpt": nanogpt,
                                                          "candidate": args.set}, indent=1) + "\n", encoding="utf-8")
    save_plot(results, best_ngram, nanogpt, args.plot)
    for name, result in results.items():
        figures = ", ".join(f"{at(result['curve'], m, 'val_nats'):.4f} (kept model {at(result['curve'], m, 'kept_val_nats'):.4f}) "
                            f"at {r // 60:.0f} min" for m, r in zip(marks, reference_marks))
        print(f"{result['recipe']}\n  {figures}; scores {result['scores']}; sample at temperature 0.5:\n"
              f"{result['prompt']}|{result['sample'][:300]}\n")
    print(f"best n-gram on the same characters: {best_ngram:.4f}; plot: {args.plot}")
    line = {"units": args.units, "budget_s": args.budget, "budget_here_s": round(clock["budget"], 1),
            "matmul_peak_gflops": round(peak, 1), "reference_peak_gflops": args.reference_peak,
            "best_ngram": round(best_ngram, 4), "candidate": args.set}
    for mark, reference in zip(marks, reference_marks):
        tag = f"{reference // 60:.0f}min"
        for key, recipe, measure in REPORTED:
            if recipe in results:
                line[f"{key}_{tag}"] = round(at(results[recipe]["curve"], mark, measure), 4)
        if tag in budgets and "new default" in results:  # our kept model against nanoGPT's kept best: < 1 is ahead
            line[f"nanogpt_best_{tag}"] = best = budgets[tag]["best_val_loss"]
            line[f"ratio_to_nanogpt_{tag}"] = round(line[f"kept_nanogpt_metric_{tag}"] / best, 3)
    shares = ("known_words", "known_speakers", "well_formed_lines")
    line["scores"] = {name: {k: result["scores"]["sample"][k] for k in shares} for name, result in results.items()}
    line["scores"]["validation text"] = {k: next(iter(results.values()))["scores"]["validation text"][k] for k in shares}
    line["nanogpt"] = budgets or [{"source": "measured" if "max_iters" in point else "published",
                                   **{k: point[k] for k in ("max_iters", "train_s", "val_loss") if k in point}}
                                  for point in nanogpt]
    for point in nanogpt:
        print(f"{point['label']}: {point['val_loss']:.3f} after {point['train_s'] / 60:.1f} min of training")
    print(json.dumps(line))


if __name__ == "__main__":
    main()
