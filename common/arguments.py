"""Argument types for the command lines: numbers checked when argparse reads them, before any work.

In:  the text of one command-line argument.
Out: the number, or argparse's usage error naming the option: `--delay nan`, `--delay 1e300` and
     `--temperature -1` are refused at once, not after a model has loaded or as a traceback deep in
     a scrape. The limits are those of params.yaml (`common/params.py`): no number beyond MAX_WHOLE,
     durations at most a DAY (`number(float, maximum=DAY)`).
"""
import argparse
import math

from common.params import DAY, MAX_WHOLE

__all__ = ["number", "DAY", "MAX_WHOLE"]


def number(kind=float, *, minimum: float = 0, above: bool = False, maximum: float = MAX_WHOLE):
    """An argparse type: a finite `kind` (int or float) >= `minimum` (> it if `above`), <= `maximum`."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {'a whole number' if kind is int else 'a number'}: {text!r}")
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
        if value < minimum or (above and value == minimum):
            raise argparse.ArgumentTypeError(f"must be {'>' if above else '>='} {minimum}, got {text}")
        if value > maximum:
            limit = int(maximum) if maximum == int(maximum) else maximum
            raise argparse.ArgumentTypeError(f"must be <= {limit}, got {text}")
        return value
    return parse
