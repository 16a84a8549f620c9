"""Settings that cannot run stop `dvc repro` / `dvc exp run` before the stage that would suffer, through
real DVC, in one small workspace built up to the windows (no training).

Before (issue 19): `train.section_length: 100000` passed the check stage, the window stage wrote 0
validation windows and the trainer grew to 23 GB until the kernel killed it; `scrape.delay: 1e300`
passed the check too."""
import subprocess
import sys

import pytest

from app.workspace import dvc, dvc_env

KEPT = ["data/corpus/val.txt", "data/windows/meta.json", "metrics/windows.json"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, tiny_workspace):
    return tiny_workspace(tmp_path_factory.mktemp("costs") / "ws", until="window")


@pytest.fixture
def restore(workspace):
    yield
    subprocess.run(["git", "checkout", "--", "params.yaml", "dvc.lock"], cwd=workspace, check=True)


def fails(workspace, *args) -> str:
    done = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=workspace, capture_output=True, text=True,
                          env=dvc_env(), timeout=900)
    assert done.returncode != 0, done.stdout[-3000:]
    return done.stdout + done.stderr


def test_a_section_longer_than_memory_allows_stops_at_the_check(workspace, restore):
    path = workspace / "params.yaml"
    text = path.read_text()
    assert "  section_length: 50\n" in text
    path.write_text(text.replace("  section_length: 50\n", "  section_length: 100000\n", 1))
    out = fails(workspace, "repro")
    assert "check:" in out and "would need about" in out and "train.section_length" in out
    assert "Running stage 'window'" not in out and "Running stage 'train'" not in out
    assert all((workspace / kept).exists() for kept in KEPT)


def test_an_absurd_delay_set_by_exp_run_stops_at_the_check(workspace, restore):
    out = fails(workspace, "exp", "run", "-S", "scrape.delay=1e300")
    # DVC writes the value as 1e+300, which YAML 1.1 reads as a string: it is read as the number DVC meant
    assert "check: params.yaml: 'scrape.delay' is 1e+300; it must be in [0, 86400]" in out
    assert "Running stage 'scrape'" not in out
    assert all((workspace / kept).exists() for kept in KEPT)


def test_a_section_longer_than_the_validation_text_stops_at_the_window_stage(workspace, restore):
    """It fits in memory, so the check passes; the window stage knows the corpus and refuses."""
    val = len((workspace / "data/corpus/val.txt").read_text(encoding="utf-8"))
    out = fails(workspace, "exp", "run", "-S", f"train.section_length={val}", "-S", "train.batch_size=1",
                "-S", "train.shuffle_buffer=1000")
    assert f"window: train.section_length {val} leaves no window in val: val.txt has {val:,} characters" in out
    assert "Running stage 'train'" not in out


def test_a_small_number_set_by_exp_run_is_read_as_dvc_wrote_it(workspace, restore):
    """DVC writes `-S train.learning_rate=1e-5` as 1e-05; the check read it as the string '1e-05' and
    refused it ("it must be a number > 0")."""
    done = dvc(["exp", "run", "-S", "train.learning_rate=1e-5", "check"], workspace, capture=True)
    assert "learning_rate: 1e-05" in (workspace / "params.yaml").read_text() and "check: the train stage" in done.stdout
