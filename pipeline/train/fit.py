"""The train stage's core: fit the character LSTM on the training windows, measured on held-out episodes.

In:  `data/windows/` (see `common/windows.py`), `data/corpus/{train,val}.txt` and `vocab.json`;
     params `train.*`.
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
Under faults: the run holds `checkpoints/` alone (`guard.py`), and a run that fails (NaN/inf loss,
any exception) puts back the checkpoint and DVCLive files of the last good run, which it copied
aside before starting (`lastgood.py`: why a copy rather than a staging directory).
"""
from __future__ import annotations

import math
import os
import shutil
import sys
from pathlib import Path

import keras
import tensorflow as tf
from dvclive import Live

from common.costs import train_refusal
from common.generate import pick_prompt
from common.model import build_model, last_accuracy, last_loss, precision
from common.params import ParamsError
from common.settings import TrainSettings
from common.vocab import load_vocab
from common.windows import WindowError, read_meta
from pipeline.train import checkpoint, history
from pipeline.train.callbacks import (Checkpointer, EpochLogger, Interrupted, NaNGuard, NonFiniteLoss, PreviewWriter,
                                      StopRequest)
from pipeline.train.data import batches_per_epoch, training_batches, window_dataset
from pipeline.train.distribute import (chief_ints, is_chief, make_strategy, shard_by_data, share_state,
                                       weights_digest, worker_dirs, workers)
from pipeline.train.evaluate import StreamEvaluator, baselines, corpus_ids
from pipeline.train.fingerprint import fingerprint
from pipeline.train.guard import exclusive
from pipeline.train.lastgood import LastGood


def learning_rate(settings: TrainSettings, total_steps: int):
    """The learning rate, or its schedule over the run's `total_steps` batches (a Keras built-in, so
    it is saved and restored with the optimizer in a checkpoint)."""
    if settings.lr_schedule == "constant":
        return settings.learning_rate
    warmup = min(settings.warmup_steps, total_steps - 1)
    return keras.optimizers.schedules.CosineDecay(
        0.0 if warmup else settings.learning_rate, decay_steps=max(1, total_steps - warmup),
        alpha=settings.final_lr_fraction, warmup_target=settings.learning_rate if warmup else None,
        warmup_steps=warmup)


def make_optimizer(settings: TrainSettings, total_steps: int) -> keras.optimizers.Optimizer:
    clip = {"clipnorm": settings.clipnorm} if settings.clipnorm > 0 else {}
    optimizers = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop}
    return optimizers[settings.optimizer](learning_rate(settings, total_steps), **clip)


def compile_model(settings: TrainSettings, vocab_size: int, resume: checkpoint.Resume, checkpoints: Path,
                  batches: int) -> keras.Model:
    """A new model, or the checkpointed one (weights and optimizer state) when resuming."""
    if not resume.fresh:
        model = checkpoint.load_model(checkpoints)
        expected = resume.epochs_done * batches + resume.batches_done
        taken = int(model.optimizer.iterations.numpy())
        # float16 loss scaling skips the steps whose gradients overflowed, and does not count them
        skips = isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        if taken > expected or (taken < expected and not skips):
            raise checkpoint.CheckpointError(
                f"{checkpoints}: the model has taken {taken} optimizer steps, but its position (epoch "
                f"{resume.epochs_done}, batch {resume.batches_done}) means {expected}. Delete "
                f"{checkpoints}/ to train from scratch.")
    else:
        model = build_model(vocab_size, hidden_units=settings.hidden_units, layers=settings.layers,
                            embedding=settings.embedding, dropout=settings.dropout,
                            all_positions=settings.objective == "all")
        model.compile(optimizer=make_optimizer(settings, settings.epochs * batches),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=[keras.metrics.MeanMetricWrapper(last_loss, name="last_loss"),
                               keras.metrics.MeanMetricWrapper(last_accuracy, name="last_accuracy")])
    model.jit_compile = settings.jit_compile  # set here for both: a resumed model takes this run's choice too
    if settings.jit_compile and not model.jit_compile:
        print("train: train.jit_compile is true, but this LSTM runs on the cuDNN kernel (a GPU), which XLA cannot "
              "compile: Keras trains it without XLA.", file=sys.stderr, flush=True)
    return model


