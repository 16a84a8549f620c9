"""Mixed precision, XLA and single-device runs end to end on CPU: train with per-epoch samples,
resume, save, reload, sample; and a mixed-precision model's generator against float32 arithmetic.

Each variant trains the tiny model for real (2 epochs, then a resumed third). The reference for the
generator is an independent float32 copy of the model (built under the float32 policy, weights
copied), not the generator's own code.
"""
import copy
from dataclasses import replace

import keras
import numpy as np
import pytest

from conftest import TINY_SETTINGS, run_training, write_tiny_windows
from float_bounds import FLOAT32_U, UNIT_ROUNDOFF, exact_logits_and_bound
from common.generate import generate, load_generator
from common.model import build_model
from common.params import ParamsError, check_params, load_params
from common.settings import SampleSettings
from pipeline.sample.samples import write_samples

VARIANTS = {
    "float16": dict(mixed_precision="float16"),
    "bfloat16": dict(mixed_precision="bfloat16"),
    "jit_compile": dict(jit_compile=True),
    "one_device": dict(strategy="one_device"),
}
@pytest.mark.parametrize("variant", VARIANTS)
def test_a_variant_trains_samples_resumes_and_its_model_samples(variant, tmp_path, capsys):
    """Fails on: the float16 generator multiplying float16 states by float32 weights (a TypeError at
    the first per-epoch sample), a policy left set after the run, a float16 checkpoint that cannot
    be resumed (loss scaling skips steps, so the step count lags the position), or a saved model
    that loads under another policy or cannot be sampled."""
    chars = write_tiny_windows(tmp_path, step=8)  # 1/4 of the windows: the batches are not what is tested
    settings = replace(TINY_SETTINGS, epochs=2, preview_every=1, preview_length=20, objective="all",
                       **VARIANTS[variant])
    run_training(tmp_path, settings)
    assert keras.mixed_precision.global_policy().name == "float32"  # scoped to the run
    assert sorted(p.name for p in (tmp_path / "dvclive/samples").glob("epoch-*")) == ["epoch-001.md", "epoch-002.md"]

    capsys.readouterr()
    summary = run_training(tmp_path, replace(settings, epochs=3))
    assert "resuming from the checkpoint" in capsys.readouterr().out
    assert summary["step"] == 2 and (tmp_path / "dvclive/samples/epoch-003.md").exists()

    stepper, loaded_chars = load_generator(tmp_path / "models")
    assert loaded_chars == chars
    model = stepper.lstms[0]
    expected_policy = {"float16": "mixed_float16", "bfloat16": "mixed_bfloat16"}
    policy = expected_policy.get(variant, "float32")
    assert model.dtype_policy.name == policy  # the saved model keeps the policy it was trained under

    text = generate(stepper, chars, "The bus", length=40, temperature=0.5, seed=3)[0]
    assert len(text) == 40 and set(text) <= set(chars)
    written = write_samples(tmp_path / "models", tmp_path / "corpus/val.txt", tmp_path / "samples",
                            SampleSettings(12, (0.0, 1.0), 30, 0, "", 1))  # the sample stage's core
    assert len(written) == 2 and all(len(text) >= 30 for text in written.values())


