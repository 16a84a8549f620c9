"""Multi-worker training through `tf.distribute.MultiWorkerMirroredStrategy`: two real worker
processes on 127.0.0.1 (CPU only, `TF_CONFIG` each, free ports) run the train stage's own command,
each in its own directory with the same windows, as two machines would.

Checks that both finish, hold identical weights (each prints a digest; the chief's is recomputed
here from its saved model), that only the chief wrote outputs, that the loss fell, and that a rerun
with more epochs resumes on both from the chief's checkpoint alone, to exactly the weights, step,
curves and samples of a straight run of the same settings (with the default dropout).
"""
import hashlib
import json
import os
import subprocess
import sys

import keras
import pytest
import yaml

import common.model  # noqa: F401  (registers the custom layer load_model needs)
from conftest import PROJECT, write_tiny_windows
from pipeline.train.distribute import local_addresses, tf_config

TRAIN = {"section_length": 12, "hidden_units": 16, "embedding": 0, "objective": "all", "epochs": 2,
         "batch_size": 32, "lr_schedule": "constant", "learning_rate": 0.01, "preview_every": 1,
         "preview_length": 20, "strategy": "multi_worker", "shuffle_buffer": 1000}
OUTPUTS = ("models", "checkpoints", "dvclive")


def machine(root, **train):
    """A directory as a worker's machine would have it: the windows, the corpus and params.yaml."""
    write_tiny_windows(root, step=6)  # a third of the windows: few batches, each an all-reduce between processes
    params = yaml.safe_load((PROJECT / "params.yaml").read_text())
    params["train"].update({**TRAIN, **train})
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    return root


def run_cluster(directories, scratch):
    """Start one worker per directory, wait for all; their (exit code, output) in worker order."""
    addresses = local_addresses(len(directories))
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TMPDIR": str(scratch), "TF_CPP_MIN_LOG_LEVEL": "2"}
    workers = [subprocess.Popen([sys.executable, "-m", "pipeline.train", "windows", "corpus", *OUTPUTS],
                                cwd=directory, env={**env, "TF_CONFIG": tf_config(addresses, index)},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for index, directory in enumerate(directories)]
    try:
        results = []
        for worker in workers:  # communicate, not wait: a worker blocked on a full pipe would never exit
            output = worker.communicate(timeout=900)[0]
            results.append((worker.returncode, output))
        return results
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()


def digest_of(output: str) -> str:
    return output.split("weights sha256 ")[1].split()[0]


def saved_digest(model_path) -> str:
    """The weights of a saved model, hashed here independently of the trainer's own code."""
    digest = hashlib.sha256()
    for weights in keras.models.load_model(model_path, compile=False).get_weights():
        digest.update(weights.astype("float32").tobytes())
    return digest.hexdigest()


def test_two_workers_train_one_model_and_resume_from_the_chiefs_checkpoint(tmp_path):
    """Fails on: the strategy created after TensorFlow started (collective ops refuse), Keras's fit
    under the strategy (a PerReplica conversion error), workers that diverge (a digest differs),
    a worker other than the chief writing models/ checkpoints/ dvclive/ or leaving its scratch
    directory, and a resume that starts the non-chief from its own (absent) checkpoint."""
    chief, other = machine(tmp_path / "chief"), machine(tmp_path / "other")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    results = run_cluster([chief, other], scratch)
    for code, output in results:
        assert code == 0, output[-3000:]
    assert "(the chief)" in results[0][1] and "whose outputs are not kept" in results[1][1]
    assert digest_of(results[0][1]) == digest_of(results[1][1]) == saved_digest(chief / "models/model.keras")
    for name in OUTPUTS:
        assert (chief / name).is_dir() and not (other / name).exists(), name
    assert list(scratch.iterdir()) == []  # the other worker's scratch directory is gone
    rows = (chief / "dvclive/plots/metrics/train/loss.tsv").read_text().splitlines()[1:]
    losses = [float(row.split("\t")[-1]) for row in rows]
    assert len(losses) == 2 and losses[-1] < losses[0]
    assert sorted(p.name for p in (chief / "dvclive/samples").glob("epoch-*")) == ["epoch-001.md", "epoch-002.md"]

    for directory in (chief, other):  # one more epoch: the chief resumes, the other follows it
        params = yaml.safe_load((directory / "params.yaml").read_text())
        params["train"]["epochs"] = 3
        (directory / "params.yaml").write_text(yaml.safe_dump(params))
    results = run_cluster([chief, other], scratch)
    for code, output in results:
        assert code == 0, output[-3000:]
    assert "resuming from the checkpoint" in results[0][1]
    assert "following the chief, from epoch 2, batch 0" in results[1][1]
    assert digest_of(results[0][1]) == digest_of(results[1][1]) == saved_digest(chief / "models/model.keras")
    state = json.loads((chief / "checkpoints/state.json").read_text())
    assert state["epochs_done"] == 3
    assert not (other / "checkpoints").exists()

    # the reference: the same 3 epochs in one go, on a cluster of its own
    straight = [machine(tmp_path / "straight-chief", epochs=3), machine(tmp_path / "straight-other", epochs=3)]
    results = run_cluster(straight, scratch)
    assert all(code == 0 for code, _ in results), results[0][1][-3000:]
    assert saved_digest(straight[0] / "models/model.keras") == saved_digest(chief / "models/model.keras")
    assert json.loads((straight[0] / "checkpoints/state.json").read_text())["iterations"] == state["iterations"]
    for name in ("plots/metrics/eval/nats_per_char.tsv", "plots/metrics/train/loss.tsv", "samples/epoch-003.md"):
        assert (chief / "dvclive" / name).read_text() == (straight[0] / "dvclive" / name).read_text(), name


def test_the_keras_internals_the_fix_replaces_are_checked_and_a_changed_keras_is_named():
    """The fence: on this Keras every private symbol is there with its parameters; one missing, or
    with other parameters (a stand-in trainer module, as a Keras upgrade would bring), is named."""
    import types

    from keras.src import tree
    from keras.src.backend.tensorflow import trainer

    from pipeline.train.distribute import TESTED_KERAS, keras_internals_problem
    assert keras_internals_problem() is None and keras.__version__.startswith("3.15")
    assert "3.15" in TESTED_KERAS
    changed = types.SimpleNamespace(**{name: getattr(trainer, name) for name in ("reduce_per_replica",
                                                                                 "_collective_all_reduce_multi_worker")})
    assert "TensorFlowTrainer._maybe_symbolic_build is missing" in keras_internals_problem(changed, tree)

    class Trainer(trainer.TensorFlowTrainer):
        def _maybe_symbolic_build(self, batches=None):
            pass

    changed.TensorFlowTrainer = Trainer
    assert "_maybe_symbolic_build takes ('self', 'batches')" in keras_internals_problem(changed, tree)
