"""Benchmark: nanoGPT's own train.py on tiny Shakespeare, its README's CPU command, on this machine.

In:  a checkout of nanoGPT (`--nanogpt DIR`: its README.md, train.py, model.py, configurator.py,
     config/train_shakespeare_char.py, data/shakespeare_char/prepare.py), a Python with torch, numpy
     and requests (`--python PATH`, a virtualenv of its own: see BENCHMARKS.md for both), and the
     project's texts/tinyshakespeare.txt, the very file nanoGPT's prepare.py would download.
Out: nanoGPT's output as it runs, then its wall time, CPU seconds, training time (its own per-iteration
     times, the iterations that evaluated counted at the median), every evaluation's validation loss,
     the final and the best, and one JSON line last. `nanogpt_points(files)` reads saved outputs back
     (bench/quality.py plots them), or gives nanoGPT's published CPU figure, labelled so, without any.

The command is the one nanoGPT's README gives for a CPU ("I only have a macbook"), read from the
checkout's README.md, with `--max_iters N` and `--lr_decay_iters N` set to `--max_iters` (2000 as
written; 6000 or 20000 for a longer budget) and `--out_dir` in a temporary directory. The files it
needs are copied there with input.txt beside prepare.py, so prepare.py finds the text and downloads
nothing, and nothing is written into the checkout or the project. Proxies point at a closed port of
127.0.0.1, so a request that should not happen fails instead of leaving the machine.
Its validation loss is nanoGPT's estimate: the mean over `eval_iters` random batches of 64-character
blocks (bench/quality.py's "nanoGPT's measure" reads every block of the validation text instead).
Run: `.venv/bin/python bench/nanogpt.py --nanogpt DIR --python PATH [--max_iters 2000]`, with nothing
else running on the machine; `--budget SECONDS` runs instead what bench/quality.py runs at a budget
(`best_at_budget`) and prints its JSON.
"""
import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from timed import machine, run_timed  # bench/ is this script's own folder, first on sys.path

PROJECT = Path(__file__).resolve().parent.parent
TEXT = PROJECT / "texts" / "tinyshakespeare.txt"
NEEDED = ("README.md", "train.py", "model.py", "configurator.py", "config/train_shakespeare_char.py",
          "data/shakespeare_char/prepare.py")
README_COMMAND = re.compile(r"^python train\.py config/train_shakespeare_char\.py --device=cpu .*$", re.M)
EVAL_LINE = re.compile(r"^step (\d+): train loss ([\d.]+), val loss ([\d.]+)")
ITER_LINE = re.compile(r"^iter (\d+): loss [\d.]+, time ([\d.]+)ms")
CLOSED_PORT = "http://127.0.0.1:9"
HOW = "see BENCHMARKS.md, 'nanoGPT side by side', for how to get a checkout and a virtualenv with torch"


class NanoGPTError(Exception):
    pass


# Without --nanogpt-json, nanoGPT's CPU figure is the one its README publishes, on its author's machine.
NANOGPT_PUBLISHED = {"val_loss": 1.88, "train_s": 180, "label": "nanoGPT, CPU config, 2000 iterations: published "
                     "(its README: loss 1.88 in about 3 min on its author's CPU)"}


