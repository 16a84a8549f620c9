"""Resume is exact and a run's result is a function of its params, code and data only.

The stage runs as DVC runs it (`python -m pipeline.train ...` with a params.yaml in its working
directory), in subprocesses. The reference for every check is the same run done in one go, in a
process of its own: resumed weights, optimizer step count and DVCLive history must equal it.
"""
import json
import shutil
import subprocess
import sys
import textwrap
from dataclasses import asdict, replace

import keras
import numpy as np
import pytest
import yaml

from conftest import PROJECT, TINY_SETTINGS, write_tiny_windows
from pipeline.train import checkpoint
from pipeline.train.data import Batching, Order, training_batches
from pipeline.train.fingerprint import code_files, fingerprint
from app.workspace import with_overrides

ARGS = ["windows", "corpus", "models", "checkpoints", "dvclive"]
TINY_PARAMS = {f"train.{name}": list(value) if isinstance(value, tuple) else value
               for name, value in asdict(TINY_SETTINGS).items()}


def make_run_dir(root, **train):
    """A directory with the tiny windows and a params.yaml of TINY_SETTINGS updated by `train`."""
    root.mkdir(parents=True, exist_ok=True)
    write_tiny_windows(root)
    overrides = {**TINY_PARAMS, **{f"train.{key}": value for key, value in train.items()}}
    params = with_overrides(yaml.safe_load((PROJECT / "params.yaml").read_text()), overrides)
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    return root


def set_epochs(root, epochs):
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["train"]["epochs"] = epochs
    (root / "params.yaml").write_text(yaml.safe_dump(params))


def run_stage(root, script=None):
    """The train stage in a subprocess (or `script`, which ends by running it); its CompletedProcess."""
    command = ["-m", "pipeline.train", *ARGS] if script is None else ["-c", script]
    return subprocess.run([sys.executable, *command], cwd=root, capture_output=True, text=True)


# Sends the stage a real SIGTERM at the end of batch BATCH (0-based) of epoch EPOCH (0-based),
# then runs the stage's own main(), whose handler must take it.
SIGNAL_SCRIPT = textwrap.dedent("""
    import os, signal, keras
    from pipeline.train import __main__ as stage, fit

    class SignalAt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
        def on_train_batch_end(self, batch, logs=None):
            if (self.epoch, batch) == ({epoch}, {batch}):
                os.kill(os.getpid(), signal.SIGTERM)

    train = fit.train
    stage.train = lambda *args, **kwargs: train(*args, callbacks=(SignalAt(),), **kwargs)
    stage.main({args!r})
""")


def signalled_at(epoch, batch):
    return SIGNAL_SCRIPT.format(epoch=epoch, batch=batch, args=ARGS)


def final_model(root):
    return keras.models.load_model(root / "models" / "model.keras")


def assert_same_run(root, reference):
    model, expected = final_model(root), final_model(reference)
    assert int(model.optimizer.iterations.numpy()) == int(expected.optimizer.iterations.numpy())
    for got, want in zip(model.get_weights(), expected.get_weights(), strict=True):  # bitwise: same machine, same ops
        np.testing.assert_array_equal(got, want)
    for got, want in zip(model.optimizer.variables, expected.optimizer.variables, strict=True):  # Adam's moments
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def logged_steps(root):
    rows = (root / "dvclive/plots/metrics/train/loss.tsv").read_text().splitlines()[1:]
    return [int(row.split("\t")[0]) for row in rows]


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """The reference: 3 epochs in one go."""
    root = make_run_dir(tmp_path_factory.mktemp("straight"), epochs=3)
    result = run_stage(root)
    assert result.returncode == 0, result.stderr[-3000:]
    return root


@pytest.fixture(scope="module")
def one_epoch(tmp_path_factory):
    """A finished 1-epoch run, for tests that damage a copy of it."""
    root = make_run_dir(tmp_path_factory.mktemp("one_epoch"), epochs=1)
    assert run_stage(root).returncode == 0
    return root


# A SIGTERM in the middle of an epoch or in its last batch, then a rerun: tests/test_resume_recipe.py, with the
# default recipe.


def test_more_epochs_continue_and_fewer_start_over_each_equal_to_a_straight_run(tmp_path, straight, one_epoch):
    root = tmp_path / "run"
    shutil.copytree(one_epoch, root)  # a finished 1-epoch run
    set_epochs(root, 3)
    result = run_stage(root)
    assert "after epoch 1" in result.stdout and result.returncode == 0
    assert_same_run(root, straight)
    assert logged_steps(root) == [0, 1, 2]

    set_epochs(root, 1)  # the checkpoint holds 3 epochs: never reuse the longer run
    result = run_stage(root)
    assert "holds 3 epochs, more than train.epochs = 1" in result.stdout and result.returncode == 0
    assert_same_run(root, one_epoch)
    assert logged_steps(root) == [0]