def train(windows_dir: Path, corpus_dir: Path, model_dir: Path, live_dir: Path, checkpoints: Path,
          settings: TrainSettings, *, verbose: int = 2, callbacks: tuple = (), stop: StopRequest | None = None) -> dict:
    """Train (or resume) a model with `settings` (params `train.*`); return the final summary.
    `stop` is set by the stage's signal handler; `callbacks` are extra Keras callbacks, run before
    ours (tests use them to inject faults). Holds `checkpoints/` alone (`guard.Locked` otherwise);
    a run that fails (non-finite loss, an exception) puts back the last good run (`lastgood.py`)."""
    strategy = make_strategy(settings.strategy)  # before any other TensorFlow work (multi_worker needs it)
    if settings.deterministic:  # for the process: the stage runs one training
        tf.config.experimental.enable_op_determinism()
    with worker_dirs(strategy, model_dir, live_dir, checkpoints) as (model_dir, live_dir, checkpoints), \
            exclusive(checkpoints), precision(settings.mixed_precision):
        return _train(windows_dir, corpus_dir, model_dir, live_dir, checkpoints, settings, verbose=verbose,
                      callbacks=callbacks, stop=stop, strategy=strategy)


def _train(windows_dir: Path, corpus_dir: Path, model_dir: Path, live_dir: Path, checkpoints: Path,
           settings: TrainSettings, *, verbose: int, callbacks: tuple, stop: StopRequest | None,
           strategy: tf.distribute.Strategy) -> dict:
    keras.utils.set_random_seed(settings.seed)
    chars = load_vocab(corpus_dir / "vocab.json")
    meta = read_meta(windows_dir, section_length=settings.section_length, chars=chars)
    if meta["splits"]["train"]["windows"] == 0:
        raise WindowError(f"{windows_dir}: no training windows; the corpus is shorter than "
                          f"section_length + 1 = {settings.section_length + 1} characters.")
    refusal = train_refusal(settings, meta["splits"]["train"]["windows"], len(chars))
    if refusal:  # before anything is touched: a setting that cannot fit would grow until the kernel kills it
        raise ParamsError(f"{refusal} Nothing was changed in {checkpoints}/ or {live_dir}/.")
    current = fingerprint(settings, meta)
    last_good = LastGood(checkpoints, live_dir)
    last_good.snapshot(current)  # before anything below clears or overwrites a file of the last good run
    taken_back = last_good.take_back(current)  # this run's params again, after an abandoned attempt
    if taken_back:
        print(taken_back, flush=True)
    resume = checkpoint.resume_point(checkpoints, current, settings.epochs)  # raises on a damaged checkpoint
    position = chief_ints(strategy, [resume.epochs_done, resume.batches_done])  # the chief's, on every worker
    if position != [resume.epochs_done, resume.batches_done]:
        resume = checkpoint.Resume(*position, f"following the chief, from epoch {position[0]}, batch {position[1]}")
    print(resume.message, flush=True)
    try:
        summary = _fit(windows_dir, corpus_dir, model_dir, live_dir, checkpoints, settings, chars, meta, resume,
                       current, fit_args=dict(verbose=verbose, callbacks=callbacks), stop=stop, strategy=strategy)
    except (Interrupted, KeyboardInterrupt):
        raise  # the interrupted run's checkpoint and curves stay, to be resumed
    except NonFiniteLoss as error:
        raise NonFiniteLoss(f"{error} {last_good.restore()}") from None
    except BaseException:
        print(f"train: the run failed. {last_good.restore()}", file=sys.stderr, flush=True)
        raise
    last_good.discard()
    return summary


