"""One trainer per workspace, and no trainer outliving the `dvc repro` that started it.

In:  the checkpoint directory, and the `StopRequest` that SIGINT/SIGTERM set.
Out: `exclusive(directory)`: a context holding an exclusive `fcntl.flock` on `<directory>/.lock`
     (which then holds the trainer's PID); a second trainer gets `Locked`, naming the PID that holds
     it. The kernel releases the lock when its process dies, however it dies, so a stale lock file
     never blocks a rerun. `watch_parent(stop)`: for a trainer DVC started (DVC_STAGE set), a daemon
     thread that requests a stop, as SIGTERM does (finish the batch, save a checkpoint of exactly that
     point, exit), when the process that started the trainer (the first ancestor that is not a
     shell, `lineage()`) is gone: `kill` of `dvc repro` does not reach its child, which would
     otherwise train on while the next `dvc repro` starts another on the same files.
`.dvcignore` lists the lock file, so it is never part of the cached `checkpoints/` output.
"""
from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager
from pathlib import Path

LOCK = ".lock"


class Locked(RuntimeError):
    """Another trainer holds the checkpoint directory; the message names its PID and what to do."""


@contextmanager
def exclusive(directory: Path):
    """Hold `<directory>/.lock` for the duration, or raise `Locked` at once."""
    path = Path(directory) / LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # no O_TRUNC: the holder's PID stays readable
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise Locked(f"{path}: another trainer (PID {holder}) is training in {directory}/ now. Wait for it "
                         f"to finish, or stop it with `kill {holder}` (it saves a checkpoint to resume from), "
                         "then rerun.") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


SHELLS = {"sh", "dash", "bash", "zsh", "ksh", "mksh", "fish", "busybox"}


def _stat(pid: int) -> tuple[str, int]:
    """(command name, parent PID) of a process, from /proc (Linux)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    name, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
    return name, int(rest[1])


def lineage() -> list[int]:
    """Our parent, then its parents for as long as the one before is a shell: DVC runs a stage through
    `$SHELL -c cmd`, and a shell that does not exec its last command (dash, CI's /bin/sh) stays our
    parent after `dvc repro` is killed, so only the shell's own parent changes."""
    chain = [os.getppid()]
    try:
        name, parent = _stat(chain[0])
        while name in SHELLS and parent > 1 and len(chain) < 8:
            chain.append(parent)
            name, parent = _stat(parent)
    except (OSError, ValueError):  # no /proc (not Linux): the direct parent only
        pass
    return chain


def _intact(chain: list[int]) -> bool:
    if os.getppid() != chain[0]:
        return False
    try:
        return all(_stat(child)[1] == parent for child, parent in zip(chain, chain[1:]))
    except (OSError, ValueError):
        return False


def watch_parent(stop, interval: float = 0.2) -> threading.Thread | None:
    """Request `stop` once the process that started us (e.g. `dvc repro`, through any shells) is gone;
    the thread dies with us. Only when DVC started us (it sets DVC_STAGE for every stage's command):
    a trainer started by hand, e.g. `nohup python -m pipeline.train ... &` over ssh, must outlive the
    shell and the login session that started it (SIGHUP and Ctrl-C still reach it as signals)."""
    if not os.environ.get("DVC_STAGE"):
        return None
    chain = lineage()

    def watch():
        while not stop.requested:
            if not _intact(chain):  # someone in the chain was reparented: the one above it has exited
                stop.request(f"the process that started the trainer (PID {chain[-1]}) is gone")
                return
            threading.Event().wait(interval)

    thread = threading.Thread(target=watch, name="watch-parent", daemon=True)
    thread.start()
    return thread
