"""Generation: the carried-state generator matches the full model, and sampling behaves."""
import json
import os
import shutil
import sys

import numpy as np
import pytest
import yaml

from conftest import TINY_SETTINGS, run_training, write_tiny_windows
from float_bounds import FLOAT32_U, exact_logits_and_bound
from common.model import Stepper, build_model
from common.settings import SampleSettings
from common.generate import SampleError, generate, load_generator
from pipeline.sample.samples import write_samples
from processes import run


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("trained")
    chars = write_tiny_windows(root)
    summary = run_training(root, TINY_SETTINGS)
    return root, chars, summary


@pytest.mark.parametrize("layers, embedding", [(1, 0), (2, 8)])
def test_stepper_matches_full_model_on_every_prefix(layers, embedding):
    """The Keras model, the stepper fed in uneven chunks and its one-character step all within what float32
    arithmetic can be from the same model computed in float64 (tests/float_bounds.py)."""
    model = build_model(20, hidden_units=16, layers=layers, embedding=embedding)
    stepper = Stepper(model)
    ids = np.random.default_rng(0).integers(0, 20, size=(2, 75))
    exact, bound = exact_logits_and_bound(model.get_weights(), ids, FLOAT32_U, embedding=embedding > 0,
                                          layers=layers)
    for length in (1, 5, 50, 75):  # 75 is longer than a 50-character section
        within = [exact[:, length - 1] - bound[:, length - 1], exact[:, length - 1] + bound[:, length - 1]]
        full = model(ids[:, :length]).numpy()
        assert np.all((within[0] <= full) & (full <= within[1]))
        logits, state = stepper.feed(ids[:, :1], stepper.zero_state(2))
        for t in range(1, length, 13):  # feed the rest in uneven chunks, carrying the state
            logits, state = stepper.feed(ids[:, t:min(t + 13, length)], state)
        assert np.all((within[0] <= logits.numpy()) & (logits.numpy() <= within[1]))
        # the plain-ops single step used for generation agrees too, one character at a time
        state = stepper.zero_state(2)
        for t in range(length):
            logits, state = stepper.one_step(ids[:, t], state)
        assert np.all((within[0] <= logits.numpy()) & (logits.numpy() <= within[1]))


def test_generation_is_deterministic_and_survives_extreme_temperatures(trained):
    root, chars, _ = trained
    stepper, chars = load_generator(root / "models")
    greedy = generate(stepper, chars, "KENNY\n", length=40, temperature=0)
    assert greedy == generate(stepper, chars, "KENNY\n", length=40, temperature=0)
    assert generate(stepper, chars, "MILO\n", length=40, temperature=1.0, seed=3) == \
        generate(stepper, chars, "MILO\n", length=40, temperature=1.0, seed=3)
    for temperature in (1e-3, 10.0):
        texts = generate(stepper, chars, "MILO\n", length=30, temperature=temperature, num=3)
        assert len(texts) == 3 and all(len(t) == 30 and set(t) <= set(chars) for t in texts)
    assert generate(stepper, chars, "MILO\n", length=30, temperature=1e-3)[0] == \
        generate(stepper, chars, "MILO\n", length=30, temperature=0)[0]


def test_bad_prompts_and_temperatures_are_clear_errors(trained):
    root, _, _ = trained
    stepper, chars = load_generator(root / "models")
    with pytest.raises(SampleError, match=r"'Z' at 0, 'Q' at 3"):
        generate(stepper, chars, "ZenQ", length=5, temperature=0.5)
    with pytest.raises(SampleError, match="temperature must be a number >= 0"):
        generate(stepper, chars, "MILO", length=5, temperature=-1)
    with pytest.raises(SampleError, match="not found"):
        load_generator(root / "nowhere")


def test_sample_stage_writes_one_file_per_temperature(trained, tmp_path):
    root, _, _ = trained
    settings = SampleSettings(section_length=12, temperatures=(0, 0.5), length=80, top_k=0, prime="", seed=1)
    samples = write_samples(root / "models", root / "corpus" / "val.txt", tmp_path, settings)
    assert set(samples) == {0, 0.5}
    for temperature in (0, 0.5):
        text = (tmp_path / f"temperature-{temperature}.txt").read_text()
        assert "<<<prompt ends here>>>" in text and len(samples[temperature]) == 80
    assert "temperature 0.5" in (tmp_path / "samples.md").read_text()


def test_generate_command_streams_text_and_refuses_unknown_characters(trained, capsys):
    from app.cli import main

    root, _, _ = trained
    main(["generate", "--model", str(root / "models"), "--prime", "KENNY\\n", "--length", "25",
          "--temperature", "0"])
    out = capsys.readouterr().out
    assert out.startswith("KENNY\n") and len(out) == len("KENNY\n") + 25 + 1
    with pytest.raises(SystemExit, match=r"'\u20ac' at 2"):
        main(["generate", "--model", str(root / "models"), "--prime", "KE\u20ac"])
    assert capsys.readouterr().out == ""  # nothing printed before the error
    main(["generate", "--model", str(root / "models"), "--prime", "MILO\\n", "--length", "10", "--num", "2"])
    out = capsys.readouterr().out
    assert out.count("--- sample") == 2 and out.count("MILO\n") == 2


