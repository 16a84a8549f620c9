"""Nothing silently wrong under faults: one trainer per workspace, none outliving `dvc repro`, and a
failed run keeps the last good one.

The stage runs as DVC runs it: `python -m pipeline.train` in subprocesses, and real `dvc repro` in
a temporary git + DVC workspace of the small offline pipeline.
"""
import json
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import keras
import pytest
import yaml

from conftest import TINY_SETTINGS, run_training, write_tiny_windows
from app.workspace import commit_all, dvc, dvc_env, run
import processes
from processes import alive, dvc_status, started, stop, wait_for
from test_resume import ARGS, make_run_dir

EPOCHS = 8  # enough for dvc repro to be killed while the trainer has epochs left


def trainer_under(pid: int) -> int | None:
    """The PID of a `python -m pipeline.train` descending from process `pid`, read from /proc."""
    parents, commands = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            commands[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    for child, command in commands.items():
        ancestor = parents.get(child)
        while ancestor not in (None, 0, 1, pid):
            ancestor = parents.get(ancestor)
        if ancestor == pid and b"pipeline.train" in command:
            return child
    return None


def logged_steps(root):
    rows = (root / "dvclive/plots/metrics/train/loss.tsv").read_text().splitlines()[1:]
    return [int(row.split("\t")[0]) for row in rows]


def tree_bytes(root) -> dict:
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}


def live_files(root) -> dict:
    return {str(path.relative_to(root)): path.read_bytes() for path in (root / "dvclive").rglob("*") if path.is_file()}


def test_a_second_trainer_on_the_same_checkpoints_exits_at_once_naming_the_holder(tmp_path):
    root = make_run_dir(tmp_path / "run", epochs=1000)
    command = [sys.executable, "-m", "pipeline.train", *ARGS]
    with started(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as first:
        loss = root / "dvclive/plots/metrics/train/loss.tsv"
        wait_for(lambda: loss.exists() and len(loss.read_text().splitlines()) >= 2, "the first trainer's epoch 1")
        second = processes.run(command, cwd=root)
        assert second.returncode == 1, second.stderr[-2000:]
        assert f"another trainer (PID {first.pid}) is training in checkpoints/" in second.stderr
        assert "Epoch 1/" not in second.stdout  # it trained nothing
        assert first.poll() is None  # the holder trains on, undisturbed
        assert stop(first, signal.SIGTERM) == 130, first.stderr.read()[-2000:]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, tiny_workspace):
    """The small pipeline up to the windows, committed: the tests below run the train stage."""
    return tiny_workspace(tmp_path_factory.mktemp("faults") / "ws", {"train.epochs": EPOCHS, "train.batch_size": 64},
                          until="window")


def test_killing_dvc_repro_stops_the_trainer_and_the_rerun_logs_each_epoch_once(workspace, tmp_path):
    env = {**dvc_env(), "SHELL": "/bin/sh"}  # dash, as on CI: the shell outlives dvc, the trainer's parent stays
    with open(tmp_path / "repro.log", "w") as log, \
            started([sys.executable, "-m", "dvc", "repro"], cwd=workspace, env=env, stdout=log,
                    stderr=subprocess.STDOUT) as repro:
        loss = workspace / "dvclive/plots/metrics/train/loss.tsv"
        wait_for(lambda: loss.exists() and len(loss.read_text().splitlines()) >= 2, "epoch 1 to be logged")
        trainer = trainer_under(repro.pid)
        assert trainer is not None
        stop(repro, signal.SIGTERM)  # dvc only: it does not pass the signal on to its stage
        wait_for(lambda: not alive(trainer), f"the trainer (PID {trainer}) to stop")
    output = (tmp_path / "repro.log").read_text()
    assert "is gone: stopping after this batch" in output, output[-3000:]
    state = json.loads((workspace / "checkpoints/state.json").read_text())
    assert state["epochs_done"] < EPOCHS, "the trainer outlived dvc repro and finished"

    out = dvc(["repro"], workspace, capture=True).stdout
    assert "resuming from the checkpoint" in out, out
    assert logged_steps(workspace) == list(range(EPOCHS))
    assert dvc_status(workspace) == {}
    commit_all(workspace, "a good run")


