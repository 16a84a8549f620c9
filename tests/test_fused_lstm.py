"""The fused CPU LSTM op (common/fused_lstm.py): its outputs and gradients against Keras's LSTM and Keras's own
gradients (tf.GradientTape), both checked against float64 arithmetic (tests/lstm_reference.py) within what
float32 rounding allows; a model trained on it saves as, and loads as, a plain Keras LSTM in a process
that cannot load the op; the fallback's one line; and a real training run on it repeats bitwise.

Without a C++ compiler the op cannot be built (`make install` says so) and these tests are skipped; with
one, a library that does not load fails them.
"""
import json
import os
import shutil
import sys
from dataclasses import replace

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import PROJECT, TINY_SETTINGS, run_training, write_tiny_windows
from float_bounds import FLOAT32_U, exact_logits_and_bound
from lstm_reference import forward_backward
from processes import run
from common import fused_lstm
from common.model import build_model

if shutil.which(os.environ.get("CXX", "g++")) is None:
    pytest.skip("no C++ compiler, so no fused op to test", allow_module_level=True)

# batch, time, inputs, units: none a multiple of anything convenient
SHAPE = (7, 13, 5, 11)


def keras_and_op(return_sequences: bool, initial_state: bool, seed: int):
    """The outputs (seq, h, c) and gradients of Keras's LSTM and of the op on the same weights and inputs,
    and the float64 reference with its bounds."""
    batch, steps, size, units = SHAPE
    rng = np.random.default_rng(seed)
    x = tf.constant(rng.normal(size=(batch, steps, size)), tf.float32)
    h0, c0 = (tf.constant(rng.normal(size=(batch, units)) * initial_state, tf.float32) for _ in range(2))
    layer = keras.layers.LSTM(units, return_sequences=return_sequences, return_state=True)
    layer(x)
    layer.cell.bias.assign(rng.normal(size=4 * units, scale=0.5))  # Keras starts it at 0 but for f
    d_seq = rng.normal(size=(batch, steps, units)) * return_sequences
    d_h, d_c = rng.normal(size=(batch, units)), rng.normal(size=(batch, units))
    weights = [layer.cell.kernel, layer.cell.recurrent_kernel, layer.cell.bias]

    def differentiate(outputs_of):
        with tf.GradientTape() as tape:
            tape.watch([x, h0, c0])
            seq, h, c = outputs_of()
            loss = tf.reduce_sum(h * d_h) + tf.reduce_sum(c * d_c)
            if return_sequences:
                loss += tf.reduce_sum(seq * d_seq)
        grads = tape.gradient(loss, [x, *weights, h0, c0])
        return [seq, h, c], dict(zip(["x", "kernel", "recurrent_kernel", "bias", "h0", "c0"], grads))

    ours = differentiate(lambda: fused_lstm.lstm(x, h0, c0, *weights))
    theirs = differentiate(lambda: layer(x, initial_state=[h0, c0]))
    outputs, gradients, bounds = forward_backward(x.numpy(), [w.numpy() for w in weights], h0.numpy(), c0.numpy(),
                                                  d_seq, d_h, d_c)
    return ours, theirs, (outputs, gradients, bounds)


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("initial_state", [False, True])
def test_outputs_and_gradients_equal_keras_within_float32_rounding(return_sequences, initial_state):
    """Fails on: a wrong gate order or activation, the bias or the previous cell left out or taken from
    the wrong step, a gradient path missing (the recurrent one, the cell's, the last state's), a
    transposed weight gradient, outputs written to the wrong step or sample; and, since Keras is held to
    the same bound against float64, on a reference or a bound that would not catch them."""
    (our_out, our_grads), (keras_out, keras_grads), (exact_out, exact_grads, bounds) = keras_and_op(
        return_sequences, initial_state, seed=3 + 2 * return_sequences + initial_state)
    keras_seq = keras_out[0] if return_sequences else None
    for name, ours, theirs, exact in zip(["seq", "h", "c"], our_out, [keras_seq, *keras_out[1:]], exact_out):
        if theirs is None:  # Keras gives only the last h; the op's sequence is checked against float64 alone
            theirs = exact
        assert np.max(np.abs(np.asarray(theirs) - exact)) <= bounds[name], f"Keras's {name} vs float64"
        assert np.max(np.abs(np.asarray(ours) - exact)) <= bounds[name], f"the op's {name} vs float64"
        assert np.max(np.abs(np.asarray(ours) - np.asarray(theirs))) <= 2 * bounds[name], f"{name} vs Keras"
    for name, exact in exact_grads.items():
        ours, theirs = our_grads[name].numpy(), keras_grads[name].numpy()
        assert np.max(np.abs(theirs - exact)) <= bounds[name], f"Keras's gradient of {name} vs float64"
        assert np.max(np.abs(ours - exact)) <= bounds[name], f"the op's gradient of {name} vs float64"
        assert np.max(np.abs(ours - theirs)) <= 2 * bounds[name], f"gradient of {name} vs Keras's"
        assert np.max(np.abs(exact)) > 100 * bounds[name], f"the gradient of {name} is too small to tell"


