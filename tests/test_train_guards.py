"""The train stage refuses what it cannot do well before it costs anything: a setting that cannot fit
this machine's memory, and a run that diverged is a failure, not a result.

Before (issue 19): `dvc exp run -S train.learning_rate=1e6 -S train.optimizer=sgd -S train.clipnorm=0
-S train.lr_schedule=constant` trained 40 epochs and ended with eval nats/char 373,400 (a uniform guess
is 4.2) and exit code 0; and a setting the window stage let through could grow the trainer until the
kernel killed it.
"""
import json
import math

from test_resume import make_run_dir, run_stage
from test_train_faults import tree_bytes


def outputs(root) -> dict:
    """The train stage's outputs, byte for byte (but the lock file, which holds the last PID)."""
    files = tree_bytes(root / "checkpoints") | tree_bytes(root / "dvclive") | tree_bytes(root / "models")
    return {path: data for path, data in files.items() if path.name != ".lock"}

# weight_decay 0: decay at this rate would blow the weights up in the first batch, before any validation
DIVERGING = {"learning_rate": 1e6, "optimizer": "sgd", "clipnorm": 0.0, "lr_schedule": "constant", "weight_decay": 0.0}


def test_the_issues_diverging_recipe_fails_and_keeps_the_good_run(tmp_path):
    root = make_run_dir(tmp_path / "run", epochs=2, preview_every=1)
    assert run_stage(root).returncode == 0
    good = outputs(root)
    for key, value in DIVERGING.items():
        root.joinpath("params.yaml").write_text(root.joinpath("params.yaml").read_text().replace(
            f"  {key}: ", f"  {key}: {value!r} #", 1))
    result = run_stage(root)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "validation loss" in result.stderr and "The checkpoint after epoch 2 is kept" in result.stderr, \
        result.stderr[-3000:]
    assert outputs(root) == good


def test_a_run_that_ends_above_the_uniform_guess_fails(tmp_path):
    """One epoch at a rate that wrecks the model without overflowing: finite, and worse than guessing."""
    root = make_run_dir(tmp_path / "run", epochs=1, **{**DIVERGING, "learning_rate": 50.0})
    result = run_stage(root)
    vocab = len(json.loads((root / "corpus/vocab.json").read_text())["chars"])
    assert result.returncode == 1, result.stdout[-2000:]
    assert f"above the uniform guess (ln of the {vocab} symbols = {math.log(vocab):.4f})" in result.stderr, \
        result.stderr[-3000:]
    assert not (root / "models").exists()  # no model of a failed run


def test_a_model_too_large_for_this_machine_is_refused_before_anything_is_touched(tmp_path):
    root = make_run_dir(tmp_path / "run", hidden_units=400_000)  # 4 * 400k^2 weights: terabytes
    result = run_stage(root)
    assert result.returncode == 1
    assert "would need about" in result.stderr and "train.hidden_units" in result.stderr, result.stderr[-3000:]
    assert not (root / "dvclive").exists() and not (root / "checkpoints/state.json").exists()
