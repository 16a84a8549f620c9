"""The train stage's core: fit the character LSTM on the training windows, measured on held-out episodes.

In:  `data/windows/` (see `common/windows.py`), `data/corpus/{train,val}.txt` and `vocab.json`
     (`TrainPaths`, `paths.py`); params `train.*`.
Out: `models/model.keras` and `models/vocab.json` (the vocabulary the model was trained with);
     `checkpoints/` (after every epoch; a rerun resumes from it); through DVCLive, `dvclive/metrics.json`
     (final train and validation numbers, and the n-gram baselines beside them),
     `dvclive/plots/metrics/{train,eval}/*.tsv` (one row per epoch) and `dvclive/samples/`.

Objectives: `last` predicts the character after each window (the article); `all` predicts the next
character at every position of the window. After every epoch the model reads the whole validation
text in order, carrying its state, and `eval/nats_per_char` (and `eval/bpc`) is its mean loss on
every character, the standard measure, with the n-gram baselines scored on the same characters; the
article's last-position loss on the validation windows stays as `eval/last_loss`.
An interrupted run (Ctrl-C, SIGTERM) saves a checkpoint at the end of the batch it is in and exits;
rerunning continues from exactly there, on the same batches in the same order (each epoch's shuffle
has its own seed), so it ends with the weights the run would have had uninterrupted.
Under faults: the run holds `checkpoints/` alone (`lock.py`), and a run that fails (NaN/inf loss,
any exception) puts back the checkpoint and DVCLive files of the last good run, which it copied
aside before starting (`lastgood.py`: why a copy rather than a staging directory).
"""
from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass

import keras
import tensorflow as tf
from dvclive import Live

from common.generate import pick_prompt
from common.model import precision
from common.params import ParamsError
from common.scores import Reference
from common.settings import TrainSettings
from pipeline.train import best, checkpoint, history, streams, threads
from pipeline.train.build import build_or_load
from pipeline.train.callbacks import Checkpointer, EpochLogger, NaNGuard, NonFiniteLoss, PreviewWriter, StopRequest
from pipeline.train.data import Order, TrainingData, training_batches, window_dataset
from pipeline.train.distribute import following_chief, make_strategy, say_done, shard_by_data, worker_paths
from pipeline.train.evaluate import StreamEvaluator, baselines, corpus_ids
from pipeline.train.fingerprint import fingerprint
from pipeline.train.lastgood import LastGood
from pipeline.train.lock import exclusive
from pipeline.train.paths import TrainPaths


def train(paths: TrainPaths, settings: TrainSettings, *, verbose: int = 2, callbacks: tuple = (),
          stop: StopRequest | None = None) -> dict:
    """Train (or resume) a model with `settings` (params `train.*`); return the final summary.
    `stop` is set by the stage's signal handler; `callbacks` are extra Keras callbacks, run before
    ours (tests use them to inject faults). Holds `checkpoints/` alone (`lock.Locked` otherwise);
    a run that fails (non-finite loss, an exception) puts back the last good run (`lastgood.py`)."""
    print(threads.apply(settings), flush=True)  # before TensorFlow starts its thread pools
    strategy = make_strategy(settings.strategy)  # before any other TensorFlow work (multi_worker needs it)
    refused = streams.refusal(settings, strategy.num_replicas_in_sync)
    if refused:
        raise ParamsError(refused)
    if settings.deterministic:  # for the process: the stage runs one training
        tf.config.experimental.enable_op_determinism()
    with worker_paths(strategy, paths) as paths, exclusive(paths.checkpoints), precision(settings.mixed_precision):
        keras.utils.set_random_seed(settings.seed)
        data = TrainingData.read(paths, settings)  # refuses what cannot train, before anything is touched
        current = fingerprint(settings, data.meta)
        last_good = LastGood(paths.checkpoints, paths.dvclive)
        last_good.set_aside(current)  # before anything below clears or overwrites a file of the last good run
        resume = checkpoint.resume_point(paths.checkpoints, current, settings.epochs)  # raises if damaged
        resume = following_chief(strategy, resume)  # the chief's position, on every worker
        print(resume.message, flush=True)
        with last_good.put_back_on_failure():
            model = build_or_load(settings, data, resume, paths.checkpoints, strategy)
            summary = fit(model, Run(paths, settings, data, resume, current),
                          stop=stop or StopRequest(), callbacks=callbacks, verbose=verbose)
            publish(paths, settings.keep)
            say_done(strategy, model)
    return summary


@dataclass(frozen=True)
class Run:
    """One training run: where it reads and writes, its settings and data, where it starts, and its
    fingerprint (what a checkpoint must match to be resumed by it)."""
    paths: TrainPaths
    settings: TrainSettings
    data: TrainingData
    resume: checkpoint.Resume
    fingerprint: dict


