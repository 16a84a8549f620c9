"""Keras callbacks of the `train` stage: DVCLive logging, checkpoints, NaN guard, progress samples,
and stopping cleanly on a signal.

In:  a `dvclive.Live`, the run's paths (`paths.py`) and fingerprint, the vocabulary and a prompt, and a
     `StopRequest` that SIGINT/SIGTERM set.
Out: per epoch, DVCLive metrics (`train/…` and `eval/…`: loss, last-position loss and accuracy,
     learning rate, characters per second, and what the evaluator adds: `eval/nats_per_char`,
     `eval/bpc`, `eval/perplexity`), a checkpoint, and
     every `preview_every` epochs a short preview per temperature in `<live dir>/samples/`. When a
     stop is requested: a checkpoint at the end of the batch being trained, then `Interrupted`.
"""
from __future__ import annotations

import math
import signal
import sys
import time
from pathlib import Path

import keras

from common.generate import generate
from common.model import Stepper
from common.settings import TrainSettings
from pipeline.train import best, checkpoint
from pipeline.train.paths import TrainPaths


class NonFiniteLoss(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


class Interrupted(Exception):
    """Training stopped on request after saving a checkpoint of exactly where it was."""


class StopRequest:
    """A signal handler (SIGINT, SIGTERM): training finishes the batch it is in, saves exactly where it
    is and stops, so a rerun resumes with nothing lost or trained twice. A second signal stops at once
    (KeyboardInterrupt), keeping the previous checkpoint."""

    def __init__(self):
        self.reason = None

    @property
    def requested(self) -> bool:
        return self.reason is not None

    def __call__(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.request(signal.Signals(signum).name)

    def request(self, why: str) -> None:
        """Stop as on a first signal (`why` says what asked); the way other threads ask."""
        self.reason = why
        print(f"\ntrain: {why}: stopping after this batch, with a checkpoint (signal again to stop at once)",
              file=sys.stderr, flush=True)


class EpochLogger(keras.callbacks.Callback):
    """Logs every epoch's metrics to DVCLive (val_x as eval/x, the rest as train/x), with those of
    `evaluate(model)` (a dict, logged under eval/, and added to the epoch's `logs` as val_x for the
    callbacks after this one), and the `constant` series (name -> value, e.g. the n-gram baseline),
    then steps. An epoch in which `guard` saw a non-finite loss, or judged
    the validation loss diverged, is not logged."""

    def __init__(self, live, chars_per_epoch: int, evaluate=None, guard: NaNGuard | None = None,
                 constant: dict | None = None):
        super().__init__()
        self.live, self.evaluate, self.guard, self.constant = live, evaluate, guard, dict(constant or {})
        self.chars_per_epoch = chars_per_epoch
        self.started = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if self.guard is not None and self.guard.where is not None:
            # DVCLive writes NaN as the string "nan": a rerun with nothing left to train would read
            # it back from metrics.json as the run's result.
            return
        seconds = time.perf_counter() - self.started
        shared, logs = logs, dict(logs or {})
        if self.evaluate is not None:
            logs.update({f"val_{name}": value for name, value in self.evaluate(self.model).items()})
            if shared is not None:  # Keras hands every callback the same dict: the Checkpointer reads it
                shared.update({key: value for key, value in logs.items() if key not in shared})
        if self.guard is not None and "val_loss" in logs:
            self.guard.validated(epoch, float(logs["val_loss"]), last=epoch + 1 == self.params.get("epochs"))
            if self.guard.where is not None:  # a diverged epoch is not logged, sampled or checkpointed
                return
        logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        logs["chars_per_s"] = self.chars_per_epoch / seconds
        for name, value in logs.items():
            split, metric = ("eval", name[4:]) if name.startswith("val_") else ("train", name)
            self.live.log_metric(f"{split}/{metric}", float(value))
        for name, value in self.constant.items():
            self.live.log_metric(name, float(value))
        self.live.next_step()


class NaNGuard(keras.callbacks.Callback):
    """Stops training at the first batch whose loss is not finite, or at the end of an epoch whose
    validation loss (the training objective's, on the validation windows) diverged (`validated`),
    remembering where (`where`) and what (`what`). Diverged: not finite, more than DIVERGED times the
    best so far, or, after the last epoch, above the uniform guess (ln of the vocabulary size): a
    model worse than no model is not a result. (Not `eval/nats_per_char`: a model trained on the
    `last` objective reads a long text with its state carried well beyond its windows, and may score
    badly there while it learned its task.)"""

    DIVERGED = 10.0

    def __init__(self, uniform_nats: float | None = None, best_nats: float | None = None):
        super().__init__()
        self.epoch, self.where, self.what = 0, None, None
        # before any epoch, the best is where an untrained model starts: about the uniform guess
        self.uniform, self.best = uniform_nats, best_nats if best_nats is not None else uniform_nats

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.stop(f"epoch {self.epoch + 1}, batch {batch + 1}", "the training loss became NaN or infinite")

    def validated(self, epoch: int, nats: float, last: bool) -> None:
        """Judge the validation loss (nats) of epoch `epoch` (0-based); `last`: the run's last epoch."""
        if not math.isfinite(nats):
            self.stop(f"epoch {epoch + 1}", "the validation loss became NaN or infinite")
        elif last and self.uniform is not None and nats > self.uniform:
            self.stop(f"epoch {epoch + 1}", f"the run ended with a validation loss of {nats:.4g} nats, above "
                                            f"the uniform guess (ln of the {math.exp(self.uniform):.0f} symbols = "
                                            f"{self.uniform:.4f})")
        elif self.best is not None and nats > self.DIVERGED * self.best:
            self.stop(f"epoch {epoch + 1}", f"the validation loss diverged: {nats:.4g} nats, more than "
                                            f"{self.DIVERGED:g} times its best so far ({self.best:.4f})")
        else:
            self.best = nats if self.best is None else min(self.best, nats)

    def stop(self, where: str, what: str) -> None:
        self.where, self.what = where, what
        self.model.stop_training = True


class Checkpointer(keras.callbacks.Callback):
    """Saves a checkpoint after every epoch that ended with a finite loss, marking it the best if its
    `val_nats_per_char` (EpochLogger's) is the lowest yet; when a stop is requested, saves one at the
    end of the current batch (or epoch) and raises `Interrupted`."""

    def __init__(self, paths: TrainPaths, current: dict, guard: NaNGuard, stop: StopRequest, batches_per_epoch: int,
                 resume: checkpoint.Resume):
        super().__init__()
        self.directory, self.live_dir, self.current = paths.checkpoints, paths.dvclive, current
        self.guard, self.stop = guard, stop
        self.batches_per_epoch = batches_per_epoch
        self.epoch, self.epochs_done, self.offset = resume.epochs_done, resume.epochs_done, resume.batches_done
        self.metric_states = resume.metric_states

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.metric_states:  # the cut epoch's batches before the checkpoint count in its means too
            checkpoint.restore_metrics(self.model, self.metric_states)
            self.metric_states = ()
        done = self.offset + batch + 1  # a resumed epoch's batches are counted from where it resumed
        if self.stop.requested and self.guard.where is None and done < self.batches_per_epoch:
            checkpoint.save(self.directory, self.model, self.epoch, done, self.current, self.live_dir)
            raise Interrupted(f"in epoch {self.epoch + 1}, after batch {done} of {self.batches_per_epoch}")

    def on_epoch_end(self, epoch, logs=None):
        self.offset = 0
        if self.guard.where is None:
            self.epochs_done = epoch + 1
            checkpoint.save(self.directory, self.model, self.epochs_done, 0, self.current, self.live_dir)
            nats = (logs or {}).get("val_nats_per_char")
            if nats is not None and math.isfinite(float(nats)):
                best.mark_best(self.directory, float(nats))
            if self.stop.requested:
                raise Interrupted(f"after epoch {self.epochs_done}")


class PreviewWriter(keras.callbacks.Callback):
    """Every `every` epochs, writes a short preview per temperature, so a run shows its progress; not
    after an epoch in which `guard` saw a non-finite loss (sampling NaN probabilities fails). With
    `scoring` (a `common.scores.Reference` of the training text, and the reference text), each preview
    gets the sample stage's scores, beside those of the reference text cut to the same length."""

    def __init__(self, directory: Path, chars: list[str], prompt: str, settings: TrainSettings,
                 guard: NaNGuard | None = None, scoring: tuple | None = None):
        super().__init__()
        self.directory, self.chars, self.prompt, self.guard = Path(directory), chars, prompt, guard
        self.scoring = scoring
        self.every, self.seed = settings.preview_every, settings.seed
        self.temperatures, self.length = settings.preview_temperatures, settings.preview_length
        self.stepper = None

    def on_train_begin(self, logs=None):
        self.write_index()

    def write_index(self) -> None:
        """`index.md` lists the samples so far (and keeps the directory, a DVC output, never empty)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        files = sorted(p.name for p in self.directory.glob("epoch-*.md"))
        listed = "".join(f"- [{name}]({name})\n" for name in files) or "(none yet)\n"
        every = f"every {self.every} epochs" if self.every > 0 else "never (`train.preview_every: 0`)"
        (self.directory / "index.md").write_text(f"# Samples during training, {every}\n\n{listed}", encoding="utf-8")

    def on_epoch_end(self, epoch, logs=None):
        if self.every <= 0 or (epoch + 1) % self.every or (self.guard is not None and self.guard.where is not None):
            return
        if self.stepper is None:  # one generator for the run, its weights refreshed: tracing it again every
            self.stepper = Stepper(self.model)  # time cost seconds and filled the log with retracing warnings
        stepper = self.stepper
        stepper.refresh()
        lines = [f"# Samples after epoch {epoch + 1}\n"]
        for temperature in self.temperatures:
            text = generate(stepper, self.chars, self.prompt, length=self.length, temperature=temperature,
                            seed=self.seed)[0]
            lines.append(f"## temperature {temperature}\n\n```\n{self.prompt}|{text}\n```\n")
            if self.scoring is not None:
                lines.append(score_line(self.scoring, text))
        (self.directory / f"epoch-{epoch + 1:03d}.md").write_text("\n".join(lines), encoding="utf-8")
        self.write_index()


def score_line(scoring: tuple, text: str) -> str:
    """The sample stage's three shares of `text`, and of the reference text cut to its length, in words."""
    reference, real = scoring
    shares = (("known words", "known_words"), ("known speakers", "known_speakers"),
              ("well-formed lines", "well_formed_lines"))
    scored, ideal = reference.score(text), reference.score(real[:len(text)])
    return "Scores (the validation text's in brackets): " + ", ".join(
        f"{name} {_percent(scored[key])} ({_percent(ideal[key])})" for name, key in shares) + "\n"


def _percent(share) -> str:
    return "none" if share is None else f"{share:.0%}"
