"""No kill, at any point, loses a good run's files.

A small pipeline runs to the end in a real git + DVC workspace: the good run. Then a run with other
params is SIGKILLed (a real SIGKILL, which no handler sees) at each point where a kill could do harm:
in its first epoch after DVCLive wiped the curves (the sequence first seen: it deleted the good run's
`dvclive/plots`, emptied `metrics.json` and dropped `.last-good`), after its first checkpoint, after a
second abandoned run, while the good run is copied aside, in the middle of putting it back after a
failure, and after its model replaced the good one. Each time params.yaml is put back and `dvc repro`
runs: it must end with the good run's model, checkpoint, curves, metrics and samples byte for byte,
and leave nothing for DVC to redo.
"""
import os
import signal
import subprocess
import sys
import textwrap

import pytest
import yaml

from app.workspace import dvc, dvc_env, run
from processes import DEADLINE, dvc_status, started, wait_for
from processes import run as run_process
from test_train_faults import trainer_under

STAGE_ARGS = ["data/windows", "data/corpus", "models", "checkpoints", "dvclive"]
GUARDED = ("models", "dvclive", "checkpoints")


def good_files(workspace) -> dict:
    """Every file of the train stage's outputs (but the lock and the copy aside), and dvc.lock."""
    files = {"dvc.lock": (workspace / "dvc.lock").read_bytes()}
    for top in GUARDED:
        for path in (workspace / top).rglob("*"):
            name = str(path.relative_to(workspace))
            if path.is_file() and ".last-good" not in name and not name.endswith(".lock"):
                files[name] = path.read_bytes()
    return files


@pytest.fixture
def workspace(tiny_workspace, tmp_path):
    """A copy of the small pipeline's workspace after a good run (committed), and its good files."""
    dest = tiny_workspace(tmp_path / "ws")
    return dest, good_files(dest)


def set_train(workspace, **train):
    params = yaml.safe_load((workspace / "params.yaml").read_text())
    params["train"].update(train)
    (workspace / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def go_back_and_check(workspace, good):
    """params.yaml as committed, then `dvc repro`: the good run, byte for byte, nothing left to do."""
    run(["git", "checkout", "params.yaml"], workspace)
    out = dvc(["repro"], workspace, capture=True).stdout
    assert good_files(workspace) == good, out[-3000:]
    assert not (workspace / "checkpoints/.last-good").exists()
    assert dvc_status(workspace) == {}
    assert run(["git", "status", "--porcelain"], workspace, capture=True).stdout == ""


def test_sigkill_in_the_first_epoch_of_other_params_then_going_back_keeps_everything(workspace):
    """The sequence of the issue: a new shape, `dvc repro`, kill -9 of the trainer in epoch 1 (after
    DVCLive deleted the curves), params back, `dvc repro`."""
    workspace, good = workspace
    set_train(workspace, hidden_units=48, batch_size=2)  # many small batches: a long first epoch
    with open(workspace.parent / "repro.log", "w") as log, \
            started([sys.executable, "-m", "dvc", "repro"], cwd=workspace, env=dvc_env(), stdout=log,
                    stderr=subprocess.STDOUT) as repro:
        trainer = wait_for(lambda: trainer_under(repro.pid), "the trainer to start")
        wait_for(lambda: not (workspace / "dvclive/metrics.json").exists(), "DVCLive to clear the curves")
        os.kill(trainer, signal.SIGKILL)
        assert repro.wait(timeout=DEADLINE) != 0
    assert good_files(workspace)["checkpoints/state.json"] == good["checkpoints/state.json"], \
        "the kill came after the new run's first checkpoint: not the case this test is for"
    go_back_and_check(workspace, good)


# Runs the stage's own main() after arranging for a real SIGKILL of this process at the n-th call of
# module.attr (before the call, or just after it returns).
KILL_SCRIPT = textwrap.dedent("""
    import os, signal
    from pipeline.train import __main__ as stage
    import {module} as target

    original, calls = target.{attr}, []

    def killing(*args, **kwargs):
        calls.append(1)
        if len(calls) == {nth} and not {after}:
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if len(calls) == {nth} and {after}:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    target.{attr} = killing
    stage.main({args!r})
""")


def killed_stage(workspace, module, attr, nth=1, after=False):
    """The train stage run as DVC runs it, SIGKILLed at that call; it must have died of it."""
    script = KILL_SCRIPT.format(module=module, attr=attr, nth=nth, after=after, args=STAGE_ARGS)
    result = run_process([sys.executable, "-c", script], cwd=workspace, env=dvc_env())
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]


def test_sigkill_after_checkpoints_of_other_params_then_going_back_keeps_everything(workspace):
    """An abandoned run that saved a checkpoint (the good one is no longer in place), then a second
    one (which must not take the first's checkpoint for the last good run)."""
    workspace, good = workspace
    for units in (16, 24):
        set_train(workspace, hidden_units=units)
        killed_stage(workspace, "pipeline.train.checkpoint", "save", after=True)
    go_back_and_check(workspace, good)


@pytest.mark.parametrize("module, attr, nth", [
    ("pipeline.train.history", "replace", 2),        # copying the good run aside: its state.json done
    ("pipeline.train.lastgood", "write_state", 1),   # putting it back: files copied, not yet committed
    ("pipeline.train.history", "put_back", 1),       # putting it back: committed, curves not yet back
])
def test_sigkill_while_the_good_run_is_copied_or_put_back_then_going_back_keeps_everything(workspace, module,
                                                                                          attr, nth):
    workspace, good = workspace
    set_train(workspace, learning_rate=1e9)  # NaN in its second batch: the good run is put back
    killed_stage(workspace, module, attr, nth)
    go_back_and_check(workspace, good)


def test_sigkill_after_a_finished_run_replaced_the_model_then_going_back_keeps_everything(workspace):
    """The other run finished and its model is in models/, but it was killed before the stage ended."""
    workspace, good = workspace
    set_train(workspace, hidden_units=16)
    killed_stage(workspace, "pipeline.train.lastgood", "LastGood.discard")
    assert (workspace / "models/model.keras").read_bytes() != good["models/model.keras"]
    go_back_and_check(workspace, good)
