"""DVC stage `train`: `python -m pipeline.train`.

In:  `data/windows/`, `data/corpus/{train,val}.txt` and `vocab.json`; params `train.*`.
Out: `models/`, `checkpoints/` and `dvclive/` (see `pipeline/train/fit.py`); the validation loss
and the baselines on stdout. SIGTERM is handled like Ctrl-C: a checkpoint is saved, then the
stage exits, and rerunning resumes.
"""
import signal
import sys
from pathlib import Path

from common.params import ParamsError, load_params
from common.vocab import VocabError
from common.windows import WindowError
from pipeline.train.callbacks import NonFiniteLoss
from pipeline.train.fit import train


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)  # `kill` and job schedulers: save, then stop
    try:
        params = load_params()
        summary = train(Path("data/windows"), Path("data/corpus"), Path("models"), Path("dvclive"),
                        Path("checkpoints"), params["train"])
    except (ParamsError, WindowError, VocabError, NonFiniteLoss) as error:
        sys.exit(f"train: {error}")
    except KeyboardInterrupt:
        sys.exit("train: interrupted; the checkpoint in checkpoints/ is saved. Rerun `dvc repro` to resume.")
    evaluation = summary.get("eval", {})
    if "last_loss" in evaluation:
        print(f"validation: {evaluation['last_loss']:.4f} nats/char ({evaluation['bpc']:.3f} bpc) on the character "
              f"after each window; baselines: unigram {summary['baselines']['unigram']:.4f}, "
              f"best n-gram {summary['baselines']['best_ngram']:.4f}")


if __name__ == "__main__":
    main()
