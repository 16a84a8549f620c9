"""Training really trains a tiny model: both objectives, baselines, DVCLive files, NaN, mirrored (resume is\ntest_resume.py)."""
import json
import math
import sys
import textwrap
from dataclasses import replace

import keras
import numpy as np
import pytest

from common.settings import WindowSettings
from conftest import PROJECT, TINY_SETTINGS, run_training, write_tiny_windows
from processes import run as run_process
from pipeline.train import checkpoint
from pipeline.train.callbacks import NonFiniteLoss
from pipeline.window.write import make_windows


def tsv_rows(path):
    return [line.split("\t") for line in path.read_text().splitlines()[1:]]


@pytest.mark.parametrize("objective", ["last", "all"])
def test_both_objectives_learn_beat_the_unigram_and_log_with_dvclive(tmp_path, objective):
    write_tiny_windows(tmp_path)
    summary = run_training(tmp_path, replace(TINY_SETTINGS, objective=objective, preview_every=2))
    baselines = summary["baselines"]
    assert summary["eval"]["last_loss"] < baselines["unigram"]
    if objective == "all":  # `last` never trains beyond its window, so reading on in order may not help
        assert summary["eval"]["nats_per_char"] < baselines["unigram"]
    assert summary["eval"]["bpc"] == summary["eval"]["nats_per_char"] / math.log(2)  # the same float64 operation
    assert summary["eval"]["perplexity"] == math.exp(summary["eval"]["nats_per_char"])
    assert 0 <= summary["eval"]["last_accuracy"] <= 1
    live = tmp_path / "dvclive"
    metrics = json.loads((live / "metrics.json").read_text())
    assert metrics["step"] == TINY_SETTINGS.epochs - 1
    assert metrics["baselines"]["best_ngram"] == baselines["best_ngram"]  # JSON keeps a float64 exactly
    for name in ("train/loss", "eval/loss", "eval/last_loss", "eval/nats_per_char", "eval/bpc", "eval/last_accuracy",
                 "train/learning_rate", "train/chars_per_s"):
        assert len(tsv_rows(live / "plots" / "metrics" / f"{name}.tsv")) == TINY_SETTINGS.epochs, name
    assert [p.name for p in sorted((live / "samples").iterdir())] == ["epoch-002.md", "index.md"]
    assert "[epoch-002.md](epoch-002.md)" in (live / "samples" / "index.md").read_text()
    assert (tmp_path / "models" / "model.keras").exists() and (tmp_path / "models" / "vocab.json").exists()
    if objective == "all":  # the `all` loss averages every position; the last position is harder
        # apart by more than float32 rounding of a mean over section_length positions could make them
        apart = abs(summary["eval"]["loss"] - summary["eval"]["last_loss"])
        assert apart > TINY_SETTINGS.section_length * 2.0 ** -23 * summary["eval"]["last_loss"]


def test_without_validation_text_it_trains_and_reports_training_loss_only(tmp_path):
    write_tiny_windows(tmp_path)
    (tmp_path / "corpus" / "val.txt").write_text("")
    make_windows(tmp_path / "corpus", tmp_path / "windows", tmp_path / "windows.json",
                 WindowSettings(12, 2, "none"), progress=False)
    summary = run_training(tmp_path, replace(TINY_SETTINGS, epochs=1))
    assert "eval" not in summary and summary["train"]["loss"] > 0
    metrics = json.loads((tmp_path / "dvclive" / "metrics.json").read_text())  # strict JSON: no NaN
    assert "NaN" not in (tmp_path / "dvclive" / "metrics.json").read_text() and metrics["baselines"] == {}


def test_a_changed_shape_starts_fresh_saying_why(tmp_path, capsys):
    write_tiny_windows(tmp_path)
    run_training(tmp_path, replace(TINY_SETTINGS, epochs=1))
    run_training(tmp_path, replace(TINY_SETTINGS, epochs=1, hidden_units=12))
    assert "model's shape changed (hidden_units)" in capsys.readouterr().out
    rows = tsv_rows(tmp_path / "dvclive" / "plots" / "metrics" / "train" / "loss.tsv")
    assert len(rows) == 1


