"""Benchmark: multi-worker training's wall time against one worker, on the same data and model.

In:  `bench/window.py`'s generated corpus, windowed by the window stage's own `make_windows`; the
     train stage's own command (`python -m pipeline.train`), with params.yaml's recipe but `--units`
     cells, `--epochs` epochs and no samples, run in temporary directories, CPU only.
Out: the wall time of one worker (train.strategy: one_device) and of `--workers` worker processes on
     127.0.0.1 (train.strategy: multi_worker, TF_CONFIG each, one shared global batch), their ratio,
     and the difference per extra worker; one JSON line last. Each run includes TensorFlow's start,
     the validation pass and saving, as a user's run does.

On one machine the workers share its cores and add an all-reduce of every gradient per batch, so
this measures what a worker costs, not a speed-up: that needs a machine per worker.
Run: `.venv/bin/python bench/multi_worker.py [--workers 2] [--units 256] [--epochs 2]` on an idle machine.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from common.settings import WindowSettings
from pipeline.train.distribute import local_addresses, tf_config
from pipeline.window.write import make_windows
from train import PROJECT  # bench/ is this script's own folder, first on sys.path
from window import generate_corpus


def prepare(directory: Path, chars: int, **train) -> Path:
    """A directory as one machine would hold it: corpus/, windows/ and a params.yaml."""
    generate_corpus(directory / "corpus", chars)
    params = yaml.safe_load((PROJECT / "params.yaml").read_text())
    params["train"].update(train)
    (directory / "params.yaml").write_text(yaml.safe_dump(params))
    make_windows(directory / "corpus", directory / "windows", directory / "windows.json",
                 WindowSettings(params["train"]["section_length"], params["train"]["step"], "none"), progress=False)
    return directory


def timed_run(directories: list[Path]) -> float:
    """Seconds until every worker (one per directory; one directory: no cluster) has finished."""
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "2"}
    addresses = local_addresses(len(directories))
    start = time.perf_counter()
    processes = [subprocess.Popen([sys.executable, "-m", "pipeline.train", "windows", "corpus", "models",
                                   "checkpoints", "dvclive"], cwd=directory, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True,
                                  env={**env, "TF_CONFIG": tf_config(addresses, index)} if len(directories) > 1 else env)
                 for index, directory in enumerate(directories)]
    for process in processes:
        if process.wait() != 0:
            sys.exit(f"a worker failed:\n{process.stderr.read()[-3000:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--chars", type=int, default=300_000, help="characters of generated corpus (default: 300000)")
    args = parser.parse_args()
    train = dict(hidden_units=args.units, epochs=args.epochs, preview_every=0)
    with tempfile.TemporaryDirectory() as tmp:
        single = prepare(Path(tmp) / "single", args.chars, strategy="one_device", **train)
        cluster = [prepare(Path(tmp) / f"worker{i}", args.chars, strategy="multi_worker", **train)
                   for i in range(args.workers)]
        one = timed_run([single])
        print(f"one worker: {one:.1f} s ({args.units} cells, {args.epochs} epochs, {args.chars:,} characters)",
              flush=True)
        several = timed_run(cluster)
    print(f"{args.workers} workers on this machine: {several:.1f} s = {several / one:.2f}x the time of one; "
          f"{(several - one) / (args.workers - 1):+.1f} s per extra worker")
    print(json.dumps({"workers": args.workers, "units": args.units, "epochs": args.epochs, "chars": args.chars,
                      "one_worker_s": round(one, 1), "workers_s": round(several, 1),
                      "ratio": round(several / one, 3)}))


if __name__ == "__main__":
    main()
