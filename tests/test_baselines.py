"""The baselines are proper distributions, match a slow pure-Python reference, and behave as expected."""
import math
from collections import Counter, defaultdict

import numpy as np
import pytest

from pipeline.train.baselines import (baseline_report, fit_ngram, ngram_nats, ngram_probabilities,
                                unigram_nats)


def markov_text(length, vocab_size, seed):
    """Ids from a random first-order Markov chain: skewed enough that contexts repeat and matter."""
    rng = np.random.default_rng(seed)
    transitions = rng.dirichlet(np.full(vocab_size, 0.3), size=vocab_size)
    ids = [0]
    for _ in range(length - 1):
        ids.append(rng.choice(vocab_size, p=transitions[ids[-1]]))
    return np.array(ids, dtype=np.uint8)


class ReferenceNgram:
    """The n-gram written out with dicts and recursion, one character at a time."""

    def __init__(self, train, vocab_size, order, discount):
        train = [int(c) for c in train]
        self.vocab_size, self.order, self.discount = vocab_size, order, discount
        self.train_length, self.unigram_counts = len(train), Counter(train)
        self.pair_counts, self.context_totals = Counter(), Counter()
        self.followers = defaultdict(set)
        for length in range(1, order):
            for i in range(length, len(train)):
                context = tuple(train[i - length:i])
                self.pair_counts[context, train[i]] += 1
                self.context_totals[context] += 1
                self.followers[context].add(train[i])

    def probability(self, context, char):
        context = tuple(context)[len(context) - min(len(context), self.order - 1):]
        if not context:
            return (self.unigram_counts[char] + 1) / (self.train_length + self.vocab_size)
        lower = self.probability(context[1:], char)
        total = self.context_totals[context]
        if total == 0:
            return lower
        return (max(self.pair_counts[context, char] - self.discount, 0) / total
                + self.discount * len(self.followers[context]) / total * lower)

    def nats(self, val):
        val = [int(c) for c in val]
        return sum(-math.log(self.probability(val[:i], c)) for i, c in enumerate(val)) / len(val)


def gamma(n: int) -> float:
    """The relative error bound of n float64 operations in a row (unit roundoff 2^-53)."""
    return n * 2.0 ** -53 / (1 - n * 2.0 ** -53)


def nats_tolerance(order: int, nats: float, length: int) -> float:
    """How far two float64 computations of a mean loss over `length` characters can differ: each
    probability is a chain of about 4 operations per order (relative error gamma(4 order + 4), so its log
    is off by at most that), and the mean of positive terms is off by gamma(length) of itself; twice, one
    for each computation."""
    return 2 * (gamma(4 * order + 4) + gamma(length) * nats)


VOCAB = 7
TRAIN = markov_text(3000, VOCAB - 1, seed=1)  # id VOCAB - 1 never occurs in train
VAL = np.concatenate([markov_text(400, VOCAB - 1, seed=2), [VOCAB - 1, 3, VOCAB - 1]]).astype(np.uint8)


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("discount", [0.75, 0.3, 1.0])
def test_ngram_matches_the_reference(order, discount):
    expected = ReferenceNgram(TRAIN, VOCAB, order, discount).nats(VAL)
    assert ngram_nats(TRAIN, VAL, VOCAB, order=order, discount=discount) == pytest.approx(
        expected, abs=nats_tolerance(order, expected, len(VAL)))


