"""DVC stage `train`: `python -m pipeline.train WINDOWS_DIR CORPUS_DIR MODEL_DIR CHECKPOINTS_DIR LIVE_DIR`
(dvc.yaml passes the paths).

In:  the windows, the corpus (`train.txt`, `val.txt`, `vocab.json`); params `train.*` but `step`.
Out: MODEL_DIR, CHECKPOINTS_DIR and LIVE_DIR (see `pipeline/train/fit.py`); the validation loss and
the baselines on stdout. SIGTERM is handled like Ctrl-C: a checkpoint is saved, then the stage
exits, and rerunning resumes.
"""
import argparse
import signal
import sys
from pathlib import Path

from common.params import ParamsError
from common.settings import TrainSettings, load_settings
from common.vocab import VocabError
from common.windows import WindowError
from pipeline.train.callbacks import NonFiniteLoss
from pipeline.train.fit import train


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.train", description=__doc__.splitlines()[0])
    for name, meaning in (("windows_dir", "the training and validation windows"),
                          ("corpus_dir", "the corpus: vocab.json, and train.txt and val.txt for the baselines"),
                          ("model_dir", "where model.keras and vocab.json go"),
                          ("checkpoints_dir", "where the checkpoint goes after every epoch (a rerun resumes from it)"),
                          ("live_dir", "DVCLive's directory: metrics.json, plots/, samples/")):
        parser.add_argument(name, type=Path, help=meaning)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)  # `kill` and job schedulers: save, then stop
    try:
        summary = train(args.windows_dir, args.corpus_dir, args.model_dir, args.live_dir, args.checkpoints_dir,
                        load_settings(TrainSettings))
    except (ParamsError, WindowError, VocabError, NonFiniteLoss) as error:
        sys.exit(f"train: {error}")
    except KeyboardInterrupt:
        sys.exit(f"train: interrupted; the checkpoint in {args.checkpoints_dir}/ is saved. "
                 "Rerun `dvc repro` to resume.")
    evaluation = summary.get("eval", {})
    if "last_loss" in evaluation:
        print(f"validation: {evaluation['last_loss']:.4f} nats/char ({evaluation['bpc']:.3f} bpc) on the character "
              f"after each window; baselines: unigram {summary['baselines']['unigram']:.4f}, "
              f"best n-gram {summary['baselines']['best_ngram']:.4f}")


if __name__ == "__main__":
    main()
