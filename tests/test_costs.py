"""What a setting costs is known before anything runs: the estimate against real training, and the
check stage's refusals through its real command.

Before: `train.section_length: 100000` passed `python -m pipeline.check` (the trainer then grew to
23 GB until the kernel killed it), and so did `scrape.delay: 1e300`."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from app.workspace import with_overrides
from common.costs import (EVAL_POSITIONS, RECORD_WINDOWS, machine_memory_bytes, parameter_count, training_parts,
                          training_peak_bytes)
from common.params import load_params
from common.presets import DEMO
from pipeline.check.__main__ import check_costs

PROJECT = Path(__file__).resolve().parent.parent
GB = 10**9
# The smallest machine the README's presets are meant for: they must fit it, whatever this one has.
SMALL_MACHINE = 8 * GB

CHILD = """
import json, sys
from dataclasses import replace
from pathlib import Path
from tests.conftest import TINY_SETTINGS, TINY_TEXT, run_training, write_tiny_windows
from pipeline.train.callbacks import NonFiniteLoss
batch, section, units = map(int, sys.argv[1:4])
root = Path(sys.argv[4])
chars = write_tiny_windows(root, TINY_TEXT * (1 + 2 * batch * (section + 1) // len(TINY_TEXT)), section, section)
try:  # two batches do not make a model better than a uniform guess, which the stage refuses: memory is the point
    run_training(root, replace(TINY_SETTINGS, section_length=section, hidden_units=units, batch_size=batch,
                               epochs=1, embedding=16, objective="all", dropout=0.2))
except NonFiniteLoss as error:
    assert "above the uniform guess" in str(error), error
windows = json.loads((root / "windows/meta.json").read_text())["splits"]["train"]["windows"]
peak = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"peak": peak, "windows": windows, "vocab": len(chars)}))
"""


def measured_peak(tmp_path, project_root, batch, section, units) -> dict:
    """Train one epoch of a real model with the train stage's code in a child process; its peak RSS."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(batch), str(section), str(units), str(tmp_path)],
                          cwd=project_root, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("batch, section, units", [(16, 50, 64), (64, 300, 384)])
def test_the_estimate_bounds_the_peak_memory_of_real_training(tmp_path, project_root, batch, section, units):
    """The child's VmHWM (the kernel's count, independent of common/costs.py) must be at most the
    estimate, and more than a quarter of it. Lower side: the estimate counts at full size every
    tensor the backward pass keeps (14 floats per cell, where TensorFlow's allocator statistics find
    10.8 live) and TensorFlow itself at 1 GiB (0.81 GB measured), so only memory the estimate does not
    know of can exceed it. Upper side: the baseline is counted at most 1.3 times over and each
    part that grows with the sizes at most 14 / 7.3 < 2 times (the `last` objective's live count,
    the lowest), so the whole less than 2 times; 4 leaves as much again for a machine whose
    TensorFlow starts smaller. The second size has 24 times the first's batch x section x units."""
    run = measured_peak(tmp_path, project_root, batch, section, units)
    estimate = training_peak_bytes(batch_size=batch, section_length=section, hidden_units=units, layers=1,
                                   embedding=16, vocab_size=run["vocab"], objective="all",
                                   shuffle_windows=run["windows"])
    assert run["peak"] <= estimate <= 4 * run["peak"], (run, estimate)


SHUFFLE_CHILD = """
import json, sys
from pathlib import Path
from common.vocab import load_vocab
from pipeline.train.data import Batching, Order, window_dataset
section, root, buffer = int(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
batching = Batching(section, load_vocab(root / "corpus/vocab.json"), 1, "all")
data = window_dataset(root / "windows", "train", batching, Order(shuffle_buffer=buffer, seed=1))
next(iter(data))   # the first batch comes only once the buffer is full
print(json.dumps(next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmHWM"))))
"""


