"""Argument types for the command lines: numbers checked when argparse reads them, before any work.

In:  the text of one command-line argument.
Out: the number, or argparse's usage error naming the option: `--delay nan` and `--temperature -1`
     are refused at once, not after a model has loaded or as a traceback deep in a scrape.
"""
import argparse
import math


def number(kind=float, *, minimum: float = 0, above: bool = False):
    """An argparse type: a finite `kind` (int or float) >= `minimum` (> it if `above`)."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {'a whole number' if kind is int else 'a number'}: {text!r}")
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
        if value < minimum or (above and value == minimum):
            raise argparse.ArgumentTypeError(f"must be {'>' if above else '>='} {minimum}, got {text}")
        return value
    return parse
