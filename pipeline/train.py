"""The `train` stage: fit the character LSTM on the training windows, measured on held-out episodes.

In:  `data/windows/` (see `pipeline/window.py`), `data/corpus/vocab.json`; params `train.*`.
Out: `models/model.keras` and `models/vocab.json` (the vocabulary the model was trained with);
     `dvclive/metrics.json` (final train and validation loss in nats/char, and bits per char) and
     `dvclive/plots/metrics/{train,eval}/loss.tsv` (one row per epoch) through DVCLive.

The loss is sparse categorical cross-entropy on the character after each window (the article's
many-to-one objective). Validation loss is computed on whole episodes the model never trains on.
"""
from __future__ import annotations

import math
import shutil
import sys
from pathlib import Path

import keras
import tensorflow as tf
from dvclive import Live
from dvclive.keras import DVCLiveCallback

from pipeline.data import count_windows_in, window_dataset
from pipeline.model import build_model
from pipeline.params import ParamsError, load_params
from pipeline.window import WindowError, load_vocab


def make_optimizer(name: str, learning_rate: float) -> keras.optimizers.Optimizer:
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate)
    # clipnorm keeps one bad batch from wrecking an LSTM (char-rnn clips at 5 too).
    return keras.optimizers.Adam(learning_rate, clipnorm=5.0)


def train(windows_dir: Path, vocab_path: Path, model_dir: Path, live_dir: Path, settings: dict,
          *, verbose: int = 2) -> dict:
    """Train a model with `settings` (the `train` params group); return its final metrics."""
    keras.utils.set_random_seed(settings["seed"])
    chars = load_vocab(vocab_path)
    common = dict(section_length=settings["section_length"], chars=chars, batch_size=settings["batch_size"])
    train_data = window_dataset(windows_dir, "train", shuffle_buffer=settings["shuffle_buffer"],
                                seed=settings["seed"], **common)
    if count_windows_in(windows_dir, "train") == 0:
        raise WindowError(f"{windows_dir}: no training windows; the corpus is shorter than "
                          f"section_length + 1 = {settings['section_length'] + 1} characters.")
    has_val = count_windows_in(windows_dir, "val") > 0
    val_data = window_dataset(windows_dir, "val", **common) if has_val else None

    model = build_model(len(chars), hidden_units=settings["hidden_units"], layers=settings["layers"],
                        embedding=settings["embedding"], dropout=settings["dropout"])
    model.compile(optimizer=make_optimizer(settings["optimizer"], settings["learning_rate"]),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    with Live(str(live_dir), dvcyaml=False, save_dvc_exp=False) as live:
        history = model.fit(train_data, validation_data=val_data, epochs=settings["epochs"],
                            callbacks=[DVCLiveCallback(live=live)], verbose=verbose)
        metrics = {"loss": history.history["loss"][-1]}
        if has_val:
            metrics["val_loss"] = history.history["val_loss"][-1]
            live.summary.setdefault("eval", {})["bpc"] = metrics["val_loss"] / math.log(2)
        live.summary.setdefault("train", {})["bpc"] = metrics["loss"] / math.log(2)
        live.summary["params"] = model.count_params()
    model_dir.mkdir(parents=True, exist_ok=True)
    model.save(model_dir / "model.keras")
    shutil.copyfile(vocab_path, model_dir / "vocab.json")
    return metrics


def main() -> None:
    try:
        params = load_params()
        metrics = train(Path("data/windows"), Path("data/corpus/vocab.json"), Path("models"),
                        Path("dvclive"), params["train"])
    except (ParamsError, WindowError) as error:
        sys.exit(f"train: {error}")
    print("final " + ", ".join(f"{k} {v:.4f} nats/char" for k, v in metrics.items()))


if __name__ == "__main__":
    main()
