"""No trainer outliving the `dvc repro` that started it.

In:  the `StopRequest` that SIGINT/SIGTERM set; DVC_STAGE in the environment (DVC sets it for a stage's
     command); /proc, for the process's ancestors.
Out: `watch_parent(stop)`: for a trainer DVC started, a daemon thread that requests a stop, as SIGTERM
     does (finish the batch, save a checkpoint of exactly that point, exit), when the process that
     started the trainer (the first ancestor that is not a shell, `lineage()`) is gone: `kill` of
     `dvc repro` does not reach its child, which would otherwise train on while the next `dvc repro`
     starts another on the same files.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

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
