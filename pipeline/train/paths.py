"""The five paths of a training run, as one value.

In:  the train stage's command line: the windows, the corpus, and where the model, the checkpoints and
     DVCLive's files go, in that order (dvc.yaml's `cmd`).
Out: `TrainPaths(windows, corpus, models, checkpoints, dvclive)`, frozen, in the command line's order;
     `outputs_in(folder)`: the same run with its three outputs moved into `folder` (a worker's scratch
     space: only the chief of a multi-worker run writes the real ones).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class TrainPaths:
    windows: Path      # in: the window stage's shards and meta.json
    corpus: Path       # in: vocab.json, train.txt and val.txt
    models: Path       # out: model.keras and vocab.json, replaced when a run finishes
    checkpoints: Path  # out: a checkpoint after every epoch, what a rerun resumes from
    dvclive: Path      # out: metrics.json, plots/, samples/

    def __post_init__(self):
        for name, value in vars(self).items():
            object.__setattr__(self, name, Path(value))

    def outputs_in(self, folder: Path) -> TrainPaths:
        """The inputs as they are; each output under the same name in `folder`."""
        return replace(self, **{name: Path(folder) / getattr(self, name).name
                                for name in ("models", "checkpoints", "dvclive")})