DAMAGES = {
    "state.json not json": (lambda cp: (cp / "state.json").write_text("{not json"), "state.json: unreadable"),
    "state.json without its fields": (lambda cp: (cp / "state.json").write_text('{"epochs_done": 1}'),
                                      "state.json: unreadable"),
    "model truncated": (lambda cp: next(cp.glob("model-*.keras")).write_bytes(
        next(cp.glob("model-*.keras")).read_bytes()[:5000]), "does not match the sha256 in state.json"),
    "model missing": (lambda cp: next(cp.glob("model-*.keras")).unlink(), "missing, though state.json names it"),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_each_damage_to_a_checkpoint_is_refused_naming_the_file(tmp_path, one_epoch, damage):
    """Where the run would resume, read as the stage reads it: each damage is a CheckpointError naming the
    damaged file and the way out, never a fresh start (the fingerprint is the checkpoint's own, so only the
    damage can stop the resume)."""
    directory = tmp_path / "checkpoints"
    shutil.copytree(one_epoch / "checkpoints", directory)
    current = json.loads((directory / "state.json").read_text())["fingerprint"]
    breaks, message = DAMAGES[damage]
    breaks(directory)
    with pytest.raises(checkpoint.CheckpointError) as refused:
        checkpoint.resume_point(directory, current, epochs=2)
    assert message in str(refused.value) and f"delete {directory}/ to train from scratch" in str(refused.value)


def test_a_damaged_checkpoint_stops_the_stage_naming_the_file_and_nothing_is_deleted(tmp_path, one_epoch):
    """The same refusal through the stage, as DVC runs it (the damages are all refused on one path, above):
    exit code 1, the message, and every file of the run as it was (the copy of the last good run that the
    stage sets aside first may be added)."""
    root = tmp_path / "run"
    shutil.copytree(one_epoch, root)
    set_epochs(root, 2)
    breaks, message = DAMAGES["model truncated"]
    breaks(root / "checkpoints")
    before = {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}
    result = run_stage(root)
    assert result.returncode == 1 and message in result.stderr, result.stderr[-2000:]
    assert "delete checkpoints/ to train from scratch" in result.stderr
    changed = [path for path, data in before.items() if not path.is_file() or path.read_bytes() != data]
    assert [path for path in changed if path.name != ".lock"] == []  # the lock file holds its last holder's PID


def test_a_crash_while_saving_keeps_the_previous_model_and_position_together(tmp_path, one_epoch, monkeypatch):
    shutil.copytree(one_epoch / "checkpoints", tmp_path / "checkpoints")
    directory = tmp_path / "checkpoints"
    kept = json.loads((directory / "state.json").read_text())
    model = checkpoint.load_model(directory)
    model.optimizer.iterations.assign_add(7)  # a later point of the run
    replace = checkpoint.os.replace

    def crash_on_state(source, target):
        if str(target).endswith("state.json"):
            raise OSError("disk full (simulated)")
        replace(source, target)

    monkeypatch.setattr(checkpoint.os, "replace", crash_on_state)
    with pytest.raises(OSError, match="simulated"):
        checkpoint.save(directory, model, 2, 0, kept["fingerprint"])
    monkeypatch.undo()
    state = checkpoint.load_state(directory)
    assert state["iterations"] == kept["iterations"]
    assert int(checkpoint.load_model(directory).optimizer.iterations.numpy()) == kept["iterations"]


def test_each_epoch_has_its_own_order_and_can_be_rebuilt_alone(tmp_path):
    chars = write_tiny_windows(tmp_path)
    data = (tmp_path / "windows", Batching(12, chars, 32), Order(shuffle_buffer=1000, seed=7))

    def inputs(dataset):
        return np.concatenate([x.numpy() for x, _ in dataset])

    run = inputs(training_batches(*data, first_epoch=0, skip=0, epochs=3))
    per_epoch = len(run) // 3
    epochs = [run[i * per_epoch:(i + 1) * per_epoch] for i in range(3)]
    assert not np.array_equal(epochs[1], epochs[2])  # a new order every epoch
    assert sorted(map(bytes, epochs[1])) == sorted(map(bytes, epochs[2]))  # of the same windows
    rest = inputs(training_batches(*data, first_epoch=1, skip=3, epochs=3))
    np.testing.assert_array_equal(rest, run[per_epoch + 3 * 32:])  # another process would see the same


def test_the_code_fingerprint_covers_exactly_the_modules_the_stage_imports():
    from test_layout import stage_code  # modulefinder's reading of the stage, independent of ours

    assert {str(path.relative_to(PROJECT)) for path in code_files()} == stage_code("train")


def test_epochs_are_part_of_the_run_only_when_the_schedule_spans_it():
    meta = {"splits": {"train": {"shards": [{"sha256": "a", "bytes": 1}]}}, "vocab_sha256": "v", "step": 2}
    for schedule, same in (("constant", True), ("cosine", False)):
        settings = replace(TINY_SETTINGS, lr_schedule=schedule)
        assert (fingerprint(settings, meta) == fingerprint(replace(settings, epochs=9), meta)) is same


def test_a_long_run_builds_its_batches_lazily(tmp_path):
    """Fails if every epoch's dataset is built up front: 43 ms each made `epochs: 10000` hang for minutes
    before the first batch (bench/quality.py did), here it would take days."""
    chars = write_tiny_windows(tmp_path)
    data = (tmp_path / "windows", Batching(12, chars, 32), Order(shuffle_buffer=1000, seed=7))
    one = training_batches(*data, first_epoch=0, skip=0, epochs=1)
    many = training_batches(*data, first_epoch=0, skip=2, epochs=10**7)
    assert int(many.cardinality()) == int(one.cardinality()) * 10**7 - 2
    np.testing.assert_array_equal(next(iter(many))[0], list(one)[2][0])
