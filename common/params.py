"""Load and check `params.yaml`.

In: the path of a params file (default `params.yaml` in the working directory).
Out: the nested dict of params, after every key has been checked against `SCHEMA`.

A key that is unknown (a typo), missing, of the wrong type or out of range raises `ParamsError`
naming the dotted key, before any stage does any work. Stages call `load_params()` and then read
only the keys that `dvc.yaml` lists for them.
"""
from __future__ import annotations

import difflib
from pathlib import Path

import yaml


class ParamsError(ValueError):
    """A params file that cannot be used as it is; the message names the file and the key."""


def _positive(value):
    return value > 0


def _non_negative(value):
    return value >= 0


def _fraction(value):
    return 0 <= value < 1


def _string_list(value):
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def _temperatures(value):
    return (isinstance(value, list) and value
            and all(isinstance(t, (int, float)) and not isinstance(t, bool) and t >= 0 for t in value))


NUMBER = (int, float)

# dotted key -> (accepted types, check or None, what the check means)
SCHEMA = {
    "scrape.source": (str, lambda v: v in ("live", "sample"), "live or sample"),
    "scrape.sites": (list, lambda v: _string_list(v) and set(v) <= {"imsdb", "livesinabox"} and v,
                     "a non-empty list drawn from imsdb, livesinabox"),
    "scrape.delay": (NUMBER, _non_negative, ">= 0"),
    "scrape.timeout": (NUMBER, _positive, "> 0"),
    "scrape.retries": (int, _non_negative, ">= 0"),
    "scrape.max_page_bytes": (int, _positive, "> 0"),
    "scrape.limit": (int, _non_negative, ">= 0 (0 means no limit)"),
    "scrape.max_failed_fraction": (NUMBER, lambda v: 0 <= v <= 1, "in [0, 1]"),
    "scrape.imsdb.url": (str, lambda v: v.startswith(("http://", "https://")), "an http(s) URL"),
    "scrape.imsdb.shows": (list, _string_list, "a list of show names"),
    "scrape.imsdb.movies": (str, lambda v: v == v.strip() and v != "",
                            "none, all, or an IMSDb genre such as Comedy"),
    "scrape.imsdb.movie_limit": (int, _non_negative, ">= 0 (0 means no limit)"),
    "scrape.livesinabox.url": (str, lambda v: v.startswith(("http://", "https://")), "an http(s) URL"),
    "clean.ascii": (bool, None, ""),
    "clean.min_char_count": (int, _non_negative, ">= 0"),
    "clean.val_fraction": (NUMBER, _fraction, "in [0, 1)"),
    "window.compression": (str, lambda v: v in ("none", "gzip"), "none or gzip"),
    "train.section_length": (int, _positive, "> 0"),
    "train.step": (int, _positive, "> 0"),
    "train.hidden_units": (int, _positive, "> 0"),
    "train.layers": (int, _positive, "> 0"),
    "train.embedding": (int, _non_negative, ">= 0 (0 means one-hot)"),
    "train.dropout": (NUMBER, _fraction, "in [0, 1)"),
    "train.objective": (str, lambda v: v in ("all", "last"), "all or last"),
    "train.optimizer": (str, lambda v: v in ("adam", "rmsprop", "sgd"), "adam, rmsprop or sgd"),
    "train.clipnorm": (NUMBER, _non_negative, ">= 0 (0 means no clipping)"),
    "train.sample_every": (int, _non_negative, ">= 0 (0 means never)"),
    "train.strategy": (str, lambda v: v in ("auto", "one_device", "mirrored", "multi_worker"),
                       "auto, one_device, mirrored or multi_worker"),
    "train.mixed_precision": (bool, None, ""),
    "train.jit_compile": (bool, None, ""),
    "train.learning_rate": (NUMBER, _positive, "> 0"),
    "train.batch_size": (int, _positive, "> 0"),
    "train.epochs": (int, _positive, "> 0"),
    "train.shuffle_buffer": (int, _non_negative, ">= 0 (0 keeps corpus order)"),
    "train.seed": (int, None, ""),
    "sample.temperatures": (list, _temperatures, "a non-empty list of numbers >= 0"),
    "sample.length": (int, _positive, "> 0"),
    "sample.top_k": (int, _non_negative, ">= 0 (0 means no limit)"),
    "sample.prime": (str, None, ""),
    "sample.seed": (int, None, ""),
}


def _flatten(tree, prefix=""):
    """Yield (dotted key, value) for every leaf; a dict whose key is in SCHEMA counts as a leaf."""
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and dotted not in SCHEMA:
            yield from _flatten(value, dotted + ".")
        else:
            yield dotted, value


def check_params(params: dict, source: str = "params.yaml") -> dict:
    """Raise ParamsError for the first problem found in `params`; return `params` unchanged."""
    if not isinstance(params, dict):
        raise ParamsError(f"{source}: expected a mapping of parameter groups, got {type(params).__name__}")
    seen = dict(_flatten(params))
    for key in seen:
        if key not in SCHEMA:
            close = difflib.get_close_matches(key, SCHEMA, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ParamsError(f"{source}: unknown key '{key}'{hint}. "
                              "Every key is listed in the params reference of README.md.")
    for key, (types, check, meaning) in SCHEMA.items():
        if key not in seen:
            raise ParamsError(f"{source}: missing key '{key}'. Add it back (see README.md, params reference).")
        value = seen[key]
        wrong_type = not isinstance(value, types) or (isinstance(value, bool) and types is not bool)
        if wrong_type or (check is not None and not check(value)):
            expected = meaning or (types.__name__ if isinstance(types, type) else "a number")
            raise ParamsError(f"{source}: '{key}' is {value!r}; it must be {expected}.")
    return params


def load_params(path: str | Path = "params.yaml") -> dict:
    """Read and check a params file; raise ParamsError naming the file and key on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(f"{path}: not found. Run from the project root (where dvc.yaml is).") from None
    try:
        params = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ParamsError(f"{path}: not valid YAML: {error}") from None
    return check_params(params, str(path))