def test_a_fused_model_trains_and_saves_as_a_plain_lstm_that_loads_without_the_op(tmp_path, project_root):
    """Fails if the saved file names anything but Keras's LSTM, if loading it needs the op, or if the fused
    model's outputs or the loaded plain one's are farther from float64 arithmetic on the saved weights than
    float32 rounding allows (tests/float_bounds.py)."""
    keras.utils.set_random_seed(5)
    model = build_model(9, hidden_units=11, embedding=4, all_positions=True)
    assert fused_lstm.fuse(model, True) and fused_lstm.fused(model)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ids = np.random.default_rng(0).integers(0, 9, size=(6, 17))
    model.fit(ids, np.roll(ids, -1, axis=1), epochs=2, verbose=0)
    fused_logits = model.predict(ids, verbose=0)
    model.save(tmp_path / "model.keras")
    np.save(tmp_path / "ids.npy", ids)
    script = ("import json, sys, numpy as np, keras\n"
              "from common import fused_lstm\n"
              f"model = keras.saving.load_model({str(tmp_path / 'model.keras')!r})\n"
              "assert fused_lstm.load()[0] is None and not fused_lstm.fused(model)\n"
              f"np.save({str(tmp_path / 'plain.npy')!r}, model.predict(np.load({str(tmp_path / 'ids.npy')!r}), verbose=0))\n"
              "print(json.dumps([type(layer).__name__ for layer in model.layers]))\n")
    result = run([sys.executable, "-c", script], cwd=project_root,
                 env={**os.environ, fused_lstm.SWITCH: "0"})
    assert result.returncode == 0, result.stderr
    assert "LSTM" in json.loads(result.stdout.splitlines()[-1])
    config = json.loads(model.to_json())["config"]["layers"]
    assert [layer["class_name"] for layer in config if "lstm" in layer["config"]["name"]] == ["LSTM"]
    assert all(layer["module"].startswith("keras") for layer in config if layer["class_name"] == "LSTM")
    plain = np.load(tmp_path / "plain.npy")
    # the same model, its LSTM run by Keras in this process: the child's outputs, bit for bit
    reloaded = keras.saving.load_model(tmp_path / "model.keras")
    assert not fused_lstm.fused(reloaded)
    np.testing.assert_array_equal(reloaded.predict(ids, verbose=0), plain)
    exact, bound = exact_logits_and_bound(reloaded.get_weights(), ids, FLOAT32_U, embedding=True)
    assert np.all(np.abs(plain - exact) <= bound) and np.all(np.abs(fused_logits - exact) <= bound)


def test_a_missing_library_falls_back_to_keras_in_one_line(tmp_path, monkeypatch, capsys):
    """Fails if a missing library stops training, is not said, is said in more than one line, or if the
    run does not use Keras's LSTM then; and if `false` says anything or fuses."""
    monkeypatch.setattr(fused_lstm, "LIBRARY", tmp_path / "missing.so")
    monkeypatch.setattr(fused_lstm, "_library", [])
    write_tiny_windows(tmp_path)
    run_training(tmp_path, replace(TINY_SETTINGS, epochs=1))
    lines = [line for line in capsys.readouterr().err.splitlines() if "fused" in line]
    assert lines == ["train: training with Keras's LSTM, not the fused op (missing.so is not built: "
                     "`make install` builds it with g++)"]
    model = build_model(9, hidden_units=5)
    assert not fused_lstm.fuse(model, "auto") and not fused_lstm.fused(model)
    capsys.readouterr()
    monkeypatch.setattr(fused_lstm, "_library", [])
    assert not fused_lstm.fuse(model, False) and not fused_lstm.fused(model)
    assert capsys.readouterr().err == "" and fused_lstm._library == []  # `false` does not even try


def test_a_training_run_on_the_op_repeats_bitwise(tmp_path, monkeypatch):
    """Two real runs with the op give the same weights bit for bit. Fails if the op is not used by the
    train stage, or if any of its sums depends on thread timing."""
    calls = []
    real = fused_lstm.lstm
    monkeypatch.setattr(fused_lstm, "lstm", lambda *args: calls.append(1) or real(*args))
    settings = replace(TINY_SETTINGS, epochs=2, objective="all", hidden_units=37, batch_size=19, fused_lstm=True)
    weights = []
    for name in "ab":
        write_tiny_windows(tmp_path / name)
        run_training(tmp_path / name, settings)
        weights.append(keras.saving.load_model(tmp_path / name / "models/model.keras").get_weights())
    assert calls, "the train stage did not run the op"
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


def test_a_gpu_mixed_precision_and_xla_keep_keras_lstm_without_a_word(monkeypatch, capsys):
    """Fails if the op were put under a float16 policy (it computes float32 only), under XLA (which
    cannot compile it) or beside a GPU (whose cuDNN kernel Keras picks), or if any of them said so on
    stderr as if something were missing."""
    from common.model import precision

    with precision("float16"):
        mixed = build_model(9, hidden_units=5)
    assert not fused_lstm.fuse(mixed, "auto") and not fused_lstm.fused(mixed)
    plain = build_model(9, hidden_units=5)
    assert not fused_lstm.fuse(plain, "auto", jit_compile=True) and not fused_lstm.fused(plain)
    with monkeypatch.context() as gpu:
        gpu.setattr(tf.config, "list_physical_devices", lambda kind=None: ["a GPU"] if kind == "GPU" else [])
        assert not fused_lstm.fuse(plain, "auto") and not fused_lstm.fused(plain)
    assert fused_lstm.fuse(plain, True) and fused_lstm.fused(plain)
    assert "fused" not in capsys.readouterr().err


