"""Benchmark: stateful one-step generation against the article's re-feed-the-window loop.

In:  nothing (a 1024-cell model with random weights, 95 symbols: speed does not depend on weights).
Out: characters per second for our generator (one sample, and a batch of 16) and for the article's
     loop (every new character re-runs the whole 50-character window through the model), the
     ceiling a batch can reach on this machine (the recurrent matmul alone at batch 16 vs 1), then
     one JSON line with `speedup_vs_refeed`, `batch16_over_single` and `matmul_batch16_over_single`.

The baseline is given its best chance: the full model is called directly under `tf.function`
(not `model.predict`, which costs far more per call), and it samples the same way we do.
Run: `.venv/bin/python bench/sample.py [--units 1024] [--chars 300]`.
"""
import argparse
import json
import time

import numpy as np
import tensorflow as tf

from common.model import Stepper, build_model
from common.generate import _pick_next, generate

SECTION_LENGTH = 50
VOCAB = 95


def refeed_chars_per_second(model, n_chars: int) -> float:
    """The article's loop: keep the last 50 characters, run all of them, sample, append, repeat."""
    run_window = tf.function(lambda window: model(window, training=False))
    window = np.random.default_rng(0).integers(0, VOCAB, size=(1, SECTION_LENGTH))
    temperature = tf.constant(0.5, tf.float64)
    run_window(window)  # trace
    start = time.perf_counter()
    for t in range(n_chars):
        next_id = _pick_next(run_window(window), temperature, 0, tf.constant([0, t], tf.int64)).numpy()
        window = np.concatenate([window[:, 1:], next_id[:, None]], axis=1)
    return n_chars / (time.perf_counter() - start)


def stateful_chars_per_second(stepper, chars, n_chars: int, num: int) -> float:
    prompt = "".join(chars[i] for i in np.random.default_rng(1).integers(0, VOCAB, size=SECTION_LENGTH))
    generate(stepper, chars, prompt, length=5, temperature=0.5, num=num)  # trace
    start = time.perf_counter()
    generate(stepper, chars, prompt, length=n_chars, temperature=0.5, num=num)
    return n_chars * num / (time.perf_counter() - start)


def matmul_batch_ceiling(units: int, steps: int = 1000) -> float:
    """How much more work per second the recurrent matmul alone does at batch 16 than at batch 1
    on this machine: the most a batch of 16 can gain over one sample, whatever the generator."""
    recurrent = tf.Variable(tf.random.normal([units, 4 * units]))
    seconds = {}
    for batch in (1, 16):
        @tf.function
        def loop(h):
            for _ in tf.range(steps):
                h = tf.tanh(tf.matmul(h, recurrent)[:, :units])
            return h

        h = tf.random.normal([batch, units])
        loop(h)
        start = time.perf_counter()
        loop(h).numpy()
        seconds[batch] = time.perf_counter() - start
    return 16 * seconds[1] / seconds[16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1024)
    parser.add_argument("--chars", type=int, default=300, help="characters generated per measurement")
    args = parser.parse_args()
    chars = ["\n"] + [chr(c) for c in range(32, 32 + VOCAB - 1)]
    model = build_model(VOCAB, hidden_units=args.units)
    stepper = Stepper(model)
    refeed = refeed_chars_per_second(model, args.chars // 3)
    single = stateful_chars_per_second(stepper, chars, args.chars, 1)
    batch16 = stateful_chars_per_second(stepper, chars, args.chars, 16)
    ceiling = matmul_batch_ceiling(args.units)
    print(f"{args.units}-cell LSTM, {VOCAB} symbols, {len(tf.config.list_physical_devices('GPU'))} GPU(s)")
    print(f"article re-feed loop (50 steps per character): {refeed:8.1f} chars/s")
    print(f"stateful, one sample:                          {single:8.1f} chars/s ({single / refeed:.1f}x)")
    print(f"stateful, batch of 16:                         {batch16:8.1f} chars/s ({batch16 / single:.1f}x one)")
    print(f"ceiling: the recurrent matmul alone does {ceiling:.1f}x the work per second at batch 16 as at 1")
    print(json.dumps({"units": args.units, "matmul_batch16_over_single": round(ceiling, 1), "refeed_chars_per_s": round(refeed, 1),
                      "single_chars_per_s": round(single, 1), "batch16_chars_per_s": round(batch16, 1),
                      "speedup_vs_refeed": round(single / refeed, 1),
                      "batch16_over_single": round(batch16 / single, 1)}))


if __name__ == "__main__":
    main()
