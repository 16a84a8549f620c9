"""app/runfiles.py: what the page reads of a run, from files written the way DVCLive and the train stage
write them, and the trainer's own lock."""
import multiprocessing

from app import runfiles
from pipeline.train.lock import exclusive

SCRIPT = "[Scene: a bus stop.]\n\nMILO\nHi.\n\nKENNY (shouting)\nBus!\n\nMILO\nLate.\n\nKENNY\nAgain.\n\nKENNY\nGone.\n"


def test_the_headline_is_the_published_model_s():
    """Fails if the page shows the last epoch's loss when the stage published the best epoch's model."""
    metrics = {"step": 5, "eval": {"nats_per_char": 1.9}, "kept": {"epoch": 4, "eval_nats_per_char": 1.7},
               "baselines": {"best_ngram": 2.1}}
    assert runfiles.headline(metrics) == {"nats_per_char": 1.7, "best_ngram": 2.1, "epochs": 6, "kept_epoch": 4}
    del metrics["kept"]  # train.keep: last, or a run from before `kept` was written
    assert runfiles.headline(metrics)["nats_per_char"] == 1.9
    assert runfiles.headline(runfiles.read_metrics("{not json")) == {"nats_per_char": None, "best_ngram": None,
                                                                     "epochs": None, "kept_epoch": None}


def test_the_curve_counts_epochs_from_one_and_skips_a_row_being_written():
    """Fails if an epoch is off by one against `dvc plots`' step, or a half-written last row breaks the page."""
    tsv = "step\tnats_per_char\n0\t2.5\n1\t2.25\n2\t2."
    assert runfiles.curve(tsv) == [[1, 2.5], [2, 2.25], [3, 2.0]]
    assert runfiles.curve("step\tnats_per_char\n0\t2.5\n1\t") == [[1, 2.5]]


def test_differing_params_are_the_changed_dotted_keys():
    """Fails if an unchanged key is listed, or a changed nested one is missed."""
    reference = "train:\n  epochs: 2\n  layers: 1\nsample:\n  temperatures: [0, 1.0]\n"
    changed = "train:\n  epochs: 4\n  layers: 1\nsample:\n  temperatures: [0, 0.5]\n"
    assert runfiles.differing(changed, reference) == {"train.epochs": 4, "sample.temperatures": [0, 0.5]}
    assert runfiles.differing(reference, reference) == {}


def _hold(directory, ready, release):
    with exclusive(directory):
        ready.set()
        release.wait(600)


def test_training_is_the_trainer_s_lock_held_by_another_process(tmp_path):
    """Fails if a held lock is missed (the page would load a model being written), or a lock file left by
    a finished run still reads as training."""
    assert not runfiles.training(tmp_path)  # no lock file
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(tmp_path / "checkpoints", ready, release))
    holder.start()
    try:
        assert ready.wait(600)
        assert runfiles.training(tmp_path)
    finally:
        release.set()
        holder.join(600)
        if holder.is_alive():
            holder.kill()
    assert (tmp_path / runfiles.LOCK).exists() and not runfiles.training(tmp_path)


def test_the_default_prompt_is_the_most_frequent_speaker_s_cue():
    """Fails if a parenthetical splits a speaker's count, or directions count as speakers."""
    assert runfiles.default_prompt(SCRIPT) == "KENNY\n"
    assert runfiles.default_prompt("") == "\n"
