"""Resume is exact with the recipe users get, not only with TINY_SETTINGS (no dropout, constant rate).

The project's own params.yaml `train.*` (dropout, embedding, cosine schedule with warm-up, the `all`
objective, Adam, clipping, full shuffle), shrunk only in size. A run stopped by a real SIGTERM in the
middle of an epoch and rerun must end with exactly the weights, optimizer state and curves of the
same run done in one go, in a process of its own. Dropout draws its masks from a seed generator
whose state Keras does not save in a `.keras` file; before the checkpoint kept it, a resumed run
replayed the masks from the start and differed in every weight.
"""
import json

import numpy as np
import pytest
import yaml

from common.model import precision
from conftest import PROJECT, write_tiny_windows
from test_resume import final_model, logged_steps, run_stage, signalled_at

# Only the size of the model and of the run change; everything else is params.yaml's.
SIZE = {"section_length": 12, "hidden_units": 24, "embedding": 8, "batch_size": 32, "epochs": 3,
        "preview_every": 0}


def recipe_dir(root, **train):
    """Tiny windows and the project's params.yaml with only SIZE (and `train`) changed."""
    root.mkdir(parents=True, exist_ok=True)
    write_tiny_windows(root)
    params = yaml.safe_load((PROJECT / "params.yaml").read_text())
    params["train"].update({**SIZE, **train})
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    return root


def assert_identical(root, reference):
    """Bitwise: the same operations on the same batches in the same order give the same numbers."""
    with precision(yaml.safe_load((root / "params.yaml").read_text())["train"]["mixed_precision"]):
        model, expected = final_model(root), final_model(reference)  # under its policy, optimizer state too
    assert 0 < int(model.optimizer.iterations.numpy()) == int(expected.optimizer.iterations.numpy())
    for got, want in zip(model.get_weights(), expected.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(model.optimizer.variables, expected.optimizer.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    for tsv in sorted((reference / "dvclive/plots/metrics").rglob("*.tsv")):
        if tsv.name not in ("chars_per_s.tsv",):  # the only figure that depends on the clock
            assert (root / tsv.relative_to(reference)).read_text() == tsv.read_text(), tsv.name


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    root = recipe_dir(tmp_path_factory.mktemp("straight"))
    result = run_stage(root)
    assert result.returncode == 0, result.stderr[-3000:]
    return root


def test_the_recipe_really_has_dropout_and_a_schedule(straight):
    params = yaml.safe_load((straight / "params.yaml").read_text())["train"]
    assert params["dropout"] > 0 and params["lr_schedule"] == "cosine" and params["objective"] == "all"
    rates = [float(row.split("\t")[1]) for row in
             (straight / "dvclive/plots/metrics/train/learning_rate.tsv").read_text().splitlines()[1:]]
    assert len(set(rates)) == 3  # the rate moved every epoch


def test_sigterms_mid_epoch_then_reruns_end_bitwise_equal_to_the_straight_run(tmp_path, straight):
    """Stopped twice in epoch 1 (its running means are then put back twice), in its last batch (the
    checkpoint is then of the finished epoch, which is logged once), and once in epoch 2."""
    root = recipe_dir(tmp_path / "run")
    batches = -(-json.loads((root / "windows.json").read_text())["train"]["windows"] // SIZE["batch_size"])
    # a resumed epoch's batches count from 0 in the callback that signals
    for epoch, batch, position in ((0, 2, (0, 3)), (0, 3, (0, 7)), (0, batches - 1 - 7, (1, 0)), (1, 4, (1, 5))):
        result = run_stage(root, signalled_at(epoch=epoch, batch=batch))
        assert result.returncode == 130, result.stderr[-3000:]
        state = json.loads((root / "checkpoints/state.json").read_text())
        assert (state["epochs_done"], state["batches_done"]) == position
        assert ("interrupted after epoch 1" in result.stderr) == (position == (1, 0)), result.stderr[-3000:]
        if position[0]:
            assert logged_steps(root) == [0]
    result = run_stage(root)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "in epoch 2, after batch 5" in result.stdout
    assert_identical(root, straight)
    assert logged_steps(root) == [0, 1, 2]


def test_a_float16_run_with_deterministic_kernels_resumed_mid_epoch_ends_equal_to_its_straight_run(tmp_path):
    """Two settings that change the arithmetic, in one pair of runs. float16 loss scaling keeps a
    dynamic scale and skips steps whose gradients overflow: both live in the optimizer's state, which
    the checkpoint must carry with the seed generators'. `train.deterministic: true` turns on
    TensorFlow's op determinism: every op of the stage must have a deterministic kernel (else
    TensorFlow raises), and resume must stay exact. (Its kernels are other ones: on a CPU too the
    last bits differ from a run without it, so the setting is part of the run's fingerprint.)"""
    settings = dict(mixed_precision="float16", deterministic=True, epochs=1)
    reference = recipe_dir(tmp_path / "straight", **settings)
    result = run_stage(reference)
    assert result.returncode == 0, result.stderr[-3000:]
    root = recipe_dir(tmp_path / "run", **settings)
    assert run_stage(root, signalled_at(epoch=0, batch=6)).returncode == 130
    result = run_stage(root)
    assert result.returncode == 0 and "in epoch 1, after batch 7" in result.stdout, result.stderr[-3000:]
    assert_identical(root, reference)
