"""One trainer per checkpoint directory: an exclusive file lock.

In:  the checkpoint directory.
Out: `exclusive(directory)`: a context holding an exclusive `fcntl.flock` on `<directory>/.lock`
     (which then holds the trainer's PID); a second trainer gets `Locked`, naming the PID that holds
     it. The kernel releases the lock when its process dies, however it dies, so a stale lock file
     never blocks a rerun.
`.dvcignore` lists the lock file, so it is never part of the cached `checkpoints/` output.
"""
from __future__ import annotations

import fcntl
import os
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
