"""Load and check `params.yaml`, against the one schema of every knob.

In:  the path of a params file (default `params.yaml` in the working directory, DVC's own).
Out: the nested dict of params, after every key has been checked against `SCHEMA`; the typed
     settings object of each stage is built from it by `common/settings.py`.

`SCHEMA` says what each key must be; the values themselves, defaults included, are written only in
params.yaml. A key that is unknown (a typo), missing, of the wrong type (named: "the string '8'"), not finite
(`.nan`, `.inf`) or out of range raises `ParamsError` naming the dotted key, before any stage does any
work: the pipeline's first stage, `check`, runs this on the whole file whenever it changes. Ranges
have upper ends: durations at most a DAY, retries MAX_RETRIES, any other number MAX_WHOLE, so no
arithmetic downstream overflows (memory, which depends on the machine: the check stage, costs.py).
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

PARAMS_FILE = Path("params.yaml")
# The project's own params.yaml, for commands run outside the project root (`python -m scrapers`).
PROJECT_PARAMS_FILE = Path(__file__).resolve().parent.parent / "params.yaml"

DAY = 86_400            # seconds: no delay, timeout or deadline of a scrape is meant to be longer
MAX_RETRIES = 10        # each waits twice the one before (scrapers/http.py): 10 wait 17 min, 1100 overflow
MAX_WHOLE = 2**31 - 1   # TensorFlow's int32 sizes; seeds too (NumPy and Keras take [0, 2**32))


class ParamsError(ValueError):
    """A params file that cannot be used as it is; the message names the file and the key."""


@dataclass(frozen=True)
class Key:
    """What one dotted key of params.yaml must be."""
    types: type | tuple[type, ...]
    check: Callable[[Any], bool] | None = None
    meaning: str = ""                  # what `check` demands, for the error message


_positive, _non_negative, _fraction = (lambda v: v > 0), (lambda v: v >= 0), (lambda v: 0 <= v < 1)


def _string_list(value):
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def _temperatures(value):
    return (isinstance(value, list) and value
            and all(isinstance(t, (int, float)) and not isinstance(t, bool) and t >= 0 for t in value))


def _glob_inside(value):
    # an absolute or `..` pattern would reach files outside the folder, and out of the store's pages/
    parts = value.replace("\\", "/").split("/")
    return value.strip() != "" and parts[0] != "" and ".." not in parts


def _one_of(*choices):
    return lambda value: value in choices


NUMBER = (int, float)
URL = Key(str, lambda v: v.startswith(("http://", "https://")), "an http(s) URL")
SHARE = Key(NUMBER, lambda v: 0 <= v <= 1, "in [0, 1]")     # of pages allowed to fail
SITES = ("imsdb", "livesinabox")

SCHEMA: dict[str, Key] = {
    "scrape.source": Key(str, _one_of("live", "sample", "text"), "live, sample or text"),
    "scrape.sites": Key(list, lambda v: _string_list(v) and set(v) <= set(SITES) and v,
                        f"a non-empty list drawn from {', '.join(SITES)}"),
    "scrape.delay": Key(NUMBER, lambda v: 0 <= v <= DAY, f"in [0, {DAY}] (seconds; at most a day)"),
    "scrape.timeout": Key(NUMBER, lambda v: 0 < v <= DAY, f"> 0 and at most {DAY} (seconds; a day)"),
    "scrape.retries": Key(int, lambda v: 0 <= v <= MAX_RETRIES,
                          f"in [0, {MAX_RETRIES}] (each retry waits twice as long as the one before)"),
    "scrape.max_page_bytes": Key(int, _positive, "> 0"),
    "scrape.limit": Key(int, _non_negative, ">= 0 (0 means no limit)"),
    "scrape.max_failed_fraction": SHARE,
    "scrape.deadline": Key(NUMBER, lambda v: 0 <= v <= DAY, f"in [0, {DAY}] (seconds; at most a day; 0 means none)"),
    "scrape.max_host_failures": Key(int, _non_negative, ">= 0 (0 means never give up)"),
    "scrape.refresh": Key(bool),
    "scrape.imsdb.url": URL,
    "scrape.imsdb.shows": Key(list, _string_list, "a list of show names"),
    "scrape.imsdb.movies": Key(str, lambda v: v == v.strip() and v != "",
                               "none, all, or an IMSDb genre such as Comedy"),
    "scrape.imsdb.movie_limit": Key(int, _non_negative, ">= 0 (0 means no limit)"),
    "scrape.livesinabox.url": URL,
    "scrape.text.path": Key(str, lambda v: v.strip() != "", "a file or folder, relative to the project root"),
    "scrape.text.pattern": Key(str, _glob_inside, "a glob inside the folder, such as *.txt or **/*.txt"),
    "clean.ascii": Key(bool),
    "clean.min_char_count": Key(int, _non_negative, ">= 0"),
    "clean.val_fraction": Key(NUMBER, _fraction, "in [0, 1)"),
    "clean.max_skipped_fraction": SHARE,
    "window.compression": Key(str, _one_of("none", "gzip"), "none or gzip"),
    "train.section_length": Key(int, _positive, "> 0"),
    "train.step": Key(int, _positive, "> 0"),
    "train.hidden_units": Key(int, _positive, "> 0"),
    "train.layers": Key(int, _positive, "> 0"),
    "train.embedding": Key(int, _non_negative, ">= 0 (0 means one-hot)"),
    "train.dropout": Key(NUMBER, _fraction, "in [0, 1)"),
    "train.objective": Key(str, _one_of("all", "last"), "all or last"),
    "train.optimizer": Key(str, _one_of("adam", "rmsprop", "sgd"), "adam, rmsprop or sgd"),
    "train.clipnorm": Key(NUMBER, _non_negative, ">= 0 (0 means no clipping)"),
    "train.sample_every": Key(int, _non_negative, ">= 0 (0 means never)"),
    "train.sample_temperatures": Key(list, _temperatures, "a non-empty list of numbers >= 0"),
    "train.sample_length": Key(int, _positive, "> 0"),
    "train.strategy": Key(str, _one_of("auto", "one_device", "mirrored", "multi_worker"),
                          "auto, one_device, mirrored or multi_worker"),
    "train.mixed_precision": Key((bool, str), _one_of(False, True, "float16", "bfloat16"),
                                 "a precision: false, float16 or bfloat16 (true means float16)"),
    "train.jit_compile": Key(bool),
    "train.deterministic": Key(bool),
    "train.learning_rate": Key(NUMBER, _positive, "> 0"),
    "train.lr_schedule": Key(str, _one_of("constant", "cosine"), "constant or cosine"),
    "train.warmup_steps": Key(int, _non_negative, ">= 0"),
    "train.final_lr_fraction": Key(NUMBER, lambda v: 0 <= v <= 1, "in [0, 1]"),
    "train.batch_size": Key(int, _positive, "> 0"),
    "train.epochs": Key(int, _positive, "> 0"),
    "train.shuffle_buffer": Key(int, _non_negative, ">= 0 (0 keeps corpus order)"),
    "train.seed": Key(int, _non_negative, ">= 0"),
    "sample.temperatures": Key(list, _temperatures, "a non-empty list of numbers >= 0"),
    "sample.length": Key(int, _positive, "> 0"),
    "sample.top_k": Key(int, _non_negative, ">= 0 (0 means no limit)"),
    "sample.prime": Key(str),
    "sample.seed": Key(int, _non_negative, ">= 0"),
}


def _flatten(tree, prefix=""):
    """Yield (dotted key, value) for every leaf; a dict whose key is in SCHEMA counts as a leaf."""
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and dotted not in SCHEMA:
            yield from _flatten(value, dotted + ".")
        else:
            yield dotted, value


_KINDS = {bool: "true or false", int: "a whole number", str: "a string", list: "a list", dict: "a mapping"}


def _kind(types) -> str:
    """What a value of `types` is called in a message: `NUMBER` is 'a number'."""
    if types == NUMBER:
        return "a number"
    return _KINDS.get(types, types.__name__) if isinstance(types, type) else " or ".join(map(_kind, types))


def _described(value) -> str:
    """A value as a message names it, its YAML type included: "the string '8'", "the number 2.5"."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    return f"{_kind(type(value))} {value!r}" if type(value) in _KINDS else repr(value)