def nanogpt_points(files: list) -> list:
    """nanoGPT's points for the plot: measured (the JSON line of bench/nanogpt.py, last in each file), or published."""
    points = []
    for path in files:
        lines = [line for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
        try:
            run = json.loads(lines[-1])
            points.append({"val_loss": run["final_val_loss"], "train_s": run["train_s"], "max_iters": run["max_iters"],
                           "label": f"nanoGPT, CPU config, {run['max_iters']} iterations: measured here by "
                                    f"bench/nanogpt.py ({run['final_val_loss']:.3f})"})
        except (IndexError, ValueError, KeyError) as error:
            raise SystemExit(f"--nanogpt-json {path}: its last line is not bench/nanogpt.py's JSON line ({error!r}); "
                             "save that script's output (e.g. with `| tee FILE`) and pass the file.") from None
    return points or [NANOGPT_PUBLISHED]


def check_inputs(nanogpt: Path, python: Path) -> str:
    """Refuse a checkout or a Python that cannot run the benchmark, saying what is missing; torch's version."""
    missing = [name for name in NEEDED if not (nanogpt / name).is_file()]
    if missing:
        raise NanoGPTError(f"--nanogpt {nanogpt}: not a nanoGPT checkout (missing {', '.join(missing)}); {HOW}.")
    if not python.is_file():
        raise NanoGPTError(f"--python {python}: no such file; {HOW}.")
    try:
        probe = subprocess.run([str(python), "-c", "import numpy, requests, torch; print(torch.__version__)"],
                               capture_output=True, text=True)
        failure = probe.stderr.strip().splitlines()[-1] if probe.returncode and probe.stderr.strip() else "no message"
    except OSError as error:  # not executable, not a program
        probe, failure = None, str(error)
    if probe is None or probe.returncode != 0:
        raise NanoGPTError(f"--python {python} cannot import numpy, requests and torch ({failure}); {HOW}.")
    return probe.stdout.strip()


def readme_args(nanogpt: Path) -> list[str]:
    """The arguments of nanoGPT's README command for a CPU, after `python train.py`."""
    found = README_COMMAND.findall((nanogpt / "README.md").read_text(encoding="utf-8"))
    if len(found) != 1:
        raise NanoGPTError(f"{nanogpt / 'README.md'}: found {len(found)} lines 'python train.py "
                           "config/train_shakespeare_char.py --device=cpu ...', expected the one CPU command.")
    return shlex.split(found[0])[2:]


def with_option(args: list[str], name: str, value) -> list[str]:
    """`args` with `--name=value`, replacing the one it has."""
    kept = [arg for arg in args if not arg.startswith(f"--{name}=")]
    return [*kept, f"--{name}={value}"]


def offline_env() -> dict:
    env = {key: value for key, value in os.environ.items() if "proxy" not in key.lower()}
    for key in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[key] = CLOSED_PORT
    env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1", WANDB_MODE="disabled")
    return env


def stage(nanogpt: Path, work: Path) -> None:
    """Copy what train.py needs into `work`, tiny Shakespeare as the input.txt prepare.py looks for."""
    for name in NEEDED[1:]:
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(nanogpt / name, work / name)
    shutil.copyfile(TEXT, work / "data/shakespeare_char/input.txt")


def summarise(lines: list, eval_interval: int) -> dict:
    evals = [(int(m[1]), float(m[3])) for _, line in lines if (m := EVAL_LINE.match(line))]
    iters = {int(m[1]): float(m[2]) / 1000 for _, line in lines if (m := ITER_LINE.match(line))}
    if not evals or not iters:
        raise NanoGPTError("train.py printed no 'step N: ... val loss' or 'iter N: ... time' line; its output "
                           "format changed, or it failed (see its output above).")
    # An iteration that evaluated includes the evaluation in its time: count it at the median instead.
    plain = [s for i, s in iters.items() if i % eval_interval]
    median = statistics.median(plain or iters.values())
    train_s = sum(plain) + median * (len(iters) - len(plain))
    best = min(evals, key=lambda e: e[1])
    return {"iterations": len(iters), "train_s": round(train_s, 1), "loop_s": round(sum(iters.values()), 1),
            "median_iter_ms": round(median * 1000, 2), "val_curve": evals, "final_step": evals[-1][0],
            "final_val_loss": evals[-1][1], "best_val_loss": best[1], "best_step": best[0]}


def run(nanogpt: Path, python: Path, max_iters: int, options: dict | None = None) -> dict:
    """nanoGPT's README command for a CPU with `max_iters` (and `lr_decay_iters`), and `options` (e.g.
    {"dropout": 0.1}) replacing its values; the summary of its run."""
    torch_version = check_inputs(nanogpt, python)
    args = with_option(with_option(readme_args(nanogpt), "max_iters", max_iters), "lr_decay_iters", max_iters)
    for name, value in (options or {}).items():
        args = with_option(args, name, value)
    eval_interval = 250  # config/train_shakespeare_char.py's; the last evaluation must fall on the last step
    if max_iters % eval_interval:
        eval_interval = max_iters
        args = with_option(args, "eval_interval", eval_interval)
    with tempfile.TemporaryDirectory(prefix="bench-nanogpt-") as tmp:
        work = Path(tmp)
        stage(nanogpt, work)
        prepared = run_timed([str(python), "data/shakespeare_char/prepare.py"], work, offline_env())
        if prepared.returncode != 0:
            raise NanoGPTError(f"prepare.py exited {prepared.returncode}:\n{prepared.tail()}")
        command = [str(python), "train.py", *args, f"--out_dir={work / 'out'}"]
        print(f"running in {work}: {shlex.join(command)}", flush=True)
        timed = run_timed(command, work, offline_env())
        if timed.returncode != 0:
            raise NanoGPTError(f"train.py exited {timed.returncode}:\n{timed.tail()}")
    return {"max_iters": max_iters, "options": options or {}, "command": shlex.join(["python", "train.py", *args]),
            "wall_s": round(timed.wall_s, 1), "cpu_s": round(timed.cpu_s, 1), **summarise(timed.lines, eval_interval),
            "torch": torch_version, "nanogpt_commit": commit_of(nanogpt)}


# What nanoGPT runs at a budget: its README's CPU configuration, and one we expect to do better in
# minutes (a higher learning rate; dropout 0.1 and a 192-wide model did worse in issue 23's trials).
BUDGET_CONFIGS = {"README": {}, "lr 2e-3": {"learning_rate": 0.002, "min_lr": 0.0002}}
PROBE_ITERS = 250  # one evaluation interval: a 30-iteration probe's median was 23 % under whole runs' (BENCHMARKS.md)
FIT = 0.05  # a whole run whose training time is within 5 % of the budget fills it


def fill_budget(run_at, budget_s: float, probe_ms: float) -> dict:
    """`run_at(max_iters)`'s summary for the iterations that fill `budget_s` seconds of training: first as
    many as the probe's median iteration time (`probe_ms`) says, then, if that whole run's training time
    missed the budget by more than FIT (its iterations slower or faster than the probe's), once more with
    them scaled by budget / training time; the run nearer the budget, with `tries`: [(iterations, s)]."""
    max_iters = max(1, round(budget_s / (probe_ms / 1000)))
    runs = [run_at(max_iters)]
    if abs(runs[0]["train_s"] - budget_s) > FIT * budget_s:
        runs.append(run_at(max(1, round(max_iters * budget_s / runs[0]["train_s"]))))
    result = min(runs, key=lambda r: abs(r["train_s"] - budget_s))
    return {**result, "tries": [(r["max_iters"], r["train_s"]) for r in runs]}


def best_at_budget(nanogpt: Path, python: Path, budget_s: float) -> dict:
    """Each of BUDGET_CONFIGS as a whole run whose iterations fill `budget_s` seconds of training (its
    schedule decaying over them), counted as `fill_budget` does from a probe run's median iteration time;
    every run, and the best validation loss of them all."""
    runs = []
    for name, options in BUDGET_CONFIGS.items():
        probe = run(nanogpt, python, PROBE_ITERS, options)
        result = fill_budget(lambda iters: run(nanogpt, python, iters, options), budget_s, probe["median_iter_ms"])
        runs.append({"config": name, **{k: result[k] for k in ("max_iters", "options", "train_s", "median_iter_ms",
                                                               "final_val_loss", "best_val_loss", "best_step", "tries")}})
        print(f"nanoGPT {name} at {budget_s:.0f} s: {result['max_iters']} iterations, {result['train_s']:.0f} s of "
              f"training (tried {result['tries']}), best validation loss {result['best_val_loss']:.4f}", flush=True)
    return {"budget_s": round(budget_s, 1), "best_val_loss": min(r["best_val_loss"] for r in runs), "runs": runs}


def commit_of(nanogpt: Path) -> str | None:
    found = subprocess.run(["git", "-C", str(nanogpt), "rev-parse", "HEAD"], capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nanogpt", type=Path, required=True, help="a checkout of karpathy/nanoGPT")
    parser.add_argument("--python", type=Path, required=True, help="a Python with torch, numpy and requests")
    parser.add_argument("--max_iters", type=int, default=2000,
                        help="iterations (and lr_decay_iters); the README's 2000, or e.g. 6000, 20000 (default: 2000)")
    parser.add_argument("--budget", type=float, metavar="SECONDS",
                        help="instead: each of its budget configurations filling SECONDS of training, as "
                             "bench/quality.py runs them; their JSON last")
    args = parser.parse_args()
    if args.max_iters < 1 or (args.budget is not None and args.budget <= 0):
        parser.error("--max_iters must be at least 1, --budget above 0")
    try:
        if args.budget is not None:
            print(json.dumps({**best_at_budget(args.nanogpt.resolve(), args.python.absolute(), args.budget),
                              **machine()}))
            return
        line = run(args.nanogpt.resolve(), args.python.absolute(), args.max_iters)
    except NanoGPTError as error:
        sys.exit(f"bench/nanogpt.py: {error}")
    line.update(machine())
    print(f"\nnanoGPT {line['command']}")
    print(f"wall {line['wall_s']:.0f} s ({line['cpu_s']:.0f} CPU-s), training {line['train_s']:.0f} s "
          f"({line['iterations']} iterations, median {line['median_iter_ms']:.0f} ms)")
    print(f"validation loss (nanoGPT's estimate): final {line['final_val_loss']:.4f} at step {line['final_step']}, "
          f"best {line['best_val_loss']:.4f} at step {line['best_step']}")
    print(json.dumps(line))


if __name__ == "__main__":
    main()
