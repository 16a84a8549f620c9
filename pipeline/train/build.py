"""The model a run trains: a new one built and compiled from the settings, or the checkpointed one.

In:  params `train.*` (the model's shape, the optimizer and its learning-rate schedule), the run's
     data (`data.TrainingData`: the vocabulary, batches per epoch), its resume point and checkpoint
     directory (`checkpoint.py`), and the `tf.distribute` strategy.
Out: `build_or_load(...)`: the compiled Keras model, fresh or with the checkpoint's weights and
     optimizer state, the same on every worker of a multi-worker run (`distribute.py`), its LSTM
     layers on the fused CPU op when `train.fused_lstm` allows (`common/fused_lstm.py`);
     `compile_model(...)`, `make_optimizer(...)`, `learning_rate(...)`: its parts, also for the benchmarks.
"""
from __future__ import annotations

import sys
from pathlib import Path

import keras
import tensorflow as tf

from common.fused_lstm import fuse
from common.model import build_model, last_accuracy, last_loss
from common.settings import TrainSettings
from pipeline.train import checkpoint
from pipeline.train.data import TrainingData
from pipeline.train.distribute import is_chief, share_state, workers


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
    extra = {"clipnorm": settings.clipnorm} if settings.clipnorm > 0 else {}
    if settings.weight_decay > 0:  # Keras's decoupled decay, AdamW's: w -= weight_decay * learning rate * w
        extra["weight_decay"] = settings.weight_decay
    optimizers = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop}
    # Every variable is decayed, biases too: Keras saves no exclusion list with the optimizer, so a
    # resumed run could not exclude them alike.
    return optimizers[settings.optimizer](learning_rate(settings, total_steps), **extra)


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
                            input_dropout=settings.input_dropout,
                            stateful_batch=settings.batch_size if settings.carry_state else 0,
                            all_positions=settings.objective == "all")
        model.compile(optimizer=make_optimizer(settings, settings.epochs * batches),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=[keras.metrics.MeanMetricWrapper(last_loss, name="last_loss"),
                               keras.metrics.MeanMetricWrapper(last_accuracy, name="last_accuracy")])
    if not model.optimizer.built:
        # its variables now, not in the first training step: Keras would trace that step twice (once creating
        # them), 0.6 CPU-s of every run's start here; under a strategy, compile_model runs in its scope
        model.optimizer.build(model.trainable_variables)
    model.jit_compile = settings.jit_compile  # set here for both: a resumed model takes this run's choice too
    fuse(model, settings.fused_lstm, jit_compile=settings.jit_compile)  # a loaded model is a plain Keras one
    if settings.jit_compile and not model.jit_compile:
        print("train: train.jit_compile is true, but this LSTM runs on the cuDNN kernel (a GPU), which XLA cannot "
              "compile: Keras trains it without XLA.", file=sys.stderr, flush=True)
    return model


def build_or_load(settings: TrainSettings, data: TrainingData, resume: checkpoint.Resume, checkpoints: Path,
                  strategy: tf.distribute.Strategy) -> keras.Model:
    """The model to train from `resume`, in `strategy`'s scope. Several workers build the same fresh
    variables on each, then take the chief's checkpointed state (`share_state`)."""
    several = workers(strategy) > 1
    with strategy.scope():
        model = compile_model(settings, len(data.chars), checkpoint.Resume(0, 0, "") if several else resume,
                              checkpoints, data.batches)
    if several and not resume.fresh:
        share_state(strategy, model, compile_model(settings, len(data.chars), resume, checkpoints, data.batches)
                    if is_chief(strategy) else None)
    return model
