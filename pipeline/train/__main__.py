"""DVC stage `train`: `python -m pipeline.train WINDOWS_DIR CORPUS_DIR MODEL_DIR CHECKPOINTS_DIR LIVE_DIR`
(dvc.yaml passes the paths).

In:  the windows, the corpus (`train.txt`, `val.txt`, `vocab.json`); params `train.*` but `step`.
Out: MODEL_DIR, CHECKPOINTS_DIR and LIVE_DIR (see `pipeline/train/fit.py`); the validation loss and
the baselines on stdout. SIGTERM (and SIGHUP) is handled like Ctrl-C: the batch being trained is
finished, a checkpoint of exactly that point is saved, the stage exits, and rerunning resumes from
there; so is the end of the process that started the trainer (`dvc repro` killed). One trainer at a
time per checkpoint directory; a failed run puts back the last good one (see `fit.train`).
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
from pipeline.train.guard import Locked, watch_parent


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.train", description=__doc__.splitlines()[0])
    for name, meaning in (("windows_dir", "the training and validation windows"),
                          ("corpus_dir", "the corpus: vocab.json, and train.txt and val.txt for the baselines"),
                          ("model_dir", "where model.keras and vocab.json go"),
                          ("checkpoints_dir", "where the checkpoint goes after every epoch (a rerun resumes from it)"),
                          ("live_dir", "DVCLive's directory: metrics.json, plots/, samples/")):
        parser.add_argument(name, type=Path, help=meaning)
    args = parser.parse_args(argv)
    stop = StopRequest()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # Ctrl-C, `kill`, schedulers, a closed terminal
        if signal.getsignal(signum) is not signal.SIG_IGN:  # `nohup` asked to ignore SIGHUP: keep it so
            signal.signal(signum, stop)
    watch_parent(stop)
    try:
        summary = train(args.windows_dir, args.corpus_dir, args.model_dir, args.live_dir, args.checkpoints_dir,
                        load_settings(TrainSettings), stop=stop)
    except (ParamsError, WindowError, VocabError, NonFiniteLoss, CheckpointError, Locked, UnsupportedKeras) as error:
        sys.exit(f"train: {error}")
    except Interrupted as where:
        print(f"train: interrupted {where}; the checkpoint in {args.checkpoints_dir}/ holds exactly that point. "
              "Rerun `dvc repro` to resume.", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt:
        print(f"train: stopped at once; the last checkpoint in {args.checkpoints_dir}/ is kept. "
              "Rerun `dvc repro` to resume from it.", file=sys.stderr)
        sys.exit(130)
    evaluation, baselines = summary.get("eval", {}), summary.get("baselines", {})
    if "nats_per_char" in evaluation:
        print(f"validation: {evaluation['nats_per_char']:.4f} nats/char ({evaluation['bpc']:.3f} bpc) over every "
              f"character, read in order; baselines on the same characters: unigram {baselines['unigram']:.4f}, "
              f"best n-gram {baselines['best_ngram']:.4f}")


if __name__ == "__main__":
    main()