def _is(value, types) -> bool:
    """isinstance, but a YAML true/false is not a number: only keys that name bool take it."""
    named = types if isinstance(types, tuple) else (types,)
    return isinstance(value, types) and (not isinstance(value, bool) or bool in named)


def _expected(rule: Key) -> str:
    """What the key must be, type first: 'a whole number > 0', 'a non-empty list of ...'."""
    if not rule.meaning or rule.types is str:
        return rule.meaning or _kind(rule.types)
    return rule.meaning if rule.meaning.startswith(("a ", "an ")) else f"{_kind(rule.types)} {rule.meaning}"


def _finite(value) -> bool:
    """No nan or inf anywhere in a value: YAML reads `.nan` and `.inf` as floats, and no knob means them."""
    return all(map(_finite, value)) if isinstance(value, list) else not isinstance(value, float) or math.isfinite(value)


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
    for key, rule in SCHEMA.items():
        if key not in seen:
            raise ParamsError(f"{source}: missing key '{key}'. Add it back (see README.md, params reference).")
        value = seen[key]
        if not _is(value, rule.types):
            unquoted = isinstance(value, str) and _is(yaml.load(value, _Loader), rule.types)
            raise ParamsError(f"{source}: '{key}' is {_described(value)}; it must be {_expected(rule)}."
                              + (" Remove the quotes." if unquoted else ""))
        if not _finite(value):
            raise ParamsError(f"{source}: '{key}' is {value!r}; it must be {_expected(rule)}, and finite "
                              "(.nan and .inf are not values of any knob).")
        if rule.check is not None and not rule.check(value):
            raise ParamsError(f"{source}: '{key}' is {value!r}; it must be {rule.meaning or _kind(rule.types)}.")
        if _too_large(value):
            raise ParamsError(f"{source}: '{key}' is {value!r}; no number here may exceed {MAX_WHOLE:,} "
                              "(beyond it TensorFlow's int32 sizes and float32 arithmetic overflow).")
    return params


