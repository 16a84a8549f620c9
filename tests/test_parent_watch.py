"""A trainer that DVC started stops when the process that started it is gone, through whatever shell
started it; one started by hand with `nohup … &` outlives the shell and session that started it.

A real process tree: a starter process runs `<shell> -c "python watcher.py"`, the watcher runs
`parent_watch.watch_parent`, and the starter is killed as `kill` kills `dvc repro` (or, for nohup, it just
exits, as a login shell does when an ssh session ends).
"""
import os
import subprocess
import sys

import pytest

from processes import started, wait_for

WATCHER = """
import os
import sys
import time
from pathlib import Path
from pipeline.train.parent_watch import watch_parent

class Stop:
    reason = None
    requested = property(lambda self: self.reason is not None)

    def request(self, why):
        self.reason = why

stop, report, parent = Stop(), Path(sys.argv[1]), os.getppid()
thread = watch_parent(stop, interval=0.05)
report.write_text("watching" if thread else "not watching")
deadline = time.monotonic() + 120  # never outlive the test: nothing else would stop this process
while not stop.requested and os.getppid() == parent and time.monotonic() < deadline:
    time.sleep(0.05)
if not stop.requested:  # orphaned: a watcher would see it within one interval; give it twenty
    time.sleep(20 * 0.05)
report.write_text(str(stop.reason))
"""


@pytest.mark.parametrize("shell", ["/bin/sh", "/bin/bash"])
def test_the_trainer_sees_its_starter_go_through_a_shell_that_stays(shell, tmp_path):
    """DVC runs a stage as `$SHELL -c cmd`; dash (CI's /bin/sh) does not exec the command, so the
    trainer's parent, the shell, lives on when `dvc repro` is killed (the bug: training went on)."""
    (tmp_path / "watcher.py").write_text(WATCHER)
    report = tmp_path / "report"
    env = {**os.environ, "DVC_STAGE": "train"}  # what DVC sets for every stage's command
    with started([sys.executable, "-c", "import subprocess, sys; subprocess.run(sys.argv[1:])",
                  shell, "-c", f"{sys.executable} {tmp_path / 'watcher.py'} {report}"], env=env) as starter:
        wait_for(lambda: report.exists() and report.read_text() == "watching", "the watcher to start")
        starter.kill()
        starter.wait()
        wait_for(lambda: "is gone" in report.read_text(), "the watcher to see its starter gone")
        assert f"(PID {starter.pid})" in report.read_text()


def test_a_trainer_started_by_hand_with_nohup_outlives_the_shell_that_started_it(tmp_path):
    """Before: the watcher climbed through the login shell to the ssh session's process, and a worker
    started as `nohup python -m pipeline.train … &` stopped when the session ended."""
    (tmp_path / "watcher.py").write_text(WATCHER)
    report = tmp_path / "report"
    env = {key: value for key, value in os.environ.items() if key != "DVC_STAGE"}
    command = f"nohup {sys.executable} {tmp_path / 'watcher.py'} {report} >/dev/null 2>&1 &"
    wait_started = f"until [ -s {report} ]; do sleep 0.05; done"  # then exit, as a session closes
    with started(["/bin/bash", "-c", f"{command} {wait_started}"], env=env) as session:
        wait_for(lambda: report.exists() and report.read_text() != "", "the watcher to start")
        assert session.wait() == 0
        wait_for(lambda: report.read_text() not in ("", "watching", "not watching"), "the watcher to be orphaned")
        assert report.read_text() == "None", report.read_text()
