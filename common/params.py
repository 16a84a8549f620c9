"""Load and check `params.yaml` against the knobs declared in `common/settings.py`, and build a stage's settings.

In:  the path of a params file (default `params.yaml` in the working directory, DVC's own).
Out: `load_params(path)`: the nested dict of params, every key checked against its knob's rule;
     `load_settings(cls, path)`: the typed settings object of a stage, built from it.

The values themselves, defaults included, are written only in params.yaml. A key that is unknown (a
typo), missing, of the wrong type (named: "the string '8'"), not finite (`.nan`, `.inf`) or out of range
raises `ParamsError` naming the dotted key, before any stage does any work: the pipeline's first stage,
`check`, runs this on the whole file whenever it changes. A knob's old name or value (`formerly`,
`renamed_values` on its declaration) is read as the new one for one release, with a line on stderr
saying the new one; the check stage also renames it in the file (`pipeline/check/rename.py`).
"""
from __future__ import annotations

import copy
import difflib
import math
import re
import sys
from pathlib import Path

import yaml

from common.knobs import MAX_WHOLE, NUMBER, ParamsError, expected, kind
from common.settings import KNOBS, settings_from

__all__ = ["PARAMS_FILE", "PROJECT_PARAMS_FILE", "ParamsError", "RENAMED_KEYS", "RENAMED_VALUES", "UNTIL",
           "check_params", "key_renamed", "load_params", "load_settings", "params_file_here", "upgraded",
           "value_renamed"]

PARAMS_FILE = Path("params.yaml")
# The project's own params.yaml, for commands run outside the project root (`python -m scrapers`).
PROJECT_PARAMS_FILE = Path(__file__).resolve().parent.parent / "params.yaml"

RENAMED_KEYS = {knob.formerly: key for key, knob in KNOBS.items() if knob.formerly}        # old -> new
RENAMED_VALUES = {key: dict(knob.renamed_values) for key, knob in KNOBS.items() if knob.renamed_values}
UNTIL = "the old one is read until the next release"


def _flatten(tree, prefix=""):
    """Yield (dotted key, value) for every leaf; a dict whose key is a knob counts as a leaf."""
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and dotted not in KNOBS:
            yield from _flatten(value, dotted + ".")
        else:
            yield dotted, value


def _described(value) -> str:
    """A value as a message names it, its YAML type included: "the string '8'", "the number 2.5"."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    return f"{kind(type(value))} {value!r}" if isinstance(value, (list, dict)) else repr(value)


def _is(value, types) -> bool:
    """isinstance, but a YAML true/false is not a number: only keys that name bool take it."""
    named = types if isinstance(types, tuple) else (types,)
    return isinstance(value, types) and (not isinstance(value, bool) or bool in named)


def _finite(value) -> bool:
    """No nan or inf anywhere in a value: YAML reads `.nan` and `.inf` as floats, and no knob means them."""
    return all(map(_finite, value)) if isinstance(value, list) else not isinstance(value, float) or math.isfinite(value)


def _too_large(value) -> bool:
    """A number (alone or in a list) beyond MAX_WHOLE."""
    return any(map(_too_large, value)) if isinstance(value, list) else _is(value, NUMBER) and value > MAX_WHOLE


def key_renamed(old: str, new: str) -> str:
    """How a renamed key is said, by the check and by the check stage's rename in the file."""
    return f"'{old}' is now called '{new}'"


def value_renamed(key: str, old: str, new: str) -> str:
    """How a renamed value is said, by the check and by the check stage's rename in the file."""
    return f"'{key}: {old}' is now '{key}: {new}'"


def _group(params: dict, dotted: str) -> dict | None:
    """The mapping at the dotted key `dotted` ('' for the top), or None where there is no mapping."""
    node = params
    for part in dotted.split(".") if dotted else []:
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def upgraded(params: dict, source: str = "params.yaml") -> tuple[dict, list[str]]:
    """A copy of `params` with every old key and value renamed (in place in its group, keeping the
    order), and a line per rename; ParamsError when a group holds both a key's old and new names."""
    params, notes = copy.deepcopy(params), []
    for old, new in RENAMED_KEYS.items():
        parent, _, leaf = old.rpartition(".")
        node = _group(params, parent)
        if node is None or leaf not in node:
            continue
        new_leaf = new.rpartition(".")[2]
        if new_leaf in node:
            raise ParamsError(f"{source}: '{old}' is the old name of '{new}', and both are given: remove '{old}'.")
        items = [(new_leaf if name == leaf else name, value) for name, value in node.items()]
        node.clear()
        node.update(items)
        notes.append(key_renamed(old, new))
    for key, renames in RENAMED_VALUES.items():
        parent, _, leaf = key.rpartition(".")
        node = _group(params, parent)
        value = node.get(leaf) if node is not None else None
        if isinstance(value, str) and value in renames:
            node[leaf] = renames[value]
            notes.append(value_renamed(key, value, renames[value]))
    return params, notes


def check_params(params: dict, source: str = "params.yaml") -> dict:
    """Raise ParamsError for the first problem found in `params`; return them, old names renamed (each
    rename said on stderr)."""
    if not isinstance(params, dict):
        raise ParamsError(f"{source}: expected a mapping of parameter groups, got {type(params).__name__}")
    params, notes = upgraded(params, source)
    for note in notes:
        print(f"{source}: {note}; {UNTIL} (the check stage of `dvc repro` renames it in the file).", file=sys.stderr)
    seen = dict(_flatten(params))
    for key in seen:
        if key not in KNOBS:
            close = difflib.get_close_matches(key, KNOBS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ParamsError(f"{source}: unknown key '{key}'{hint}. "
                              "Every key is listed in the params reference of README.md.")
    for key, knob in KNOBS.items():
        if key not in seen:
            raise ParamsError(f"{source}: missing key '{key}'. Add it back (see README.md, params reference).")
        value, rule = seen[key], knob.rule
        if not _is(value, rule.types):
            unquoted = isinstance(value, str) and _is(yaml.load(value, _Loader), rule.types)
            raise ParamsError(f"{source}: '{key}' is {_described(value)}; it must be {expected(rule)}."
                              + (" Remove the quotes." if unquoted else ""))
        if not _finite(value):
            raise ParamsError(f"{source}: '{key}' is {value!r}; it must be {expected(rule)}, and finite "
                              "(.nan and .inf are not values of any knob).")
        if rule.check is not None and not rule.check(value):
            raise ParamsError(f"{source}: '{key}' is {value!r}; it must be {rule.says or kind(rule.types)}.")
        if _too_large(value):
            raise ParamsError(f"{source}: '{key}' is {value!r}; no number here may exceed {MAX_WHOLE:,} "
                              "(beyond it TensorFlow's int32 sizes and float32 arithmetic overflow).")
    return params


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


def load_settings(cls, path: str | Path = PARAMS_FILE):
    """Read and check the whole params file, then return the settings object `cls`."""
    return settings_from(cls, load_params(path))


def params_file_here() -> Path:
    """`params.yaml` in the working directory, else the project's own: where the commands that also
    run outside DVC (`python -m scrapers`, `python -m pipeline.clean --page`) read their settings."""
    return PARAMS_FILE if PARAMS_FILE.is_file() else PROJECT_PARAMS_FILE