def shuffle_child(*args) -> int:
    """The peak RSS of a fresh process reading the windows under `root` through a shuffle buffer."""
    done = subprocess.run([sys.executable, "-c", SHUFFLE_CHILD, *map(str, args)], cwd=PROJECT, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_the_estimate_bounds_what_the_shuffle_buffer_holds(tmp_path):
    """The part that grows with shuffle_windows, against what a full buffer of 200,000 windows of 51
    characters (the default section) adds to the peak RSS of a child reading the windows, over the
    same reader without a buffer (the kernel's count, in fresh processes: nothing freed earlier is
    reused). At least that, and at most 4 times: 512 bytes of bookkeeping are counted a window, where
    about 190 are measured, and the 51 bytes of data as they are."""
    from conftest import write_corpus
    from common.settings import WindowSettings
    from pipeline.window.write import make_windows

    windows, section = 200_000, 50
    letters = np.frombuffer(b"abcdefghij \n", np.uint8)  # written here: only the readers' memory is measured
    text = letters[np.random.default_rng(0).integers(0, 12, windows * section + 1)].tobytes().decode()
    write_corpus(tmp_path / "corpus", text, text[:section + 1])
    make_windows(tmp_path / "corpus", tmp_path / "windows", tmp_path / "windows.json",
                 WindowSettings(section, section, "none"), progress=False)
    growth = shuffle_child(section, tmp_path, windows) - shuffle_child(section, tmp_path, 0)
    sizes = dict(batch_size=1, section_length=section, hidden_units=8, layers=1, embedding=0, vocab_size=12,
                 objective="all")
    part = training_peak_bytes(**sizes, shuffle_windows=windows) - training_peak_bytes(**sizes, shuffle_windows=0)
    assert growth <= part <= 4 * growth, (growth, part)


def test_parameter_count_is_the_models():
    from common.model import build_model

    for layers, embedding in [(1, 0), (2, 16)]:
        model = build_model(30, hidden_units=12, layers=layers, embedding=embedding)
        assert parameter_count(hidden_units=12, layers=layers, embedding=embedding, vocab_size=30) == \
            model.count_params()


def test_the_evaluation_and_record_sizes_are_the_evaluators_and_the_window_formats():
    from common.windows import WINDOWS_PER_RECORD
    from pipeline.train.evaluate import CHUNK, STREAMS

    assert EVAL_POSITIONS == STREAMS * CHUNK and RECORD_WINDOWS == WINDOWS_PER_RECORD


def test_machine_memory_is_the_kernels_total_or_less():
    """sysconf's physical pages are the independent side: the same total unless a cgroup limits us."""
    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert 0 < machine_memory_bytes() <= physical


def loaded(value: str):
    """A -S value as DVC reads it: YAML, or the plain string (a glob such as **/*.txt)."""
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError:
        return value


def the_readme_presets(readme: str) -> list[dict]:
    """The -S overrides of every `dvc exp run` in the README (a sweep's values one by one; `+key`,
    the refused typo, and the CPU preset's EPOCHS placeholder left out)."""
    presets = []
    for command in re.findall(r"dvc exp run((?:[^\n]*\\\n)*[^\n]*)", readme):
        overrides = [{}]
        for key, value in re.findall(r"-S '?([\w.+]+)='?([^'\s`]+)'?", command.split("#")[0]):
            if value == "EPOCHS" or key.startswith("+"):
                continue
            values = value.split(",") if "," in value and "[" not in value else [value]
            overrides = [{**chosen, key: loaded(v)} for chosen in overrides for v in values]
        presets += overrides
    return presets


def test_the_defaults_the_demo_and_every_readme_preset_pass_the_check(project_root):
    params = load_params(project_root / "params.yaml")
    presets = the_readme_presets((project_root / "README.md").read_text())
    assert len(presets) >= 12 and {"train.hidden_units": 512, "train.epochs": 40} in presets
    for overrides in [{}, DEMO, *presets]:
        check_costs(with_overrides(params, overrides), SMALL_MACHINE)


def run_check(tmp_path, project_root, edit) -> subprocess.CompletedProcess:
    text = (project_root / "params.yaml").read_text()
    old, new = edit
    assert old in text
    (tmp_path / "params.yaml").write_text(text.replace(old, new, 1))
    return subprocess.run([sys.executable, "-m", "pipeline.check", "params.yaml", "checked"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(project_root)})


def gigabytes_in(message: str) -> list[float]:
    return [float(number.replace(",", "")) for number in re.findall(r"([\d,]+\.\d) GB", message)]


@pytest.mark.parametrize("edit, keys", [
    (("  section_length: 50 ", "  section_length: 100000 "), ["train.section_length", "train.batch_size"]),
    (("  shuffle_buffer: 1000000 ", "  shuffle_buffer: 2000000000 "), ["train.shuffle_buffer"]),
    (("  hidden_units: 1024 ", "  hidden_units: 100000 "), ["train.hidden_units"]),
])
def test_a_setting_that_cannot_fit_this_machine_is_refused_naming_its_keys(tmp_path, project_root, edit, keys):
    done = run_check(tmp_path, project_root, edit)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    message = done.stderr
    assert "would need about" in message and "Nothing was run or deleted" in message
    need, has = gigabytes_in(message)[:2]
    assert has == round(machine_memory_bytes() / GB, 1) and need > has
    largest = message[message.index("largest first: "):].split(";")[0]
    assert all(key in largest for key in keys), largest
    assert not (tmp_path / "checked").exists()


@pytest.mark.parametrize("edit, message", [
    (("  delay: 1.0 ", "  delay: 1.0e+300 "), "'scrape.delay' is 1e+300; it must be in [0, 86400] (seconds; at most a day)"),
    (("  timeout: 10.0 ", "  timeout: 86401 "), "'scrape.timeout' is 86401; it must be > 0 and at most 86400"),
    (("  deadline: 60.0 ", "  deadline: 1.0e+300 "), "'scrape.deadline' is 1e+300; it must be in [0, 86400]"),
    (("  retries: 3 ", "  retries: 5000 "), "'scrape.retries' is 5000; it must be in [0, 10]"),
    (("  seed: 42\n", "  seed: 99999999999999999999\n"), "'train.seed' is 99999999999999999999; no number here"),
    (("  epochs: 20\n", "  epochs: 9223372036854775808\n"), "'train.epochs' is 9223372036854775808; no number here"),
    (("  learning_rate: 0.008", "  learning_rate: 1.0e+300"), "'train.learning_rate' is 1e+300; no number here"),
    (("  clipnorm: 5.0 ", "  clipnorm: 1.0e+39 "), "'train.clipnorm' is 1e+39; no number here"),
])
def test_absurd_values_are_refused_by_the_check_stage_naming_key_and_limit(tmp_path, project_root, edit, message):
    done = run_check(tmp_path, project_root, edit)
    assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_the_defaults_pass_the_check_stage_and_it_says_what_training_will_need(tmp_path, project_root):
    done = run_check(tmp_path, project_root, ("", ""))
    assert done.returncode == 0, done.stderr
    need, has = gigabytes_in(done.stdout)
    params = load_params(project_root / "params.yaml")["train"]
    parts = training_parts(batch_size=params["batch_size"], section_length=params["section_length"],
                           hidden_units=params["hidden_units"], layers=params["layers"], embedding=params["embedding"],
                           vocab_size=256, objective=params["objective"], shuffle_windows=params["shuffle_buffer"])
    assert need == round(sum(parts.values()) / GB, 1) and (tmp_path / "checked").is_file()
