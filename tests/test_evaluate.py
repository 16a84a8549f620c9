"""The standard evaluation: per-character loss over a whole text, read in order with the state carried.

The reference is the model's arithmetic done in float64 with numpy (tests/float_bounds.py), over each
stream in one pass from its first character to its last (no chunking, no Keras, no twin), scored with
numpy; the tolerance is how far float32 arithmetic can be from it, derived from the values.
"""
import numpy as np
import pytest

from common.model import Stepper, build_model
from float_bounds import FLOAT32_U, exact_logits_and_bound, nats_bound
from pipeline.train.baselines import baseline_report
from pipeline.train.evaluate import block_nats, scored_ids, stream_nats


def numpy_nats(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=-1, keepdims=True)
    log_probabilities = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    return -np.take_along_axis(log_probabilities, targets[..., None], axis=-1)[..., 0]


# Short texts: the bound on float32's error grows with every step the state is carried, and must stay below
# what a forgotten state would change.
LENGTH, CHUNK, BLOCK = 30, 3, 8


@pytest.fixture(scope="module")
def model():
    """Weights moved off their initial values (a model that is not uniform), but little: the error carried
    in its state then shrinks from step to step, so the float32 bound stays small."""
    import keras

    keras.utils.set_random_seed(3)  # the initial weights too: unseeded, they followed whatever ran before
    rng = np.random.default_rng(3)
    model = build_model(11, hidden_units=16, layers=2, all_positions=True)
    model.set_weights([w + rng.normal(0, 0.05, w.shape).astype("float32") for w in model.get_weights()])
    return model


def exact_nats(model, pieces) -> tuple[float, float]:
    """The mean loss of the characters after each (inputs, targets) piece, each read from a fresh state, in
    float64; and how far a float32 computation of it can be."""
    logits, bounds, losses = [], [], []
    for inputs, targets in pieces:
        exact, bound = exact_logits_and_bound(model.get_weights(), inputs[None], FLOAT32_U, embedding=False,
                                              layers=2)
        logits.append(exact[0]), bounds.append(bound[0]), losses.append(numpy_nats(exact[0], targets))
    nats = float(np.concatenate(losses).mean())
    return nats, nats_bound(np.concatenate(logits), np.concatenate(bounds), nats)


@pytest.mark.parametrize("streams, chunk", [(1, 1000), (1, CHUNK), (4, 2), (3, 1000)])
def test_stream_nats_equals_the_model_reading_each_stream_whole(model, streams, chunk):
    ids = np.random.default_rng(0).integers(0, 11, LENGTH + 1).astype(np.int32)
    bounds = np.linspace(0, len(ids) - 1, streams + 1).round().astype(int)
    expected, tolerance = exact_nats(model, [(ids[start:end], ids[start + 1:end + 1])
                                             for start, end in zip(bounds[:-1], bounds[1:])])
    assert stream_nats(Stepper(model), ids, streams=streams, chunk=chunk) == pytest.approx(expected, abs=tolerance)


def test_carrying_the_state_is_what_it_measures(model):
    """A chunk that forgot its state would score the same as reading each chunk from a fresh state: that
    is further from the whole reading than float32 can explain, so the test above (one stream, in
    chunks of CHUNK) sees a forgotten state."""
    ids = np.random.default_rng(0).integers(0, 11, LENGTH + 1).astype(np.int32)
    pieces = [(ids[b:min(b + CHUNK, LENGTH)], ids[b + 1:min(b + CHUNK, LENGTH) + 1]) for b in range(0, LENGTH, CHUNK)]
    scratch, scratch_tolerance = exact_nats(model, pieces)
    carried, carried_tolerance = exact_nats(model, [(ids[:LENGTH], ids[1:])])
    assert abs(carried - scratch) > scratch_tolerance + carried_tolerance
    assert stream_nats(Stepper(model), ids, streams=1, chunk=CHUNK) != pytest.approx(scratch, abs=scratch_tolerance)


def test_block_nats_is_nanogpts_mean_over_fresh_blocks(model):
    ids = np.random.default_rng(2).integers(0, 11, 3 * BLOCK + 8).astype(np.int32)
    blocks = [(ids[s:s + BLOCK], ids[s + 1:s + BLOCK + 1]) for s in (0, BLOCK, 2 * BLOCK)]  # a 4th would need more
    expected, tolerance = exact_nats(model, blocks)
    assert block_nats(Stepper(model), ids, block=BLOCK) == pytest.approx(expected, abs=tolerance)


def test_the_baselines_score_exactly_the_characters_the_model_does():
    rng = np.random.default_rng(4)
    train, val = rng.integers(0, 5, 2000), rng.integers(0, 5, 300)
    scored = baseline_report(train, val, 5, scored_from=len(val) - len(scored_ids(val)))
    everything = baseline_report(train, val, 5)
    # the unigram of every character but the first, computed by hand
    counts = np.bincount(train, minlength=5) + 1.0
    expected = -np.log(counts[val[1:]] / counts.sum()).mean()
    # float64: a division and a log per character (relative 4 units of 2^-53), and a mean of 299 positive terms
    tolerance = 2 * (4 + len(val)) * 2.0 ** -53 * expected
    assert scored["unigram"] == pytest.approx(expected, abs=tolerance)
    assert scored["unigram"] != pytest.approx(everything["unigram"], abs=tolerance)