def _too_large(value) -> bool:
    """A number (alone or in a list) beyond MAX_WHOLE."""
    return any(map(_too_large, value)) if isinstance(value, list) else _is(value, NUMBER) and value > MAX_WHOLE


# YAML 1.1 as PyYAML reads it, but 1e-05 and 1e+300 are floats, as in YAML 1.2: DVC writes
# `-S train.learning_rate=1e-5` so (a string to YAML 1.1), and reads it as a number itself.
_Loader = type("_Loader", (yaml.SafeLoader,), {})
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*(\.[0-9_]*)?[eE][-+]?[0-9]+$"),
                              list("-+0123456789"))


def load_params(path: str | Path = PARAMS_FILE) -> dict:
    """Read and check a params file; raise ParamsError naming the file and key on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(f"{path}: not found. Run from the project root (where dvc.yaml is).") from None
    try:
        params = yaml.load(text, _Loader)
    except yaml.YAMLError as error:
        raise ParamsError(f"{path}: not valid YAML: {error}") from None
    return check_params(params, str(path))


def params_file_here() -> Path:
    """`params.yaml` in the working directory, else the project's own: where the commands that also
    run outside DVC (`python -m scrapers`, `python -m pipeline.clean --page`) read their settings."""
    return PARAMS_FILE if PARAMS_FILE.is_file() else PROJECT_PARAMS_FILE


def lookup(params: dict, dotted: str):
    """The value of a dotted key of checked params."""
    node = params
    for part in dotted.split("."):
        node = node[part]
    return node
