"""Processes a test starts, always ended, and waits that do not depend on how busy the machine is.

In:  a command (argv and Popen's keyword arguments), or a condition to wait for.
Out: `started(...)`: the running Popen inside a `with`; on leaving it, normally or by an exception, the
     process's whole process group (its children too: DVC's stages, a server's workers) is sent SIGTERM,
     given GRACE seconds, then SIGKILL, and reaped. `run(...)` / `dvc(...)`: subprocess.run's result, from a
     process ended the same way. `dvc_status(...)`: what `dvc status --json` prints, from DVC in this process.
     `stop(...)`: a signal, then the exit code. `alive(pid)`. `read_lines(...)`: a process's
     next lines of output, and `wait_for(...)`: a condition's first true value, each failing after DEADLINE.

The timeouts are deadlines for a hang, never measurements: nothing here passes or fails by being slow.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from app.workspace import dvc_env

# Seconds. About ten times the longest step of any test seen on a busy machine 3x slower than ours (a
# queued pair of experiments, ~90 s there): only a hang reaches it.
DEADLINE = 900
GRACE = 30  # between SIGTERM and SIGKILL: a trainer saves its checkpoint in a second or two


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)  # start_new_session: the group's id is the leader's PID
    except (ProcessLookupError, PermissionError):
        pass  # the whole group has exited


def end(process: subprocess.Popen, grace: float = GRACE) -> None:
    """SIGTERM to the process's group, `grace` seconds, SIGKILL to what is left of it; reap; close pipes."""
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    _signal_group(process, signal.SIGKILL)  # also children that outlived an exited leader
    process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def _default_stop_signals() -> None:
    # A shell ignores SIGINT and SIGQUIT in what it starts in the background (`make test &` in a script),
    # `nohup make test` ignores SIGHUP, and children inherit that: a server told to stop with Ctrl-C's
    # signal, or a closed terminal's, would then never stop.
    for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


@contextmanager
def started(argv: list[str], *, grace: float = GRACE, **popen):
    """Popen(argv) in a process group of its own, with the stop signals at their defaults (whatever the
    test run inherited), ended with `end` when the block is left."""
    process = subprocess.Popen(argv, start_new_session=True, preexec_fn=_default_stop_signals, **popen)
    try:
        yield process
    finally:
        end(process, grace)


def stop(process: subprocess.Popen, sig: int = signal.SIGINT, deadline: float = DEADLINE) -> int:
    """Send `sig` to the process alone and return its exit code once it has exited."""
    process.send_signal(sig)
    return process.wait(deadline)


def run(argv: list[str], *, timeout: float = DEADLINE, check: bool = False, **popen) -> subprocess.CompletedProcess:
    """subprocess.run(argv, capture_output=True, text=True) (unless `popen` redirects the output), in a
    process ended like `started` whatever happens."""
    popen = {"stdin": subprocess.DEVNULL, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **popen}
    with started(argv, text=True, **popen) as process:
        out, err = process.communicate(timeout=timeout)
    done = subprocess.CompletedProcess(argv, process.returncode, out, err)
    if check and done.returncode:
        raise subprocess.CalledProcessError(done.returncode, argv, out, err)
    return done


def dvc(args: list[str], cwd: Path, *, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """`dvc <args>` in `cwd` with this interpreter (no analytics), output captured; by default raises
    CalledProcessError, with the output, if it fails."""
    return run([sys.executable, "-m", "dvc", *args], cwd=cwd, env=env or dvc_env(), check=check)


def dvc_status(cwd: Path, targets: list[str] | None = None, *, with_deps: bool = False) -> dict:
    """What `dvc status --json [--with-deps] [targets]` in `cwd` prints, from DVC's own `Repo.status` under the
    repo's lock, as that command calls it, but in this process: a `dvc` process costs about a CPU-second,
    nearly all of it starting up, and the suite asks for the status some thirty times."""
    from contextlib import chdir

    from dvc.repo import Repo, lock_repo

    with chdir(cwd), Repo() as repo, lock_repo(repo):  # from cwd, as the command: it names stages relative to it
        return json.loads(json.dumps(repo.status(targets=targets, with_deps=with_deps)))


def alive(pid: int) -> bool:
    """Running (a zombie whose parent has not reaped it yet counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def read_lines(stream, count: int, what: str, deadline: float = DEADLINE) -> list[str]:
    """The next `count` lines of a process's text stream, read in a thread so that a process that never
    writes them fails the test after `deadline` instead of hanging it; '' for each line after EOF."""
    import queue
    import threading

    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(stream.readline()) for _ in range(count)], daemon=True).start()
    give_up = time.monotonic() + deadline
    try:
        return [lines.get(timeout=max(0.0, give_up - time.monotonic())) for _ in range(count)]
    except queue.Empty:
        import pytest

        pytest.fail(f"waited {deadline} s for {what}")


def wait_for(condition, what: str, deadline: float = DEADLINE, every: float = 0.1):
    """The first true value of `condition()`, polled every `every` s; fails naming `what` after `deadline`."""
    import pytest

    give_up = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > give_up:
            pytest.fail(f"waited {deadline} s for {what}")
        time.sleep(every)
