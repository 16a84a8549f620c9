"""The trainer stops when the process that started it is gone, through whatever shell started it.

A real process tree: a starter process runs `<shell> -c "python watcher.py"`, the watcher runs
`guard.watch_parent`, and the starter is killed as `kill` kills `dvc repro`.
"""
import subprocess
import sys

import pytest

from test_train_faults import wait_for

WATCHER = """
import sys
import time
from pathlib import Path
from pipeline.train.guard import watch_parent

class Stop:
    reason = None
    requested = property(lambda self: self.reason is not None)

    def request(self, why):
        self.reason = why

stop = Stop()
watch_parent(stop, interval=0.05)
Path(sys.argv[1]).write_text("watching")
deadline = time.monotonic() + 60  # never outlive the test: nothing else would stop this process
while not stop.requested and time.monotonic() < deadline:
    time.sleep(0.05)
Path(sys.argv[1]).write_text(str(stop.reason))
"""


@pytest.mark.parametrize("shell", ["/bin/sh", "/bin/bash"])
def test_the_trainer_sees_its_starter_go_through_a_shell_that_stays(shell, tmp_path):
    """DVC runs a stage as `$SHELL -c cmd`; dash (CI's /bin/sh) does not exec the command, so the
    trainer's parent, the shell, lives on when `dvc repro` is killed (the bug: training went on)."""
    (tmp_path / "watcher.py").write_text(WATCHER)
    report = tmp_path / "report"
    starter = subprocess.Popen([sys.executable, "-c", "import subprocess, sys; subprocess.run(sys.argv[1:])",
                                shell, "-c", f"{sys.executable} {tmp_path / 'watcher.py'} {report}"])
    try:
        wait_for(lambda: report.exists() and report.read_text() == "watching", 60, "the watcher to start")
        starter.kill()
        starter.wait()
        wait_for(lambda: "is gone" in report.read_text(), 10, "the watcher to see its starter gone")
        assert f"(PID {starter.pid})" in report.read_text()
    finally:
        starter.kill()
