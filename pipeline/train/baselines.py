"""Count-based baselines that say what a "good" validation loss is for a character model.

In:  1-D integer arrays of character ids (as `common.vocab.encode` returns), one for the
     training text and one for the validation text, and the vocabulary size (at most 256).
Out: validation cross-entropy in nats per character of
     - an add-one smoothed unigram model (`unigram_nats`),
     - an interpolated absolute-discounting character n-gram (`ngram_nats`), and
     - both side by side for several orders (`baseline_report`).
Every model is fitted on the training ids only and scores each validation character given
the up-to-(order - 1) validation characters before it. An empty validation text scores NaN.

Counting is vectorised: a context of L ids is the int64 key `sum(id[-k] * 256**(k-1))` and
(context, next id) pairs are `context_key * 256 + next_id`, counted with `np.unique` and looked
up with `np.searchsorted`, so there is no Python loop per character.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

MAX_ORDER = 7  # 6 context ids plus the next id still fit in an int64 pair key
DEFAULT_ORDERS = (1, 2, 3, 4, 5)


class ContextCounts(NamedTuple):
    """Training counts for contexts of one fixed length, all arrays sorted by key."""
    pair_keys: np.ndarray        # context_key * 256 + next_id
    pair_counts: np.ndarray      # count(context, next_id)
    context_keys: np.ndarray
    context_totals: np.ndarray   # count(context) = sum over next ids of count(context, next_id)
    distinct_followers: np.ndarray


class NgramModel(NamedTuple):
    vocab_size: int
    order: int
    discount: float
    unigram: np.ndarray                    # add-one probabilities, shape (vocab_size,)
    counts_by_length: list[ContextCounts]  # index L - 1 holds contexts of length L


def unigram_probabilities(train_ids: np.ndarray, vocab_size: int) -> np.ndarray:
    counts = np.bincount(_checked_ids(train_ids, vocab_size), minlength=vocab_size)
    return (counts + 1.0) / (counts.sum() + vocab_size)


def unigram_nats(train_ids: np.ndarray, val_ids: np.ndarray, vocab_size: int) -> float:
    probabilities = unigram_probabilities(train_ids, vocab_size)
    return _mean_nats(probabilities[_checked_ids(val_ids, vocab_size)])


def fit_ngram(train_ids: np.ndarray, vocab_size: int, order: int = 5, discount: float = 0.75) -> NgramModel:
    if not 1 <= order <= MAX_ORDER:
        raise ValueError(f"order must be between 1 and {MAX_ORDER}, got {order}")
    # D above 1 would zero out singleton pairs without giving their mass back: no longer a distribution.
    if not 0.0 < discount <= 1.0:
        raise ValueError(f"discount must be in (0, 1], got {discount}")
    ids = _checked_ids(train_ids, vocab_size)
    counts_by_length = [_count_contexts(ids, length) for length in range(1, order)]
    return NgramModel(vocab_size, order, discount, unigram_probabilities(ids, vocab_size), counts_by_length)


def ngram_probabilities(model: NgramModel, context_ids: np.ndarray) -> np.ndarray:
    """P(next id) for every id in the vocabulary, given the ids before it (only the last order - 1 count)."""
    context = _checked_ids(context_ids, model.vocab_size)
    next_ids = np.arange(model.vocab_size, dtype=np.int64)
    probabilities = model.unigram.copy()
    for length in range(1, min(len(context), model.order - 1) + 1):
        # A placeholder next id makes `_context_keys` key the context that ends at the last id.
        context_key = _context_keys(np.append(context[-length:], 0), length)[0]
        probabilities = _interpolate(model.counts_by_length[length - 1], model.discount, probabilities,
                                     np.full(model.vocab_size, context_key), next_ids)
    return probabilities


def ngram_nats(train_ids: np.ndarray, val_ids: np.ndarray, vocab_size: int,
               order: int = 5, discount: float = 0.75) -> float:
    model = fit_ngram(train_ids, vocab_size, order, discount)
    return _score(model, _checked_ids(val_ids, vocab_size), order)


def baseline_report(train_ids: np.ndarray, val_ids: np.ndarray, vocab_size: int,
                    orders: tuple[int, ...] = DEFAULT_ORDERS, discount: float = 0.75, scored_from: int = 0) -> dict:
    """{"unigram", "ngram_<n>" for each order n >= 2, "best_ngram", "best_order"}; order 1 is the unigram.
    Only val_ids[scored_from:] are scored (each still given the ids before it), so a baseline can be
    scored on exactly the characters a model was."""
    if not orders or min(orders) < 1:
        raise ValueError(f"orders must be a non-empty collection of orders >= 1, got {orders}")
    model = fit_ngram(train_ids, vocab_size, max(orders), discount)
    val = _checked_ids(val_ids, vocab_size)
    nats_by_order = {order: _score(model, val, order, scored_from) for order in sorted(set(orders) | {1})}
    report = {"unigram": nats_by_order[1]}
    report.update({f"ngram_{order}": nats for order, nats in nats_by_order.items() if order > 1})
    if len(val) <= scored_from:
        return {**report, "best_ngram": float("nan"), "best_order": None}
    best_order = min(nats_by_order, key=nats_by_order.get)
    return {**report, "best_ngram": nats_by_order[best_order], "best_order": best_order}


def _checked_ids(ids: np.ndarray, vocab_size: int) -> np.ndarray:
    if not 1 <= vocab_size <= 256:
        raise ValueError(f"vocab_size must be between 1 and 256, got {vocab_size}")
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"expected a 1-D array of ids, got shape {ids.shape}")
    ids = ids.astype(np.int64)
    if len(ids) and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"ids must lie in [0, {vocab_size}), got [{ids.min()}, {ids.max()}]")
    return ids


def _context_keys(ids: np.ndarray, length: int) -> np.ndarray:
    """Key of the `length` ids before each position `length .. len(ids) - 1`; ids[-1] of a context is digit 0."""
    keys = np.zeros(max(len(ids) - length, 0), dtype=np.int64)
    for back in range(1, length + 1):
        keys += ids[length - back:len(ids) - back] << (8 * (back - 1))
    return keys


def _count_contexts(ids: np.ndarray, length: int) -> ContextCounts:
    pair_keys, pair_counts = np.unique((_context_keys(ids, length) << 8) | ids[length:], return_counts=True)
    # Pairs sorted by key are grouped by context, so each context's pairs form one run.
    context_keys, run_starts, distinct_followers = np.unique(pair_keys >> 8, return_index=True, return_counts=True)
    context_totals = np.add.reduceat(pair_counts, run_starts) if len(pair_counts) else pair_counts
    return ContextCounts(pair_keys, pair_counts, context_keys, context_totals, distinct_followers)


def _lookup(sorted_keys: np.ndarray, values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """values[i] where sorted_keys[i] == key, else 0."""
    if len(sorted_keys) == 0:
        return np.zeros(len(keys), dtype=np.int64)
    index = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return np.where(sorted_keys[index] == keys, values[index], 0)


def _interpolate(counts: ContextCounts, discount: float, lower_probabilities: np.ndarray,
                 context_keys: np.ndarray, next_ids: np.ndarray) -> np.ndarray:
    context_totals = _lookup(counts.context_keys, counts.context_totals, context_keys)
    followers = _lookup(counts.context_keys, counts.distinct_followers, context_keys)
    pair_counts = _lookup(counts.pair_keys, counts.pair_counts, (context_keys << 8) | next_ids)
    discounted = np.maximum(pair_counts - discount, 0.0) + discount * followers * lower_probabilities
    # A context never seen in training carries no evidence: keep the lower order's probability.
    return np.where(context_totals > 0, discounted / np.maximum(context_totals, 1), lower_probabilities)


def _score(model: NgramModel, val: np.ndarray, order: int, scored_from: int = 0) -> float:
    """Mean nats of val[scored_from:] under `model` truncated to `order`, each id given the val ids before it."""
    probabilities = model.unigram[val]
    for length in range(1, min(order, model.order)):
        probabilities[length:] = _interpolate(model.counts_by_length[length - 1], model.discount,
                                              probabilities[length:], _context_keys(val, length), val[length:])
    return _mean_nats(probabilities[scored_from:])


def _mean_nats(probabilities: np.ndarray) -> float:
    return float(-np.log(probabilities).mean()) if len(probabilities) else float("nan")