def test_changing_the_setting_resumes_the_run(tmp_path, capsys):
    """`train.fused_lstm` is marked (resumes): a run checkpointed on the op continues on Keras's LSTM.
    Fails if the setting were part of the run's fingerprint, so the run started over."""
    write_tiny_windows(tmp_path)
    run_training(tmp_path, replace(TINY_SETTINGS, epochs=1))
    capsys.readouterr()
    summary = run_training(tmp_path, replace(TINY_SETTINGS, epochs=2, fused_lstm=False))
    assert "resuming from the checkpoint" in capsys.readouterr().out and summary["step"] == 1


def test_auto_takes_the_op_only_where_make_install_did_not_time_keras_faster(tmp_path, monkeypatch, capsys):
    """On an Intel Xeon with AVX-512 the op trained at 0.6-0.7x Keras's speed and `auto` took it all the same.
    Fails if `auto` takes the op at a size whose nearest timing (by ratio) says Keras is faster, or leaves it
    where the op is faster or nothing was timed; if the refusal is not one line naming the file; and if `true`
    does not take the op whatever the timing says."""
    monkeypatch.setattr(fused_lstm, "MEASURED", tmp_path / "timing.json")
    (tmp_path / "timing.json").write_text(json.dumps({"keras_over_op": {"256": 0.6, "1024": 1.3}}))
    # 500 is nearer 256 by ratio, 520 nearer 1024; 1100 is past every timed size (larger ones cost seconds of
    # the recurrent kernel's orthogonal initialisation: 12 CPU-s at 3000)
    for units, on_op in ((200, False), (500, False), (520, True), (1100, True)):
        model = build_model(9, hidden_units=units)
        assert fused_lstm.fuse(model, "auto") is on_op and fused_lstm.fused(model) is on_op, units
        said = [line for line in capsys.readouterr().err.splitlines() if "fused" in line]
        assert said == ([] if on_op else [
            f"train: training with Keras's LSTM, not the fused op: `make install` measured the op at 0.60x Keras's "
            f"speed on this machine near {units} cells (timing.json; `train.fused_lstm: true` takes the op anyway)"])
    assert fused_lstm.fuse(build_model(9, hidden_units=200), True) and capsys.readouterr().err == ""
    for broken in ("", "{}", '{"keras_over_op": {}}', '{"keras_over_op": {"x": 1}}'):  # unmeasured: the op
        (tmp_path / "timing.json").write_text(broken)
        assert fused_lstm.measured_speedup(200) is None and fused_lstm.fuse(build_model(9, hidden_units=200), "auto")
    (tmp_path / "timing.json").unlink()
    assert fused_lstm.measured_speedup(200) is None and fused_lstm.fuse(build_model(9, hidden_units=200), "auto")


def test_make_installs_timing_measures_both_and_auto_reads_it(tmp_path):
    """`python -m common.fused_timing`, as `make install` runs it, at two tiny sizes. Fails if it does not time
    both LSTMs at each size, if its ratio is not Keras's time over the op's, if its line names another LSTM than
    `auto` takes with the ratio stored, or if `measured_speedup` reads another size's; without the library it says so, exits non-zero and leaves no file behind."""
    out = tmp_path / "timing.json"
    done = run([sys.executable, "-m", "common.fused_timing", "--units", "6", "40", "--repeats", "1", "--out", str(out)],
               cwd=PROJECT)
    assert done.returncode == 0, done.stderr[-3000:]
    timing = json.loads(out.read_text())
    assert set(timing["units"]) == set(timing["keras_over_op"]) == {"6", "40"}
    for size, row in timing["units"].items():
        assert row["keras_s"] > 0 and row["op_s"] > 0
        assert timing["keras_over_op"][size] == pytest.approx(row["keras_s"] / row["op_s"], rel=0.01)
        assert f"{size} cells: a training step takes" in done.stdout
        (line,) = [line for line in done.stdout.splitlines() if line.startswith(f"{size} cells:")]
        taken = "Keras" if timing["keras_over_op"][size] < 1 else "the op"  # what `auto` does with the stored ratio
        assert line.endswith(f"`train.fused_lstm: auto` takes {taken}"), line
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fused_lstm, "MEASURED", out)
        assert fused_lstm.measured_speedup(30) == timing["keras_over_op"]["40"]
        assert fused_lstm.measured_speedup(8) == timing["keras_over_op"]["6"]
    missing = run([sys.executable, "-m", "common.fused_timing", "--library", str(tmp_path / "none.so"), "--out",
                   str(out)], cwd=PROJECT)
    assert missing.returncode != 0 and "nothing to time: none.so is not built" in missing.stderr
    assert not out.exists()