def test_order_one_is_the_add_one_unigram():
    counts = np.bincount(TRAIN, minlength=VOCAB)
    expected = -np.mean(np.log((counts[VAL] + 1) / (len(TRAIN) + VOCAB)))
    tolerance = nats_tolerance(1, expected, len(VAL))
    assert unigram_nats(TRAIN, VAL, VOCAB) == pytest.approx(expected, abs=tolerance)
    assert ngram_nats(TRAIN, VAL, VOCAB, order=1) == pytest.approx(expected, abs=tolerance)


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
def test_probabilities_sum_to_one_and_are_never_zero(order):
    model = fit_ngram(TRAIN, VOCAB, order=order)
    reference = ReferenceNgram(TRAIN, VOCAB, order, 0.75)
    rng = np.random.default_rng(order)
    seen_contexts = [TRAIN[start:start + length] for start, length in
                     zip(rng.integers(0, len(TRAIN) - 8, 20), rng.integers(0, 7, 20))]
    unseen_contexts = [rng.integers(0, VOCAB, length) for length in range(7)]
    for context in seen_contexts + unseen_contexts:
        probabilities = ngram_probabilities(model, context)
        assert probabilities.shape == (VOCAB,)
        # each probability within gamma(4 order + 4) of itself, and at most 1: so is their sum, plus its own
        assert probabilities.sum() == pytest.approx(1.0, abs=gamma(4 * order + 4 + VOCAB))
        assert probabilities.min() > 0
        expected = [reference.probability(list(context), char) for char in range(VOCAB)]
        np.testing.assert_allclose(probabilities, expected, rtol=2 * gamma(4 * order + 4), atol=0)


def test_repetitive_text_is_nearly_free_for_higher_orders():
    phrase = "the quick brown fox jumps over the lazy dog. "
    chars = sorted(set(phrase))
    ids = np.array([chars.index(c) for c in phrase * 200], dtype=np.uint8)
    val = np.array([chars.index(c) for c in phrase * 3], dtype=np.uint8)
    report = baseline_report(ids, val, len(chars))
    assert report["unigram"] > 2.0
    assert report["ngram_5"] < 0.3
    assert all(report[f"ngram_{order}"] <= report["unigram"] for order in range(2, 6))
    assert report["best_order"] == 5 and report["best_ngram"] == report["ngram_5"]


def test_iid_text_gains_nothing_from_context():
    vocab_size = 20
    rng = np.random.default_rng(0)
    train = rng.integers(0, vocab_size, 200_000).astype(np.uint8)
    val = rng.integers(0, vocab_size, 20_000).astype(np.uint8)
    report = baseline_report(train, val, vocab_size)
    assert report["unigram"] == pytest.approx(math.log(vocab_size), abs=0.01)
    for order in range(2, 6):
        assert report[f"ngram_{order}"] > report["unigram"] - 0.05


def test_report_keys_and_order_one_equivalence():
    report = baseline_report(TRAIN, VAL, VOCAB, orders=(1, 2, 3))
    assert set(report) == {"unigram", "ngram_2", "ngram_3", "best_ngram", "best_order"}
    assert report["unigram"] == unigram_nats(TRAIN, VAL, VOCAB)   # the same function on the same numbers
    assert report["ngram_3"] == ngram_nats(TRAIN, VAL, VOCAB, order=3)
    assert report["best_ngram"] == min(report["unigram"], report["ngram_2"], report["ngram_3"])


def test_empty_val_gives_nan_and_unseen_characters_stay_finite():
    empty = np.array([], dtype=np.uint8)
    assert math.isnan(unigram_nats(TRAIN, empty, VOCAB))
    assert math.isnan(ngram_nats(TRAIN, empty, VOCAB))
    report = baseline_report(TRAIN, empty, VOCAB)
    assert all(math.isnan(report[key]) for key in ("unigram", "ngram_5", "best_ngram"))
    assert report["best_order"] is None
    unseen = np.full(5, VOCAB - 1, dtype=np.uint8)
    assert math.isfinite(ngram_nats(TRAIN, unseen, VOCAB))
    assert math.isfinite(ngram_nats(empty, unseen, VOCAB))


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="ids must lie"):
        unigram_nats(TRAIN, np.array([VOCAB]), VOCAB)
    with pytest.raises(ValueError, match="order"):
        ngram_nats(TRAIN, VAL, VOCAB, order=8)
    with pytest.raises(ValueError, match="discount"):
        ngram_nats(TRAIN, VAL, VOCAB, discount=1.5)
