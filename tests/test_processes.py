"""tests/processes.py ends what a test started, even when the test fails: the process, though it ignores
SIGTERM and SIGINT, and the process it started in turn (as `dvc repro` starts a stage, or serve-offline's
parent a server). Before, a test that failed under load left its `scriptlm serve-sample` (now `serve-offline`)
running for good."""
import signal
import subprocess
import sys

import pytest

from processes import alive, read_lines, run, started, wait_for

STUBBORN = """
import signal, subprocess, sys, time
for sig in (signal.SIGTERM, signal.SIGINT):
    signal.signal(sig, signal.SIG_IGN)
grandchild = subprocess.Popen([sys.executable, "-c", "import signal, time; "
                               "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(3600)"])
print(grandchild.pid, flush=True)
time.sleep(3600)
"""


def test_a_failing_test_still_ends_its_process_and_the_ones_that_process_started():
    with pytest.raises(AssertionError, match="the test fails here"):
        with started([sys.executable, "-c", STUBBORN], stdout=subprocess.PIPE, text=True, grace=1) as child:
            grandchild = int(read_lines(child.stdout, 1, "the grandchild's PID")[0])
            assert alive(grandchild)
            raise AssertionError("the test fails here")
    assert child.returncode == -signal.SIGKILL  # SIGTERM was ignored: killed after the grace period
    wait_for(lambda: not alive(grandchild), f"the grandchild (PID {grandchild}) to be gone")


def test_a_started_python_stops_on_sigint_and_sighup_though_the_test_run_ignores_them():
    """Fails when a child inherits an ignored SIGINT (a background `make test &` in a script) or SIGHUP
    (`nohup make test`) from the test run: `serve-offline`, stopped with SIGINT by its tests, and
    `scriptlm serve`, stopped with SIGHUP, then slept until the 15-minute deadline."""
    probe = ("import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler, "
             "signal.getsignal(signal.SIGHUP) is signal.SIG_DFL)")
    before = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGHUP)}
    try:
        done = run([sys.executable, "-c", probe])
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
    assert done.stdout.strip() == "True True", done
