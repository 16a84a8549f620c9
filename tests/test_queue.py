"""Parallel experiments, as the README runs them: two variants queued with `dvc exp run --queue`, then
`dvc queue start -j 2`, in a copy of the tiny sample workspace (tests/workspaces.py, 2 epochs done).

One variant, "three", asks for a third epoch: it must resume from the 2-epoch checkpoint the queue
workspace gets from DVC's cache, and end exactly where the same experiment run in the workspace
itself ends. The other, "h12", changes the model's shape, so it trains from scratch. Checks that both
succeed; that their train stages really ran at the same time, each in a queue workspace of its own
(seen in /proc: two `python -m pipeline.train` alive at once, with different working directories under
`.dvc/tmp/exps/`); that `dvc exp show --json` lists both with their params and metrics, each model as
large as its own `train.hidden_units` says; that the main workspace is byte for byte as it was; that
nothing was written to HOME or TMPDIR (pointed into the test's directory) while they ran; and that no
queue worker outlives `dvc queue stop`.
"""
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.workspace import dvc_env
from processes import DEADLINE, end, run as run_process
from workspaces import TINY, readme_way_back, snapshot as tree

# Training variants, as the README's sweep queues them. (Two scrapes of the offline site at once, each
# serving it on a port of its own, are tests/test_scrape_stage.py's: here they cost a whole pipeline each.)
VARIANTS = {"three": ["-S", "train.epochs=3"], "h12": ["-S", "train.hidden_units=12"]}
MARKER = "SCRIPTLM_QUEUE_TEST"
DONE = {"Success", "Failed"}


def queue_env(root: Path) -> dict:
    # The marker lets the cleanup find every process this test's queue started (workers, stages),
    # however DVC detaches them, and only those.
    return dict(dvc_env(), HOME=str(root / "home"), TMPDIR=str(root / "tmp"), **{MARKER: str(root)})


def qdvc(args: list[str], ws: Path, env: dict) -> str:
    done = run_process([sys.executable, "-m", "dvc", *args], cwd=ws, env=env)
    assert done.returncode == 0, f"dvc {' '.join(args)}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done.stdout


def processes() -> dict[int, tuple[list[bytes], bytes]]:
    """{pid: (argv, environ)} of every process readable in /proc."""
    found = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            found[int(entry.name)] = ((entry / "cmdline").read_bytes().split(b"\0"), (entry / "environ").read_bytes())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def stage_cwds(module: str, under: Path) -> dict[int, str]:
    """{pid: working directory} of each `python -m <module>` working somewhere under `under`."""
    found = {}
    for pid, (argv, _) in processes().items():
        if any(a == b"-m" and b == module.encode() for a, b in zip(argv, argv[1:])):
            try:
                cwd = os.readlink(f"/proc/{pid}/cwd")
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
            if Path(cwd).is_relative_to(under):
                found[pid] = cwd
    return found


def marked(root: Path) -> list[int]:
    tag = f"{MARKER}={root}".encode()
    return [pid for pid, (_, environ) in processes().items() if tag in environ.split(b"\0")]