@pytest.mark.parametrize("setting", ["float16", "bfloat16"])
def test_the_generator_of_a_mixed_model_computes_in_float32(setting, tmp_path):
    """The generator's logits, on a mixed model's weights, are within what any float32 evaluation can be
    from exact (float64) arithmetic (tests/float_bounds.py), and so is a float32 Keras copy; the mixed model's own pass is not,
    somewhere (so a generator computing like it would fail), yet within its own dtype's bound. Fails if
    the generator ran in the low precision or on weights other than the model's. The input weights are
    scaled up (the differences show) and the recurrent ones down (the errors carried stay small: the
    bound is then tight enough to tell float32 from float16)."""
    from common.model import POLICIES, Stepper, precision

    policy = POLICIES[setting]
    keras.utils.set_random_seed(1)
    with precision(setting):
        mixed = build_model(20, hidden_units=32, embedding=8, all_positions=True)
    assert mixed.get_layer("lstm_0").dtype_policy.name == policy
    reference = build_model(20, hidden_units=32, embedding=8, all_positions=True)
    assert reference.get_layer("lstm_0").dtype_policy.name == "float32"
    embedding, kernel, recurrent, bias, dense, dense_bias = mixed.get_weights()
    weights = [embedding, kernel * 8, recurrent / 4, bias * 8, dense * 8, dense_bias]
    mixed.set_weights(weights)
    reference.set_weights(weights)
    ids = np.random.default_rng(0).integers(0, 20, size=(8, 6))
    exact, float32_bound = exact_logits_and_bound(weights, ids, FLOAT32_U, embedding=True)

    stepper = Stepper(mixed)
    logits, _ = stepper.feed_all(ids, stepper.zero_state(len(ids)))
    state = stepper.zero_state(len(ids))
    for t in range(ids.shape[1]):
        step_logits, state = stepper.one_step(ids[:, t], state)
    for float32_pass in (logits.numpy(), step_logits.numpy()[:, None], reference(ids).numpy()):
        steps = float32_pass.shape[1]
        assert np.all(np.abs(float32_pass - exact[:, -steps:]) <= float32_bound[:, -steps:])

    own = mixed(ids).numpy()
    assert own.dtype == np.float32  # the logits layer stays float32 under the policy
    error = np.abs(own - exact)
    assert np.any(error > float32_bound), "the mixed model computed like float32"
    _, own_bound = exact_logits_and_bound(weights, ids, UNIT_ROUNDOFF[policy], embedding=True)
    assert np.all(error <= own_bound)


def test_mixed_precision_param_values(project_root):
    """false, true, float16 and bfloat16 pass (true is float16's policy); anything else is named with
    the accepted values."""
    from common.model import POLICIES

    assert POLICIES[True] == POLICIES["float16"] == "mixed_float16" and POLICIES[False] == "float32"
    params = load_params(project_root / "params.yaml")
    for value in (False, True, "float16", "bfloat16"):
        changed = copy.deepcopy(params)
        changed["train"]["mixed_precision"] = value
        check_params(changed)
    for value in ("float32", "mixed_float16", 1):
        changed = copy.deepcopy(params)
        changed["train"]["mixed_precision"] = value
        with pytest.raises(ParamsError, match="false, float16 or bfloat16"):
            check_params(changed)


def test_a_float16_checkpoint_loaded_outside_its_policy_is_refused_not_reset(tmp_path):
    """Keras loads a float16 checkpoint outside the mixed policy with a fresh optimizer (zero Adam
    moments, step 0) and only warns; the resume would silently restart the optimizer."""
    from common.model import precision
    from pipeline.train import checkpoint

    write_tiny_windows(tmp_path)
    run_training(tmp_path, replace(TINY_SETTINGS, epochs=1, mixed_precision="float16"))
    with precision("float16"):
        assert int(checkpoint.load_model(tmp_path / "checkpoints").optimizer.iterations.numpy()) > 0
    with pytest.raises(checkpoint.CheckpointError, match="optimizer state did not load"):
        checkpoint.load_model(tmp_path / "checkpoints")


def test_jit_compile_is_each_runs_choice_and_on_a_gpu_the_cudnn_kernel_is_said(tmp_path, monkeypatch, capsys):
    """jit_compile is a free key (a run resumes across a change), so a resumed model must take the new
    value: Keras restores the old one with the checkpoint's compile config. On a GPU Keras drops XLA
    for the cuDNN LSTM; the run says so instead of claiming XLA."""
    import importlib
    import json

    rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")  # `from ... import rnn` is a function
    from pipeline.train import checkpoint
    from pipeline.train.build import compile_model

    chars = write_tiny_windows(tmp_path)
    run_training(tmp_path, replace(TINY_SETTINGS, epochs=1))
    state = json.loads((tmp_path / "checkpoints/state.json").read_text())
    resumed = compile_model(replace(TINY_SETTINGS, jit_compile=True), len(chars), checkpoint.Resume(1, 0, ""),
                            tmp_path / "checkpoints", state["iterations"])
    assert resumed.jit_compile is True

    monkeypatch.setattr(rnn, "_is_gpu_available", lambda: True)  # what Keras asks to choose cuDNN
    capsys.readouterr()
    on_gpu = compile_model(replace(TINY_SETTINGS, jit_compile=True), len(chars), checkpoint.Resume(0, 0, ""),
                           tmp_path / "checkpoints", 10)
    assert on_gpu.jit_compile is False
    assert "runs on the cuDNN kernel" in capsys.readouterr().err
