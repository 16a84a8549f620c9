"""`train.threads`: the stage sets TensorFlow's thread pools before TensorFlow starts.

The bugs these catch: the setting applied after TensorFlow started (TensorFlow then keeps its own, and
the run is not what the params say), or silently ignored; `auto` setting pools the benchmark found
slower; an explicit pair not taken as given.
"""
import subprocess
import sys
from dataclasses import replace

from conftest import PROJECT, TINY_SETTINGS
from pipeline.train.threads import chosen

PROBE = """
import sys
from dataclasses import replace
from conftest import TINY_SETTINGS
from pipeline.train import threads
import tensorflow as tf
if sys.argv[1] == "late":
    tf.constant(1.0) + 1.0  # TensorFlow has started
print(threads.apply(replace(TINY_SETTINGS, threads=[3, 1])))
print(tf.config.threading.get_inter_op_parallelism_threads(), tf.config.threading.get_intra_op_parallelism_threads())
"""


def run_probe(when: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, when], cwd=PROJECT / "tests", capture_output=True, text=True,
                          env={"PYTHONPATH": str(PROJECT), "PATH": "/usr/bin:/bin"})


def test_auto_leaves_the_pools_to_tensorflow_and_a_pair_is_taken_as_given():
    for units in (24, 256, 512, 1024):
        assert chosen(replace(TINY_SETTINGS, hidden_units=units)) is None
    assert chosen(replace(TINY_SETTINGS, threads=(4, 2))) == (4, 2)


def test_the_stage_sets_the_pools_before_tensorflow_starts():
    done = run_probe("early")
    assert done.returncode == 0, done.stderr[-2000:]
    said, pools = done.stdout.splitlines()[-2:]
    assert said == "threads: 3 inter-op, 1 intra-op" and pools == "3 1"


def test_too_late_is_said_in_one_line_and_the_pools_stay():
    done = run_probe("late")
    assert done.returncode == 0, done.stderr[-2000:]
    said, pools = done.stdout.splitlines()[-2:]
    assert said == "threads: as TensorFlow had them" and pools == "0 0"
    assert "train.threads (3 inter-op, 1 intra-op) not applied: TensorFlow already ran" in done.stderr
