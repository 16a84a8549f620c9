"""Parallel experiments, as the README runs them: two variants queued with `dvc exp run --queue`, then
`dvc queue start -j 2`, in a temporary git + DVC workspace of the small sample pipeline.

Checks that both succeed; that their train stages really ran at the same time, each in a queue
workspace of its own (seen in /proc: two `python -m pipeline.train` alive at once, with different
working directories under `.dvc/tmp/exps/`); that `dvc exp show --json` lists both with their params
and metrics, each model as large as its own `train.hidden_units` says; that the main workspace is
byte for byte as it was; that nothing was written to HOME or TMPDIR (pointed into the test's
directory) while they ran; and that no queue worker outlives `dvc queue stop`.
"""
import hashlib
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

from pipeline.workspace import commit_all, dvc_env, prepare_workspace

BASELINE = {"scrape.source": "sample", "scrape.delay": 0.0, "scrape.limit": 2, "train.hidden_units": 8,
            "train.epochs": 2, "train.batch_size": 64, "train.sample_every": 0,
            "sample.length": 10, "sample.temperatures": [0]}
# scrape.refresh: each variant fetches the sample site again, from a server its own scrape starts;
# a fixed port there would make the second one fail while the first serves.
VARIANTS = {"h10": ["-S", "train.hidden_units=10", "-S", "scrape.refresh=true", "-S", "scrape.delay=0.2"],
            "h12": ["-S", "train.hidden_units=12", "-S", "scrape.refresh=true", "-S", "scrape.delay=0.2"]}
MARKER = "SCRIPTLM_QUEUE_TEST"
QUEUE_TIMEOUT = 600
DONE = {"Success", "Failed"}


def queue_env(root: Path) -> dict:
    # The marker lets the cleanup find every process this test's queue started (workers, stages),
    # however DVC detaches them, and only those.
    return dict(dvc_env(), HOME=str(root / "home"), TMPDIR=str(root / "tmp"), **{MARKER: str(root)})


def qdvc(args: list[str], ws: Path, env: dict) -> str:
    done = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=ws, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"dvc {' '.join(args)}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done.stdout


