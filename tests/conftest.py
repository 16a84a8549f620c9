"""Shared test set-up: quiet TensorFlow, no DVC analytics, and the project root."""
import os
from dataclasses import replace
from pathlib import Path

import pytest

from common.params import load_settings
from common.settings import TrainSettings, WindowSettings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["DVC_NO_ANALYTICS"] = "1"

PROJECT = Path(__file__).resolve().parent.parent
# The slowest test files first (by their durations in `make test`), so that pytest-xdist's two workers, handed
# whole files in this order (the Makefile's `--no-loadscope-reorder`), end together: ordered by how many tests
# a file has (xdist's default), the heaviest files, which hold few tests, came last and one worker ran them
# alone for minutes. Those building the tiny workspace (tests/workspaces.py) alternate with those that do not,
# so neither worker starts by waiting on the other's build.
SLOWEST_FIRST = ("test_queue.py", "test_multi_worker.py", "test_kill_safety.py", "test_train.py", "test_serve_browser.py",
                 "test_resume.py", "test_train_faults.py", "test_precision.py", "test_serve.py", "test_resume_recipe.py",
                 "test_pipeline.py", "test_fused_lstm.py", "test_dvc_checkpoints.py", "test_costs.py",
                 "test_train_sample.py", "test_train_guards.py", "test_carry_state.py", "test_gpu_check.py",
                 "test_keep_best.py")


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT


@pytest.fixture(scope="session")
def tiny_workspace(tmp_path_factory):
    """`tiny_workspace(dest, overrides=None, *, until="sample", autostage=True)`: a fresh copy of the small
    sample pipeline's git + DVC workspace, built once a session, where `dvc repro <until>` has run and all
    is committed (tests/workspaces.py)."""
    from workspaces import TinyWorkspaces

    if os.environ.get("PYTEST_XDIST_WORKER"):  # one build for all of `make test`'s workers
        return TinyWorkspaces(PROJECT, tmp_path_factory.getbasetemp().parent / "tiny-workspaces")
    return TinyWorkspaces(PROJECT, tmp_path_factory.mktemp("tiny-workspaces"))


def pytest_collection_modifyitems(config, items):
    """Runs the files of SLOWEST_FIRST first, in its order; the others after them, as collected."""
    missing = [name for name in SLOWEST_FIRST if not (PROJECT / "tests" / name).exists()]
    if missing:
        raise pytest.UsageError(f"tests/conftest.py: SLOWEST_FIRST names {', '.join(missing)}, not in tests/: "
                                "remove or rename it there")
    rank = {name: index for index, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def project_settings(cls):
    """A stage's settings object as the project's own params.yaml gives it."""
    return load_settings(cls, PROJECT / "params.yaml")


TINY_TEXT = "".join(f"KENNY\nThe bus is {word} again.\n\nMILO\nThen we walk.\n\n"
                    for word in ["late", "early", "late", "gone", "late", "early"] * 12)

# The project's train settings, made tiny: 24 one-hot-fed cells on 12-character windows, predicting the
# last character, a constant rate, no dropout or previews (the rest, e.g. layers, optimizer, clipnorm,
# strategy, is params.yaml's).
TINY_SETTINGS = replace(
    project_settings(TrainSettings), section_length=12, objective="last", hidden_units=24, embedding=0, dropout=0.0,
    learning_rate=0.01, lr_schedule="constant", warmup_steps=0, batch_size=32, epochs=3, shuffle_buffer=1000, seed=7,
    preview_every=0)


def write_corpus(directory: Path, train_text: str, val_text: str) -> list:
    """train.txt, val.txt and a vocab.json covering both, as the clean stage writes them; the chars."""
    import json

    from common.vocab import vocab_hash

    directory.mkdir(parents=True, exist_ok=True)
    chars = sorted(set(train_text + val_text))
    (directory / "train.txt").write_text(train_text, encoding="utf-8")
    (directory / "val.txt").write_text(val_text, encoding="utf-8")
    (directory / "vocab.json").write_text(json.dumps({"chars": chars, "sha256": vocab_hash(chars)}))
    return chars


def write_tiny_windows(root: Path, text: str = TINY_TEXT, section_length: int = 12, step: int = 2) -> list:
    """A corpus (train = text, val = its first 600 characters), its vocab and windows under `root`."""
    from pipeline.window.write import make_windows

    chars = write_corpus(root / "corpus", text, text[:600])
    make_windows(root / "corpus", root / "windows", root / "windows.json",
                 WindowSettings(section_length, step, "none"), progress=False)
    return chars


def run_training(root: Path, settings: TrainSettings, **kwargs) -> dict:
    """`pipeline.train.fit.train` on the tiny windows under `root`, outside any git/DVC repo."""
    from pipeline.train.fit import train
    from pipeline.train.paths import TrainPaths

    cwd = os.getcwd()
    os.chdir(root)  # so DVCLive only writes files and never looks for a repo
    try:
        paths = TrainPaths(root / "windows", root / "corpus", root / "models", root / "checkpoints", root / "dvclive")
        return train(paths, settings, verbose=0, **kwargs)
    finally:
        os.chdir(cwd)