def ask_status(ws: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dvc", "queue", "status"], cwd=ws, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)


def statuses(output: str) -> dict[str, str]:
    """{experiment name: Queued/Running/Success/Failed} from the output of `dvc queue status`."""
    rows = [line.split() for line in output.splitlines()]
    return {row[1]: row[-1] for row in rows if len(row) >= 3 and row[1] in VARIANTS}


def stop_queue(ws: Path, env: dict, root: Path) -> list[int]:
    """Stop the workers; wait for every process the queue started to end; kill and return any left."""
    run_process([sys.executable, "-m", "dvc", "queue", "stop", "--kill"], cwd=ws, env=env)
    deadline = time.monotonic() + DEADLINE  # only a worker that never ends waits this long
    while marked(root) and time.monotonic() < deadline:
        time.sleep(0.5)
    left = marked(root)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


@pytest.fixture(scope="module")
def run(tmp_path_factory, tiny_workspace, project_root):
    root = tmp_path_factory.mktemp("queue")
    for name in ("home", "tmp", "site-cache"):
        (root / name).mkdir()
    env = queue_env(root)
    ws = tiny_workspace(root / "ws")
    # DVC's own per-repo state (one folder per queue workspace) would otherwise go to /var/tmp/dvc;
    # DVC copies config.local into each queue workspace.
    qdvc(["config", "--local", "core.site_cache_dir", str(root / "site-cache")], ws, env)
    # "three" in the workspace itself first, to compare the queued one with, and with the queue's HOME:
    # it leaves there the libraries' caches (Keras's keras.json, Matplotlib's font list) the queued runs
    # would otherwise be the first to write. Then back to the baseline, the README's way.
    qdvc(["exp", "run", "train", *VARIANTS["three"]], ws, env)   # up to the metrics compared
    here = json.loads((ws / "dvclive" / "metrics.json").read_text())
    for argv in readme_way_back(project_root):
        run_process(argv, cwd=ws, env=env, check=True)

    before = SimpleNamespace(ws=tree(ws), home=tree(root / "home", ()), tmp=tree(root / "tmp", ()),
                             head=head(ws))
    for name, overrides in VARIANTS.items():
        qdvc(["exp", "run", "--queue", "-n", name, *overrides], ws, env)

    exps = ws / ".dvc" / "tmp" / "exps"
    trainers, together = {}, set()
    state, asking, asked = {}, None, 0.0
    started = time.monotonic()
    try:
        # Not to a pipe: the detached workers inherit the command's stdout and stderr, so reading
        # them to their end would wait for the whole queue.
        with open(root / "queue-start.log", "w") as log:
            begun = run_process([sys.executable, "-m", "dvc", "queue", "start", "-j", "2"], cwd=ws, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        assert begun.returncode == 0, (root / "queue-start.log").read_text()
        while time.monotonic() - started < DEADLINE:
            now = stage_cwds("pipeline.train", root)
            trainers.update(now)
            if len(set(now.values())) >= 2:
                together |= set(now.values())
            # asked in the background, every few seconds: each `dvc queue status` costs a second of
            # CPU, and the processes above are watched meanwhile
            if asking is None and time.monotonic() - asked > 5:
                asking, asked = ask_status(ws, env), time.monotonic()
            elif asking is not None and asking.poll() is not None:
                state, asking = statuses(asking.communicate()[0]), None
                if set(state) == set(VARIANTS) and set(state.values()) <= DONE:
                    break
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        shown = json.loads(qdvc(["exp", "show", "--json"], ws, env))
        logs = {name: qdvc(["queue", "logs", name], ws, env) for name in VARIANTS}
    finally:
        if asking is not None:
            end(asking)
        left = stop_queue(ws, env, root)
    after = SimpleNamespace(ws=tree(ws), home=tree(root / "home", ()), tmp=tree(root / "tmp", ()), head=head(ws),
                            status=run_process(["git", "status", "--porcelain"], cwd=ws, check=True).stdout)
    print(f"\nqueue: {elapsed:.0f} s; trainers: {trainers}")
    return SimpleNamespace(ws=ws, exps=exps, state=state, shown=shown, logs=logs, trainers=trainers,
                           together=together, before=before, after=after, left=left, here=here)


def head(ws: Path) -> str:
    return run_process(["git", "rev-parse", "HEAD"], cwd=ws, check=True).stdout


def test_both_queued_variants_succeed_and_each_runs_its_training(run):
    """"three" resumes from the baseline's checkpoint (DVC's cache carried it into the queue workspace);
    "h12", another shape, starts from scratch."""
    assert run.state == {name: "Success" for name in VARIANTS}, (run.state, run.logs)
    for name, log in run.logs.items():
        assert "Running stage 'train'" in log and "Running stage 'scrape'" not in log, log[-3000:]
    assert "resuming from the checkpoint" in run.logs["three"], run.logs["three"][-3000:]
    assert "the model's shape changed (hidden_units)" in run.logs["h12"], run.logs["h12"][-3000:]


def test_the_train_stages_ran_at_the_same_time_in_separate_queue_workspaces(run):
    """Two trainers seen alive at once, each in a queue workspace of its own: not one after the
    other, and neither in the main workspace."""
    assert {Path(cwd).parent for cwd in run.trainers.values()} == {run.exps}, run.trainers
    assert len(set(run.trainers.values())) == 2, run.trainers
    assert len(run.together) == 2, f"never two trainers at once: {run.trainers}"


def test_exp_show_lists_both_with_their_params_and_metrics(run):
    experiments = {exp["name"]: exp["revs"][0] for baseline in run.shown
                   for exp in (baseline.get("experiments") or [])}
    assert set(VARIANTS) <= set(experiments), experiments.keys()
    workspace = next(row for row in run.shown if row["rev"] == "workspace")["data"]
    sizes = {"baseline": workspace["metrics"]["dvclive/metrics.json"]["data"]["params"]}
    for name, units, epochs in (("three", TINY["train.hidden_units"], 3), ("h12", 12, TINY["train.epochs"])):
        revision = experiments[name]
        assert revision["error"] is None, revision["error"]
        params = revision["data"]["params"]["params.yaml"]["data"]
        assert (params["train"]["hidden_units"], params["train"]["epochs"]) == (units, epochs)
        metrics = revision["data"]["metrics"]["dvclive/metrics.json"]["data"]
        assert math.isfinite(metrics["eval"]["nats_per_char"]) and metrics["eval"]["nats_per_char"] > 0
        assert metrics["step"] == epochs - 1
        sizes[name] = metrics["params"]
    # the weights counted by each run: each trained the model its own params describe, not the other's
    assert sizes["baseline"] == sizes["three"] < sizes["h12"], sizes


def test_a_queued_experiment_ends_exactly_where_the_same_one_in_the_workspace_ends(run):
    """Both resumed from the same checkpoint, on the same data, with the same code and params, on this
    machine: the same arithmetic, so the same bits. Fails if the queue workspace did not get the
    checkpoint (a 3-epoch run from scratch) or trained on anything else."""
    experiments = {exp["name"]: exp["revs"][0] for baseline in run.shown
                   for exp in (baseline.get("experiments") or [])}
    queued = experiments["three"]["data"]["metrics"]["dvclive/metrics.json"]["data"]
    assert queued["step"] == run.here["step"] == 2
    assert queued["eval"] == run.here["eval"] and queued["train"]["loss"] == run.here["train"]["loss"]


def test_the_main_workspace_is_untouched(run):
    assert run.after.head == run.before.head
    assert run.after.status == ""
    changed = {name for name in run.before.ws.keys() | run.after.ws.keys()
               if run.before.ws.get(name) != run.after.ws.get(name)}
    assert changed == set(), sorted(changed)


def test_nothing_is_written_to_home_or_tmpdir(run):
    """The run in the workspace, with the same HOME, already left the libraries' caches there (Keras's
    keras.json, Matplotlib's font list): the queued runs must add or change nothing."""
    assert run.after.home == run.before.home
    assert run.after.tmp == run.before.tmp


def test_no_queue_process_outlives_queue_stop(run):
    assert run.left == [], f"still running after `dvc queue stop --kill` and {DEADLINE} s: {run.left}"
    assert not [path for path in run.exps.glob("tmp*") if path.is_dir()], "queue workspaces left behind"