def tree(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every file under `root` (but `skip`) with a hash of its bytes, or of its target for a symlink."""
    files = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if any(name == s or name.startswith(s + "/") for s in skip) or path.is_dir() and not path.is_symlink():
            continue
        data = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
        files[name] = hashlib.sha256(data).hexdigest()
    return files


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
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def statuses(output: str) -> dict[str, str]:
    """{experiment name: Queued/Running/Success/Failed} from the output of `dvc queue status`."""
    rows = [line.split() for line in output.splitlines()]
    return {row[1]: row[-1] for row in rows if len(row) >= 3 and row[1] in VARIANTS}


def stop_queue(ws: Path, env: dict, root: Path) -> list[int]:
    """Stop the workers; wait for every process the queue started to end; kill and return any left."""
    subprocess.run([sys.executable, "-m", "dvc", "queue", "stop", "--kill"], cwd=ws, env=env,
                   capture_output=True, timeout=120)
    deadline = time.monotonic() + 60
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
def run(tmp_path_factory, project_root):
    root = tmp_path_factory.mktemp("queue")
    for name in ("home", "tmp", "site-cache"):
        (root / name).mkdir()
    env = queue_env(root)
    ws = prepare_workspace(project_root, root / "ws", BASELINE)
    # DVC's own per-repo state (one folder per queue workspace) would otherwise go to /var/tmp/dvc;
    # DVC copies config.local into each queue workspace.
    qdvc(["config", "--local", "core.site_cache_dir", str(root / "site-cache")], ws, env)
    qdvc(["repro"], ws, env)
    commit_all(ws, "baseline run")

    skip = (".git", ".dvc/tmp", ".dvc/cache")  # git's and DVC's own books: experiments go there
    before = SimpleNamespace(ws=tree(ws, skip), home=tree(root / "home"), tmp=tree(root / "tmp"),
                             head=subprocess.run(["git", "rev-parse", "HEAD"], cwd=ws, capture_output=True,
                                                 text=True, check=True).stdout)
    for name, overrides in VARIANTS.items():
        qdvc(["exp", "run", "--queue", "-n", name, *overrides], ws, env)

    exps = ws / ".dvc" / "tmp" / "exps"
    trainers, scrapers, together, scraped_together = {}, {}, set(), False
    state, asking, asked = {}, None, 0.0
    started = time.monotonic()
    try:
        # Not to a pipe: the detached workers inherit the command's stdout and stderr, so reading
        # them to their end would wait for the whole queue.
        with open(root / "queue-start.log", "w") as log:
            begun = subprocess.run([sys.executable, "-m", "dvc", "queue", "start", "-j", "2"], cwd=ws, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, timeout=120)
        assert begun.returncode == 0, (root / "queue-start.log").read_text()
        while time.monotonic() - started < QUEUE_TIMEOUT:
            now = stage_cwds("pipeline.train", root)
            trainers.update(now)
            if len(set(now.values())) >= 2:
                together |= set(now.values())
            scraping = stage_cwds("pipeline.scrape", root)
            scrapers.update(scraping)
            scraped_together |= len(set(scraping.values())) >= 2
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
            asking.kill()
        left = stop_queue(ws, env, root)
    after = SimpleNamespace(ws=tree(ws, skip), home=tree(root / "home"), tmp=tree(root / "tmp"),
                            head=subprocess.run(["git", "rev-parse", "HEAD"], cwd=ws, capture_output=True,
                                                text=True, check=True).stdout,
                            status=subprocess.run(["git", "status", "--porcelain"], cwd=ws, capture_output=True,
                                                  text=True, check=True).stdout)
    print(f"\nqueue: {elapsed:.0f} s; trainers: {trainers}; scrapers: {scrapers}, at once: {scraped_together}")
    return SimpleNamespace(ws=ws, exps=exps, state=state, shown=shown, logs=logs, trainers=trainers,
                           together=together, before=before, after=after, left=left)


def test_both_queued_variants_succeed_and_each_retrains(run):
    assert run.state == {name: "Success" for name in VARIANTS}, (run.state, run.logs)
    for name, log in run.logs.items():
        assert "Running stage 'scrape'" in log and "Running stage 'train'" in log, log[-3000:]


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
    for name, units in (("h10", 10), ("h12", 12)):
        revision = experiments[name]
        assert revision["error"] is None, revision["error"]
        params = revision["data"]["params"]["params.yaml"]["data"]
        assert params["train"]["hidden_units"] == units and params["scrape"]["refresh"] is True
        metrics = revision["data"]["metrics"]["dvclive/metrics.json"]["data"]
        assert math.isfinite(metrics["eval"]["nats_per_char"]) and metrics["eval"]["nats_per_char"] > 0
        assert metrics["step"] == BASELINE["train.epochs"] - 1
        sizes[name] = metrics["params"]
    # the weights counted by each run: each trained the model its own params describe, not the other's
    assert sizes["baseline"] < sizes["h10"] < sizes["h12"], sizes


def test_the_main_workspace_is_untouched(run):
    assert run.after.head == run.before.head
    assert run.after.status == ""
    changed = {name for name in run.before.ws.keys() | run.after.ws.keys()
               if run.before.ws.get(name) != run.after.ws.get(name)}
    assert changed == set(), sorted(changed)


def test_nothing_is_written_to_home_or_tmpdir(run):
    """The baseline run, with the same HOME, already left the libraries' caches there (Keras's
    keras.json, Matplotlib's font list): the queued runs must add or change nothing."""
    assert run.after.home == run.before.home
    assert run.after.tmp == run.before.tmp


def test_no_queue_process_outlives_queue_stop(run):
    assert run.left == [], f"still running after `dvc queue stop --kill` and 60 s: {run.left}"
    assert not [path for path in run.exps.glob("tmp*") if path.is_dir()], "queue workspaces left behind"