class PoisonWeights(keras.callbacks.Callback):
    """Turns one weight into NaN at the start of the given epoch (0-based)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            variable = self.model.get_layer("logits").kernel
            variable.assign(np.full(variable.shape, np.nan, dtype="float32"))


def test_nan_loss_stops_cleanly_and_keeps_the_last_good_checkpoint(tmp_path):
    write_tiny_windows(tmp_path)
    with pytest.raises(NonFiniteLoss,
                       match=r"NaN or infinite at epoch 2, batch 1\..* The checkpoint after epoch 1 is kept"):
        run_training(tmp_path, TINY_SETTINGS, callbacks=[PoisonWeights(epoch=1)])
    assert not (tmp_path / "models" / "model.keras").exists()
    assert json.loads((tmp_path / "checkpoints" / "state.json").read_text())["epochs_done"] == 1
    kept = checkpoint.load_model(tmp_path / "checkpoints")
    assert all(np.isfinite(w).all() for w in kept.get_weights())
    # the epoch that went NaN is not logged: DVCLive would write "nan" strings a rerun reads as results
    assert len(tsv_rows(tmp_path / "dvclive" / "plots" / "metrics" / "train" / "loss.tsv")) == 1
    assert "nan" not in (tmp_path / "dvclive" / "metrics.json").read_text()


@pytest.mark.parametrize("mixed", [False, "float16"])
def test_compile_model_builds_the_optimizer_before_the_first_step(tmp_path, mixed):
    """Before: the optimizer's variables were made inside the first training step, which Keras then traced
    twice (once making them), 0.6 CPU-s of every run's start. Fails if compile_model leaves the optimizer
    unbuilt, or if a training step still adds variables to it (float16's loss-scale optimizer included)."""
    from common.model import precision
    from pipeline.train.build import compile_model

    with precision(mixed):
        model = compile_model(replace(TINY_SETTINGS, mixed_precision=mixed), 9, checkpoint.Resume(0, 0, ""),
                              tmp_path, batches=10)
        assert model.optimizer.built
        made = [variable.path for variable in model.optimizer.variables]
        ids = np.random.default_rng(0).integers(0, 9, (TINY_SETTINGS.batch_size, TINY_SETTINGS.section_length))
        model.train_on_batch(ids, ids[:, -1])
        assert [variable.path for variable in model.optimizer.variables] == made
        assert int(model.optimizer.iterations.numpy()) == 1


MIRRORED_SCRIPT = textwrap.dedent("""
    import sys, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    sys.path.insert(0, {tests!r})
    from dataclasses import replace
    from pathlib import Path
    import keras, numpy as np
    from conftest import TINY_SETTINGS, run_training
    from pipeline.train.distribute import make_strategy
    assert make_strategy("mirrored").num_replicas_in_sync == 2
    settings = replace(TINY_SETTINGS, strategy="mirrored", preview_every=1, preview_length=20)
    summary = run_training(Path({root!r}) / "straight", settings)
    print("LAST_LOSS", summary["eval"]["last_loss"], "UNIGRAM", summary["baselines"]["unigram"])
    run_training(Path({root!r}) / "resumed", replace(settings, epochs=2))
    run_training(Path({root!r}) / "resumed", settings)
    weights = [keras.models.load_model(Path({root!r}) / run / "models/model.keras").get_weights()
               for run in ("straight", "resumed")]
    print("MAX_DIFFERENCE", max(float(np.abs(a - b).max()) for a, b in zip(*weights)))
    from common.generate import generate, load_generator
    stepper, chars = load_generator(Path({root!r}) / "resumed" / "models")
    print("SAMPLES", len(list((Path({root!r}) / "resumed" / "dvclive" / "samples").glob("epoch-*.md"))),
          "GENERATED", len(generate(stepper, chars, "The bus", length=30, temperature=0.5, seed=1)[0]))
""")


def test_mirrored_strategy_trains_over_two_logical_cpus_and_resumes_to_the_same_weights(tmp_path):
    """Fails if the strategy cannot train (last loss not under the unigram's), if a run stopped after
    epoch 2 and resumed under the strategy ends anywhere else than the run straight through, or if
    its per-epoch samples or its saved model's generation fail."""
    for run in ("straight", "resumed"):
        write_tiny_windows(tmp_path / run)
    script = MIRRORED_SCRIPT.format(tests=str(PROJECT / "tests"), root=str(tmp_path))
    result = run_process([sys.executable, "-c", script], cwd=PROJECT)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "resuming from the checkpoint" in result.stdout
    words = result.stdout.split()
    last_loss, unigram = float(words[words.index("LAST_LOSS") + 1]), float(words[words.index("UNIGRAM") + 1])
    assert last_loss < unigram
    # the same operations on the same numbers in the same order, on this machine: the same bits
    assert float(words[words.index("MAX_DIFFERENCE") + 1]) == 0.0
    assert words[words.index("SAMPLES") + 1] == "3" and words[words.index("GENERATED") + 1] == "30"


def test_the_cosine_schedule_falls_to_its_final_fraction_over_the_run(tmp_path):
    write_tiny_windows(tmp_path)
    settings = replace(TINY_SETTINGS, lr_schedule="cosine", warmup_steps=5, final_lr_fraction=0.2, epochs=3)
    run_training(tmp_path, settings)
    batches = -(-json.loads((tmp_path / "windows.json").read_text())["train"]["windows"] // settings.batch_size)
    logged = [float(row[1]) for row in tsv_rows(tmp_path / "dvclive/plots/metrics/train/learning_rate.tsv")]
    total, decay = 3 * batches, 3 * batches - 5
    expected = [0.01 * (0.2 + 0.8 * 0.5 * (1 + np.cos(np.pi * (step - 5) / decay)))
                for step in (batches, 2 * batches, total)]
    # Keras computes the rate in float32: 0.01 and pi rounded, a division, a product, a cosine (an error of
    # about 9 units of roundoff in its argument, 2 in its value), then scaled into [0.2, 1]: the bound
    # below, 32 units of float32 roundoff relative to a rate of at least 0.2 of the peak, covers them all
    rtol = 32 * 2.0 ** -24
    np.testing.assert_allclose(logged, expected, rtol=rtol)
    assert logged[-1] == pytest.approx(0.2 * 0.01, rel=rtol)


def test_the_last_epochs_sample_is_what_the_saved_model_writes(tmp_path):
    """The training samples come from one generator refreshed every epoch: if the refresh missed a
    weight, the last epoch's sample would be an earlier model's, not the saved model's."""
    from common.generate import generate, load_generator

    write_tiny_windows(tmp_path)
    settings = replace(TINY_SETTINGS, epochs=3, preview_every=1, preview_length=40, preview_temperatures=(0.5,),
                       keep="last")
    run_training(tmp_path, settings)
    first, last = ((tmp_path / f"dvclive/samples/epoch-00{n}.md").read_text() for n in (1, 3))
    prompt, written = last.split("```\n")[1].rstrip("\n").split("|", 1)
    stepper, chars = load_generator(tmp_path / "models")
    assert generate(stepper, chars, prompt, length=40, temperature=0.5, seed=settings.seed)[0] == written
    assert first != last


def test_each_preview_is_scored_like_the_sample_stage_beside_the_validation_text(tmp_path):
    """Fails if a preview loses its scores, scores another text than its own (e.g. the prompt with it),
    or gives the validation text's figures for the sample's."""
    from common.scores import Reference

    write_tiny_windows(tmp_path)
    run_training(tmp_path, replace(TINY_SETTINGS, epochs=2, preview_every=2, preview_length=120,
                                   preview_temperatures=(1.0,)))
    preview = (tmp_path / "dvclive/samples/epoch-002.md").read_text()
    written = preview.split("```\n")[1].rstrip("\n").split("|", 1)[1]
    scores = Reference((tmp_path / "corpus/train.txt").read_text()).score(written)
    val = Reference((tmp_path / "corpus/train.txt").read_text()).score((tmp_path / "corpus/val.txt").read_text()[:120])
    (line,) = [line for line in preview.splitlines() if line.startswith("Scores")]
    percent = {key: "none" if value is None else f"{value:.0%}" for key, value in scores.items()}
    assert f"known words {percent['known_words']} ({val['known_words']:.0%})" in line
    assert f"well-formed lines {percent['well_formed_lines']} ({val['well_formed_lines']:.0%})" in line
