"""The standard evaluation: per-character loss over a whole text, read in order with the state carried.

The reference is the trained Keras model itself run over each stream in one call (it carries its
own state from the first character to the last, with no chunking and no twin), scored with numpy.
"""
import numpy as np
import pytest

from common.model import Stepper, build_model
from pipeline.train.baselines import baseline_report
from pipeline.train.evaluate import block_nats, scored_ids, stream_nats


def numpy_nats(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=-1, keepdims=True)
    log_probabilities = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    return -np.take_along_axis(log_probabilities, targets[..., None], axis=-1)[..., 0]


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(3)
    model = build_model(11, hidden_units=16, layers=2, all_positions=True)
    model.set_weights([w + rng.normal(0, 0.3, w.shape).astype("float32") for w in model.get_weights()])
    return model


@pytest.mark.parametrize("streams, chunk", [(1, 1000), (1, 7), (4, 5), (3, 1000)])
def test_stream_nats_equals_the_model_reading_each_stream_whole(model, streams, chunk):
    ids = np.random.default_rng(0).integers(0, 11, 203).astype(np.int32)
    bounds = np.linspace(0, len(ids) - 1, streams + 1).round().astype(int)
    losses = []
    for start, end in zip(bounds[:-1], bounds[1:]):
        logits = model.predict(ids[None, start:end], verbose=0)[0]
        losses.append(numpy_nats(logits, ids[start + 1:end + 1]))
    expected = np.concatenate(losses).mean()
    assert stream_nats(Stepper(model), ids, streams=streams, chunk=chunk) == pytest.approx(expected, rel=1e-5)


def test_carrying_the_state_is_what_it_measures(model):
    # a chunk that forgot its state would score the same as reading each chunk from scratch
    ids = np.random.default_rng(1).integers(0, 11, 301).astype(np.int32)
    scratch = np.concatenate([numpy_nats(model.predict(ids[None, b:b + 50], verbose=0)[0], ids[b + 1:b + 51])
                              for b in range(0, 300, 50)]).mean()
    assert stream_nats(Stepper(model), ids, streams=1, chunk=50) != pytest.approx(scratch, rel=1e-4)


def test_block_nats_is_nanogpts_mean_over_fresh_blocks(model):
    ids = np.random.default_rng(2).integers(0, 11, 200).astype(np.int32)
    blocks = [(s, ids[s:s + 64], ids[s + 1:s + 65]) for s in (0, 64, 128)]  # the next would need id 256
    expected = np.concatenate([numpy_nats(model.predict(x[None], verbose=0)[0], y) for _, x, y in blocks]).mean()
    assert block_nats(Stepper(model), ids, block=64) == pytest.approx(expected, rel=1e-5)


def test_the_baselines_score_exactly_the_characters_the_model_does():
    rng = np.random.default_rng(4)
    train, val = rng.integers(0, 5, 2000), rng.integers(0, 5, 300)
    scored = baseline_report(train, val, 5, scored_from=len(val) - len(scored_ids(val)))
    everything = baseline_report(train, val, 5)
    # the unigram of every character but the first, computed by hand
    counts = np.bincount(train, minlength=5) + 1.0
    assert scored["unigram"] == pytest.approx(-np.log(counts[val[1:]] / counts.sum()).mean())
    assert scored["unigram"] != pytest.approx(everything["unigram"], rel=1e-9)