def test_an_exploding_run_keeps_the_good_run_and_going_back_reruns_cleanly(workspace):
    dvc(["repro"], workspace, capture=True)  # the good run (nothing to do after the test above)
    good_state = (workspace / "checkpoints/state.json").read_text()
    good_live = live_files(workspace)
    assert f"dvclive/samples/epoch-{EPOCHS:03d}.md" in good_live
    good_model = {name: (workspace / "models" / name).read_bytes() for name in ("model.keras", "vocab.json")}

    params = yaml.safe_load((workspace / "params.yaml").read_text())
    params["train"]["learning_rate"] = 1e9  # the loss explodes in its first batches (NaN, or diverged)
    (workspace / "params.yaml").write_text(yaml.safe_dump(params))
    failed = processes.dvc(["repro"], workspace, check=False)
    assert failed.returncode != 0
    assert "training from scratch" in failed.stdout, failed.stdout[-3000:]
    assert "NaN or infinite" in failed.stderr or "diverged" in failed.stderr, failed.stderr[-3000:]
    assert f"The checkpoint after epoch {EPOCHS} is kept in checkpoints/" in failed.stderr
    assert (workspace / "checkpoints/state.json").read_text() == good_state
    assert live_files(workspace) == good_live
    assert not (workspace / "checkpoints/.last-good").exists()
    # DVC deleted models/ before the stage ran until it was a persist output
    assert {name: (workspace / "models" / name).read_bytes() for name in good_model} == good_model

    run(["git", "checkout", "params.yaml"], workspace)
    out = dvc(["repro"], workspace, capture=True).stdout
    # the good run's model, checkpoint and curves are all still there: nothing to redo
    assert "Stage 'train' didn't change" in out and "Running stage" not in out, out
    assert live_files(workspace) == good_live
    assert dvc_status(workspace) == {}


def write_run(checkpoints, live, name: str, fingerprint: dict) -> None:
    """A stand-in checkpoint and curves, as the stage leaves them, marked `name`."""
    checkpoints.mkdir(parents=True, exist_ok=True)
    for old in checkpoints.glob("*.keras"):
        old.unlink()
    (checkpoints / f"model-{name}.keras").write_text(name)
    (checkpoints / "state.json").write_text(json.dumps({"epochs_done": 2, "batches_done": 0,
                                                        "model": f"model-{name}.keras", "fingerprint": fingerprint}))
    (live / "plots/metrics/train").mkdir(parents=True, exist_ok=True)
    (live / "plots/metrics/train/loss.tsv").write_text(f"step\tloss\n0\t{name}\n")
    (live / "metrics.json").write_text(json.dumps({"run": name}))


def test_the_copy_of_the_last_good_run_survives_an_interruption_but_not_a_checkout(tmp_path):
    from pipeline.train.lastgood import LastGood

    checkpoints, live = tmp_path / "checkpoints", tmp_path / "dvclive"
    write_run(checkpoints, live, "a", {"run": "a"})
    good = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    last_good = LastGood(checkpoints, live)
    last_good.snapshot({"run": "b"})
    write_run(checkpoints, live, "b", {"run": "b"})  # run b saved a checkpoint, then was interrupted
    last_good.snapshot({"run": "b"})  # the resumed attempt keeps the copy of a
    write_run(checkpoints, live, "b2", {"run": "b"})
    assert "after epoch 2" in last_good.restore()  # b failed: a is back, exactly
    assert {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()} == good

    last_good.snapshot({"run": "b"})
    write_run(checkpoints, live, "c", {"run": "c"})  # interrupted b, then `dvc checkout` of run c
    last_good.snapshot({"run": "d"})  # the copy of a no longer applies: c is the last good run
    write_run(checkpoints, live, "d", {"run": "d"})
    last_good.restore()
    assert (checkpoints / "model-c.keras").exists() and not (checkpoints / "model-d.keras").exists()
    assert json.loads((live / "metrics.json").read_text()) == {"run": "c"}


class CrashAt(keras.callbacks.Callback):
    """Raises as the epoch after `epoch` (0-based) begins: the stage has saved `epoch` by then."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch + 1:
            raise RuntimeError("simulated crash")


def test_a_crashing_run_puts_back_the_good_run_before_it(tmp_path, capsys):
    write_tiny_windows(tmp_path)
    run_training(tmp_path, replace(TINY_SETTINGS, epochs=2, preview_every=1))
    good = tree_bytes(tmp_path / "checkpoints") | live_files(tmp_path)
    with pytest.raises(RuntimeError, match="simulated crash"):  # a new run, crashing after its first epoch
        run_training(tmp_path, replace(TINY_SETTINGS, epochs=2, preview_every=1, learning_rate=0.02),
                     callbacks=[CrashAt(epoch=0)])
    assert "The checkpoint after epoch 2 is kept" in capsys.readouterr().err
    assert tree_bytes(tmp_path / "checkpoints") | live_files(tmp_path) == good