def _fit(windows_dir: Path, corpus_dir: Path, model_dir: Path, live_dir: Path, checkpoints: Path,
         settings: TrainSettings, chars: list[str], meta: dict, resume: checkpoint.Resume, current: dict, *,
         fit_args: dict, stop: StopRequest | None, strategy: tf.distribute.Strategy) -> dict:
    """Train from `resume` to `settings.epochs`, save the model to `model_dir`; the DVCLive summary."""
    windows = {split: meta["splits"][split]["windows"] for split in ("train", "val")}
    common = dict(section_length=settings.section_length, chars=chars, batch_size=settings.batch_size,
                  objective=settings.objective)
    val_data = shard_by_data(window_dataset(windows_dir, "val", **common)) if windows["val"] else None
    batches = batches_per_epoch(windows["train"], settings.batch_size)
    several = workers(strategy) > 1
    with strategy.scope():  # several workers: the same fresh variables on each, then the chief's state
        model = compile_model(settings, len(chars), checkpoint.Resume(0, 0, "") if several else resume,
                              checkpoints, batches)
    if several and not resume.fresh:
        share_state(strategy, model, compile_model(settings, len(chars), resume, checkpoints, batches)
                    if is_chief(strategy) else None)
    if resume.fresh:  # DVCLive clears its own files on a fresh start; the samples are ours
        shutil.rmtree(live_dir / "samples", ignore_errors=True)
    elif resume.live:  # the curves are the checkpoint's, whatever a killed run left in live_dir
        history.put_back(checkpoints / resume.live, live_dir)
    guard = NaNGuard(uniform_nats=math.log(len(chars)),
                     best_nats=None if resume.fresh else history.best(live_dir, "eval/loss"))
    saver = Checkpointer(checkpoints, live_dir, current, guard, stop or StopRequest(), batches, resume)
    predicted = windows["train"] * (settings.section_length if settings.objective == "all" else 1)
    prompt = pick_prompt("", corpus_dir / "val.txt", settings.section_length, settings.seed)
    ids = corpus_ids(corpus_dir, chars)
    with Live(str(live_dir), dvcyaml=False, save_dvc_exp=False, resume=not resume.fresh) as live:
        live.step = resume.epochs_done  # the checkpoint, not DVCLive's own count, says where the run is
        logger = EpochLogger(live, predicted, StreamEvaluator(ids["val"]), guard)
        sampler = PreviewWriter(live_dir / "samples", chars, prompt, settings, guard)
        callbacks = [*fit_args["callbacks"], guard, logger, sampler, saver]  # saver last: it may stop
        fit_epochs(model, windows_dir, settings, resume, batches, common,
                   dict(validation_data=val_data, callbacks=callbacks, verbose=fit_args["verbose"]), guard)
        if guard.where is not None:
            raise NonFiniteLoss(f"{guard.what} at {guard.where}. Lower train.learning_rate or set "
                                "train.clipnorm, then rerun.")
        scored = baselines(ids, chars)  # NaN without validation text: leave those out of the JSON
        live.summary["baselines"] = {k: v for k, v in scored.items() if isinstance(v, (int, float)) and v == v}
        live.summary["params"] = model.count_params()
        summary = dict(live.summary)
    checkpoint.keep_final_history(checkpoints, live_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    # written aside and renamed: the last good model stays whole until the new one is (persist output);
    # a copy of the last checkpoint's file, so a rerun with nothing to train writes the same bytes
    shutil.copyfile(checkpoints / checkpoint.load_state(checkpoints)["model"], model_dir / ".new-model.keras")
    shutil.copyfile(corpus_dir / "vocab.json", model_dir / ".new-vocab.json")
    os.replace(model_dir / ".new-model.keras", model_dir / "model.keras")
    os.replace(model_dir / ".new-vocab.json", model_dir / "vocab.json")
    if workers(strategy) > 1:
        print(f"train: worker {strategy.cluster_resolver.task_type} {strategy.cluster_resolver.task_id} of "
              f"{workers(strategy)}{' (the chief)' if is_chief(strategy) else ', whose outputs are not kept'} "
              f"done; weights sha256 {weights_digest(model)}", flush=True)
    return summary


def fit_epochs(model: keras.Model, windows_dir: Path, settings: TrainSettings, resume: checkpoint.Resume,
               batches: int, common: dict, fit_args: dict, guard: NaNGuard) -> None:
    """Train from the resume point to `settings.epochs`: first the rest of a half-done epoch, if the
    checkpoint is in the middle of one, then every remaining epoch in one `fit`."""
    epoch = resume.epochs_done
    data = dict(shuffle_buffer=settings.shuffle_buffer, seed=settings.seed, **common)
    if resume.batches_done:
        stop_after_it = keras.callbacks.LambdaCallback(on_epoch_end=lambda *_: setattr(model, "stop_training", True))
        rest = training_batches(windows_dir, first_epoch=epoch, skip=resume.batches_done, epochs=epoch + 1, **data)
        model.fit(shard_by_data(rest), initial_epoch=epoch, epochs=settings.epochs, shuffle=False,
                  **{**fit_args, "callbacks": [*fit_args["callbacks"], stop_after_it]})
        epoch += 1
    if epoch < settings.epochs and guard.where is None:
        every = training_batches(windows_dir, first_epoch=epoch, skip=0, epochs=settings.epochs, **data)
        model.fit(shard_by_data(every), initial_epoch=epoch, epochs=settings.epochs, steps_per_epoch=batches,
                  shuffle=False, **fit_args)