def fit(model: keras.Model, run: Run, *, stop: StopRequest, callbacks: tuple, verbose: int) -> dict:
    """Train `model` from `run.resume` to `settings.epochs`, epoch by epoch: after each, the evaluation
    and DVCLive's log (`EpochLogger`), the previews (`PreviewWriter`) and the checkpoint (`Checkpointer`,
    which also stops on `stop`); `NaNGuard` watches every batch. The DVCLive summary."""
    paths, settings, data, resume = run.paths, run.settings, run.data, run.resume
    val_data = shard_by_data(window_dataset(paths.windows, "val", data.batching)) if data.validates() else None
    if resume.fresh:  # DVCLive clears its own files on a fresh start; the samples are ours
        shutil.rmtree(paths.dvclive / "samples", ignore_errors=True)
    elif resume.live:  # the curves are the checkpoint's, whatever a killed run left in dvclive/
        history.put_back(paths.checkpoints / resume.live, paths.dvclive)
    guard = NaNGuard(uniform_nats=math.log(len(data.chars)),
                     best_nats=None if resume.fresh else history.best(paths.dvclive, "eval/loss"))
    saver = Checkpointer(paths, run.fingerprint, guard, stop, data.batches, resume)
    prompt = pick_prompt("", paths.corpus / "val.txt", settings.section_length, settings.seed)
    ids = corpus_ids(paths.corpus, data.chars)
    with Live(str(paths.dvclive), dvcyaml=False, save_dvc_exp=False, resume=not resume.fresh) as live:
        live.step = resume.epochs_done  # the checkpoint, not DVCLive's own count, says where the run is
        # the baselines first: a page following the run shows its n-gram line from the first epoch, and
        # `dvc plots` draws eval/best_ngram, logged every epoch, beside the curve
        scored = baselines(ids, data.chars)  # NaN without validation text: leave those out of the JSON
        live.summary["baselines"] = {k: v for k, v in scored.items() if isinstance(v, (int, float)) and v == v}
        constant = {"eval/best_ngram": scored["best_ngram"]} if "best_ngram" in live.summary["baselines"] else {}
        logger = EpochLogger(live, data.targets_per_epoch, StreamEvaluator(ids["val"]), guard, constant)
        scoring = (Reference((paths.corpus / "train.txt").read_text(encoding="utf-8")),
                   (paths.corpus / "val.txt").read_text(encoding="utf-8")) if settings.preview_every else None
        previews = PreviewWriter(paths.dvclive / "samples", data.chars, prompt, settings, guard, scoring)
        carry = [streams.ResetStates(resumed_mid_epoch=resume.batches_done > 0)] if settings.carry_state else []
        keras_args = dict(validation_data=val_data, verbose=verbose,  # saver last: it may stop
                          callbacks=[*carry, *callbacks, guard, logger, previews, saver])
        fit_epochs(model, run, keras_args, guard)
        if guard.where is not None:
            raise NonFiniteLoss(f"{guard.what} at {guard.where}. Lower train.learning_rate or set "
                                "train.clipnorm, then rerun.")
        live.summary["params"] = model.count_params()
        _, kept = best.kept_model(paths.checkpoints, settings.keep)
        if kept is not None:  # what models/ gets: the best epoch's model, not the last's
            live.summary["kept"] = {"epoch": kept["epochs_done"], "eval_nats_per_char": kept["nats_per_char"]}
        summary = dict(live.summary)
    checkpoint.keep_final_history(paths.checkpoints, paths.dvclive)
    return summary


def fit_epochs(model: keras.Model, run: Run, keras_args: dict, guard: NaNGuard) -> None:
    """Keras's `fit` from the resume point to `settings.epochs`: first the rest of a half-done epoch,
    if the checkpoint is in the middle of one, then every remaining epoch in one `fit`."""
    settings, resume, epoch = run.settings, run.resume, run.resume.epochs_done
    order = Order(settings.shuffle_buffer, settings.seed)
    if resume.batches_done:
        stop_after_it = keras.callbacks.LambdaCallback(on_epoch_end=lambda *_: setattr(model, "stop_training", True))
        rest = training_batches(run.paths.windows, run.data.batching, order, first_epoch=epoch,
                                skip=resume.batches_done, epochs=epoch + 1)
        model.fit(shard_by_data(rest), initial_epoch=epoch, epochs=settings.epochs, shuffle=False,
                  **{**keras_args, "callbacks": [*keras_args["callbacks"], stop_after_it]})
        epoch += 1
    if epoch < settings.epochs and guard.where is None:
        every = training_batches(run.paths.windows, run.data.batching, order, first_epoch=epoch, skip=0,
                                 epochs=settings.epochs)
        model.fit(shard_by_data(every), initial_epoch=epoch, epochs=settings.epochs,
                  steps_per_epoch=run.data.batches, shuffle=False, **keras_args)


def publish(paths: TrainPaths, keep: str) -> None:
    """The finished run's model and vocabulary into `models/`: each written aside and renamed, so the
    last good one stays whole until the new one is (a persist output); a copy of the checkpoint's file
    of the best epoch or the last (`train.keep`), so a rerun with nothing to train writes the same bytes."""
    paths.models.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(best.kept_model(paths.checkpoints, keep)[0], paths.models / ".new-model.keras")
    shutil.copyfile(paths.corpus / "vocab.json", paths.models / ".new-vocab.json")
    os.replace(paths.models / ".new-model.keras", paths.models / "model.keras")
    os.replace(paths.models / ".new-vocab.json", paths.models / "vocab.json")