def test_top_k_one_is_greedy_and_top_k_limits_the_choices(trained):
    root, _, _ = trained
    stepper, chars = load_generator(root / "models")
    greedy = generate(stepper, chars, "MILO\n", length=30, temperature=0)
    assert generate(stepper, chars, "MILO\n", length=30, temperature=5.0, top_k=1, seed=9) == greedy
    wide = generate(stepper, chars, "MILO\n", length=200, temperature=50.0, seed=2)[0]
    narrow = generate(stepper, chars, "MILO\n", length=200, temperature=50.0, top_k=2, seed=2)[0]
    assert len(set(narrow)) < len(set(wide))
    with pytest.raises(SampleError, match="top_k must be >= 0"):
        generate(stepper, chars, "MILO", length=5, temperature=1.0, top_k=-1)



def corrupt(path, how: str) -> None:
    data = path.read_bytes()
    if how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(data[:len(data) // 2])
    elif how == "flipped":   # one byte of the zip's central directory, near the end
        path.write_bytes(data[:-30] + bytes([data[-30] ^ 0xFF]) + data[-29:])
    elif how == "reordered":   # the characters reversed, the recorded sha256 kept: valid JSON, wrong ids
        vocab = json.loads(data)
        path.write_text(json.dumps({**vocab, "chars": vocab["chars"][::-1]}))
    else:
        path.write_text(how)


def corrupted_copy(trained, tmp_path, name, how):
    models = tmp_path / "models"
    shutil.copytree(trained[0] / "models", models)
    corrupt(models / name, how)
    return models


@pytest.mark.parametrize("name, how", [("model.keras", "empty"), ("model.keras", "truncated"),
                                       ("model.keras", "flipped"), ("vocab.json", "{not json"),
                                       ("vocab.json", '{"symbols": []}'), ("vocab.json", "[1, 2]"),
                                       ("vocab.json", "reordered")])
def test_a_corrupt_model_or_vocab_is_named(trained, tmp_path, name, how):
    """Before: 'File not found ... accessible .keras zip' of a file that exists, or a raw
    BadZipFile / JSONDecodeError / KeyError; and (issue 19) reordered characters generated garbage."""
    models = corrupted_copy(trained, tmp_path, name, how)
    with pytest.raises(SampleError, match=rf"{name}: .*(truncated or corrupt|not a readable vocab|the file was edited "
                                          r"or damaged).*dvc repro train"):
        load_generator(models)


# Each way in prints load_generator's message (above, for every damage) and exits 1: one damage each here,
# as the user runs them.
@pytest.mark.parametrize("name, how, command", [
    ("model.keras", "truncated", ["-m", "app.cli", "generate", "--model", "{models}"]),
    # issue 19: reordered characters generated garbage with exit code 0
    ("vocab.json", "reordered", ["-m", "pipeline.sample", "{models}", "{val}", "{out}"]),
])
def test_generate_and_the_sample_stage_print_that_message_not_a_traceback(trained, tmp_path, project_root,
                                                                          name, how, command):
    models = corrupted_copy(trained, tmp_path, name, how)
    paths = {"models": models, "val": trained[0] / "corpus" / "val.txt", "out": tmp_path / "out"}
    done = run([sys.executable, *(part.format(**paths) for part in command)], cwd=project_root)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert f"{models / name}:" in done.stderr and not paths["out"].exists()
    assert "dvc repro train" in done.stderr and done.stdout == ""


def test_generate_takes_its_defaults_from_the_sample_params(trained, tmp_path, project_root):
    """Before: --length 500 and --seed 0 were written in the `scriptlm` command's code, not read from sample.*."""
    root, _, _ = trained
    params = yaml.safe_load((project_root / "params.yaml").read_text())
    params["sample"].update(length=37, seed=9)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))   # the working directory's params.yaml
    command = [sys.executable, "-m", "app.cli", "generate"]
    env = {**os.environ, "PYTHONPATH": str(project_root)}
    shown = run([*command, "--help"], cwd=tmp_path, env=env)
    assert "sample.length of params.yaml: 37" in " ".join(shown.stdout.split()), shown.stdout
    assert "sample.seed of params.yaml: 9" in " ".join(shown.stdout.split())
    done = run([*command, "--model", str(root / "models"), "--prime", "MILO\\n"], cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    stepper, chars = load_generator(root / "models")
    assert done.stdout == "MILO\n" + generate(stepper, chars, "MILO\n", length=37, temperature=0.5, seed=9)[0] + "\n"
