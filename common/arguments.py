"""Argument types and help for the command lines: numbers checked when argparse reads them, before any work.

In:  the text of one command-line argument; for an option that overrides a knob, the knob's key.
Out: the number, or argparse's usage error naming the option: `--delay nan`, `--delay 1e300` and
     `--temperature -1` are refused at once, not after a model has loaded or as a traceback deep in
     a scrape. No number beyond MAX_WHOLE, as in params.yaml. An option that overrides a knob
     (`--delay` is `scrape.delay`) takes its rule and its help from the knob's declaration
     (`knob_number`, `knob_help`), so the check, the option and the README say the same.
"""
import argparse
import math

from common.knobs import MAX_WHOLE, expected
from common.settings import KNOBS

__all__ = ["number", "knob_number", "knob_help"]


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


def knob_number(key: str):
    """An argparse type for an option that overrides the number knob `key`: what its rule allows."""
    rule = KNOBS[key].rule
    finite = number(int if rule.types is int else float, minimum=-math.inf)

    def parse(text: str):
        value = finite(text)
        if rule.check is not None and not rule.check(value):
            raise argparse.ArgumentTypeError(f"must be {rule.says}, got {text}")
        return value
    return parse


def knob_help(key: str, source, default: str | None = "%(default)s") -> str:
    """The help of an option that overrides the knob `key`: what it means and must be, and that its default
    is the knob's value in the params file `source` (`default` None: the file cannot be read)."""
    knob = KNOBS[key]
    must = "" if knob.rule.types is bool else f"; {expected(knob.rule)}"
    where = f"{key} of {source}" + (f": {default}" if default is not None else ", which cannot be read")
    return f"{knob.meaning.replace('%', '%%')}{must} (default: {where})"
