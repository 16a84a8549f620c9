"""`bench/gpu_check.py` keeps working: its small CPU mode runs end to end (GPUs hidden, so it is the
same run on any machine) and reports what it measured, and its cuDNN check looks at the graph.

The CPU run is checked for: exit 0; a last line of JSON with every key; the CPU among the devices;
cuDNN reported unused, with the missing GPU as the reason; positive rates and shares below the peak;
epoch projections that agree with the reported rate, recomputed here from the article's corpus size
(2.6 M characters, 50 predicted characters per window); the figures it cannot measure without a GPU
null and "not measured", and a statement that no GPU figure was measured. The cuDNN check is run
with Keras made to believe there is a GPU: it must find the cuDNN op in the traced graph, and not
call it used, since the op cannot run on a CPU. Both run in one child process (GPUs hidden), one after
the other: the script as `__main__`, as `python bench/gpu_check.py` runs it, then the cuDNN check.
"""
import json
import os
import sys

import pytest

from conftest import PROJECT
from processes import run

KEYS = {"tensorflow", "devices", "gpu", "units", "cudnn", "cudnn_reason", "jit_compile_kept", "matmul_peak_gflops",
        "chars_per_s_float32", "chars_per_s_mixed_float16", "chars_per_s_mixed_bfloat16", "share_float32",
        "share_mixed_float16", "share_mixed_bfloat16", "corpus_chars", "section_length", "epoch_hours_step10",
        "epoch_hours_step1", "sample_chars_per_s", "sample_batch16_chars_per_s"}
CPU_ONLY = {**os.environ, "CUDA_VISIBLE_DEVICES": "-1", "TF_CPP_MIN_LOG_LEVEL": "3"}


BOTH = """
import contextlib, importlib, io, json, runpy, sys
from dataclasses import replace
sys.path.insert(0, "bench")
sys.argv = ["bench/gpu_check.py", "--batches", "3", "--chars", "60", "--peak-repeats", "2"]
printed = io.StringIO()
with contextlib.redirect_stdout(printed):
    runpy.run_path("bench/gpu_check.py", run_name="__main__")
print("CPU_RUN " + json.dumps(printed.getvalue()))
importlib.import_module("keras.src.backend.tensorflow.rnn")._is_gpu_available = lambda: True
import gpu_check
from common.params import load_settings
from common.settings import TrainSettings
settings = load_settings(TrainSettings, gpu_check.PROJECT / "params.yaml")
print("CUDNN " + json.dumps(gpu_check.cudnn_check(replace(settings, hidden_units=8, batch_size=4), 20)[1]))
"""


@pytest.fixture(scope="module")
def child():
    result = run([sys.executable, "-c", BOTH], cwd=PROJECT, env=CPU_ONLY)
    assert result.returncode == 0, result.stderr[-3000:]
    return {line.split(" ", 1)[0]: json.loads(line.split(" ", 1)[1]) for line in result.stdout.splitlines()
            if line.startswith(("CPU_RUN ", "CUDNN "))}


@pytest.fixture(scope="module")
def cpu_run(child):
    lines = child["CPU_RUN"].strip().splitlines()
    return "\n".join(lines[:-1]), json.loads(lines[-1])


def test_the_last_line_is_json_with_every_figure(cpu_run):
    """Fails when a key is renamed or dropped, or a human-readable line is printed after the JSON."""
    _, figures = cpu_run
    assert KEYS <= figures.keys(), f"missing: {KEYS - figures.keys()}"


def test_it_sees_the_cpu_and_says_cudnn_is_not_used_because_there_is_no_gpu(cpu_run):
    """Fails when the device list is empty or wrong, or cuDNN is assumed rather than observed."""
    text, figures = cpu_run
    assert any("CPU" in device for device in figures["devices"]) and figures["gpu"] is None
    assert figures["cudnn"] is False and "no GPU" in figures["cudnn_reason"]
    assert "cuDNN LSTM kernel: not used (no GPU" in text
    assert figures["jit_compile_kept"] is True  # nothing to make Keras drop XLA without cuDNN


def test_rates_are_positive_and_below_the_peak(cpu_run):
    """Fails when a rate is not measured or its share of the peak is computed in the wrong units."""
    _, figures = cpu_run
    assert figures["matmul_peak_gflops"] > 0 and figures["units"] == 64
    for name in ("float32", "mixed_float16"):
        assert figures[f"chars_per_s_{name}"] > 0
        assert 0 < figures[f"share_{name}"] < 1
    assert figures["sample_chars_per_s"] > 0 and figures["sample_batch16_chars_per_s"] > 0


def test_epoch_projections_follow_from_the_float32_rate(cpu_run):
    """Fails when the projection uses the wrong window count, objective, unit or rate."""
    _, figures = cpu_run
    assert figures["corpus_chars"] == 2_600_000 and figures["section_length"] == 50
    rate = figures["chars_per_s_float32"]
    # as printed: hours to 4 significant digits (5e-4 of the value), the rate to the unit (0.5 / rate)
    rounding = 5e-4 + 0.5 / rate
    for step in (10, 1):
        hours = 2.6e6 / step * 50 / rate / 3600
        assert figures[f"epoch_hours_step{step}"] == pytest.approx(hours, rel=rounding)


def test_gpu_figures_are_said_to_be_unmeasured(cpu_run):
    """Fails when a figure that needs a GPU is filled in (estimated) or the text hides that it is missing."""
    text, figures = cpu_run
    assert figures["chars_per_s_mixed_bfloat16"] is None and figures["share_mixed_bfloat16"] is None
    assert "mixed_bfloat16: not measured (no GPU)" in text
    assert "no GPU figure has been measured" in text


def test_the_cudnn_check_finds_the_cudnn_op_in_the_graph_and_sees_it_cannot_run_here(child):
    """Fails when the check only asks whether a GPU exists, or calls cuDNN used without running it;
    and when Keras's jit_compile is not read back from the model (a cuDNN LSTM turns XLA off). Keras is
    made to believe there is a GPU."""
    facts = child["CUDNN"]
    assert facts["cudnn"] is False
    assert "CudnnRNNV3" in facts["cudnn_reason"] and "could not run" in facts["cudnn_reason"]
    assert facts["jit_compile_kept"] is False
