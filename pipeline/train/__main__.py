"""DVC stage `train`: `python -m pipeline.train WINDOWS_DIR CORPUS_DIR MODEL_DIR CHECKPOINTS_DIR LIVE_DIR`
(dvc.yaml passes the paths; they travel together as a `TrainPaths`, `paths.py`).

In:  the windows, the corpus (`train.txt`, `val.txt`, `vocab.json`); params `train.*` but `step`.
Out: MODEL_DIR, CHECKPOINTS_DIR and LIVE_DIR (see `pipeline/train/fit.py`); the validation loss and
the baselines on stdout.

One run, top to bottom (`fit.train`):
  1. the signals (and, under DVC, the end of `dvc repro`: `parent_watch.py`) only request a stop;
  2. the `tf.distribute` strategy, then the lock on CHECKPOINTS_DIR: one trainer at a time (`lock.py`);
  3. the vocabulary and the windows' meta.json, refusing what cannot train (`data.TrainingData`);
  4. the last good run copied aside, or put back after an abandoned attempt (`lastgood.py`);
  5. the resume point: the checkpoint of this very run (params, data, code), or the beginning;
  6. the model built, or loaded with its optimizer state (`build.py`);
  7. Keras's `fit`, epoch by epoch; after each, the evaluation on the held-out text logged to DVCLive,
     every few epochs (as params say) a preview of generated text, and a checkpoint (`callbacks.py`);
  8. the model copied to MODEL_DIR, the copy of the last good run dropped.
A failure (NaN/inf loss, any exception) puts the last good run back. SIGTERM (and SIGHUP) is handled
like Ctrl-C: the batch being trained is finished, a checkpoint of exactly that point is saved, the
stage exits with 130, and rerunning resumes from there; a second signal stops at once.
"""
import argparse
import signal
import sys
from pathlib import Path

from common.params import ParamsError, load_settings
from common.settings import TrainSettings
from common.vocab import VocabError
from common.windows import WindowError
from pipeline.train.callbacks import Interrupted, NonFiniteLoss, StopRequest
from pipeline.train.checkpoint import CheckpointError
from pipeline.train.distribute import UnsupportedKeras
from pipeline.train.fit import train
from pipeline.train.lock import Locked
from pipeline.train.parent_watch import watch_parent
from pipeline.train.paths import TrainPaths


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.train", description=__doc__.splitlines()[0])
    for name, shown, meaning in (
            ("windows", "windows_dir", "the training and validation windows"),
            ("corpus", "corpus_dir", "the corpus: vocab.json, and train.txt and val.txt for the baselines"),
            ("models", "model_dir", "where model.keras and vocab.json go"),
            ("checkpoints", "checkpoints_dir", "where the checkpoint goes after every epoch (a rerun resumes from it)"),
            ("dvclive", "live_dir", "DVCLive's directory: metrics.json, plots/, samples/")):
        parser.add_argument(name, metavar=shown, type=Path, help=meaning)
    paths = TrainPaths(**vars(parser.parse_args(argv)))
    stop = StopRequest()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # Ctrl-C, `kill`, schedulers, a closed terminal
        if signal.getsignal(signum) is not signal.SIG_IGN:  # `nohup` asked to ignore SIGHUP: keep it so
            signal.signal(signum, stop)
    watch_parent(stop)
    try:
        summary = train(paths, load_settings(TrainSettings), stop=stop)
    except (ParamsError, WindowError, VocabError, NonFiniteLoss, CheckpointError, Locked, UnsupportedKeras) as error:
        sys.exit(f"train: {error}")
    except Interrupted as where:
        print(f"train: interrupted {where}; the checkpoint in {paths.checkpoints}/ holds exactly that point. "
              "Rerun `dvc repro` to resume.", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt:
        print(f"train: stopped at once; the last checkpoint in {paths.checkpoints}/ is kept. "
              "Rerun `dvc repro` to resume from it.", file=sys.stderr)
        sys.exit(130)
    evaluation, baselines = summary.get("eval", {}), summary.get("baselines", {})
    if "nats_per_char" in evaluation:
        print(f"validation: {evaluation['nats_per_char']:.4f} nats/char ({evaluation['bpc']:.3f} bpc) over every "
              f"character, read in order; baselines on the same characters: unigram {baselines['unigram']:.4f}, "
              f"best n-gram {baselines['best_ngram']:.4f}")


if __name__ == "__main__":
    main()
