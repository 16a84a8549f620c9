"""How a knob of params.yaml is declared: its key, what its value must be, what it means, how training treats it.

In:  one declaration per settings field (`common/settings.py`), e.g.
     `dropout: float = knob("train.dropout", FRACTION, "dropout after each LSTM layer, while training")`.
Out: `Knob` records on the fields' metadata: `knobs_in(classes)` collects them, each key once, for the
     check (`common/params.py`), the command lines' options (`common/arguments.py`), training's resume
     rules (`flagged`) and the README's params reference (`common/reference.py`).

A field either declares a knob (`knob`), reads one declared on another stage's settings (`shared`: a
key several stages read is declared once), or holds a nested group (`group`). A knob's `Rule` says what
a value must be; ranges have upper ends (durations at most a DAY, retries MAX_RETRIES, any other number
MAX_WHOLE), so no arithmetic downstream overflows. A renamed knob keeps its old name (`formerly`) and
old values (`renamed_values`) for one release: the check reads them and says the new ones.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable

DAY = 86_400            # seconds: no delay, timeout or deadline of a scrape is meant to be longer
MAX_RETRIES = 10        # each waits twice the one before (scrapers/http.py): 10 wait 17 min, 1100 overflow
MAX_WHOLE = 2**31 - 1   # TensorFlow's int32 sizes; seeds too (NumPy and Keras take [0, 2**32))
NUMBER = (int, float)


class ParamsError(ValueError):
    """A params file that cannot be used as it is; the message names the file and the key."""


@dataclass(frozen=True)
class Rule:
    """What a value must be: its YAML types, and a check with what it demands in words (`says`)."""
    types: type | tuple[type, ...]
    check: Callable[[Any], bool] | None = None
    says: str = ""

    def noting(self, note: str) -> Rule:
        """The same rule, its words followed by `(note)`: what a special value such as 0 means."""
        return replace(self, says=f"{self.says} ({note})")


def one_of(*choices) -> Rule:
    """A string among `choices`: 'a, b or c'."""
    return Rule(str, lambda value: value in choices, ", ".join(choices[:-1]) + f" or {choices[-1]}")


def _numbers(value) -> bool:
    return (isinstance(value, list) and bool(value)
            and all(isinstance(t, NUMBER) and not isinstance(t, bool) and t >= 0 for t in value))


POSITIVE = Rule(int, lambda v: v > 0, "> 0")
COUNT = Rule(int, lambda v: v >= 0, ">= 0")
RATE = Rule(NUMBER, lambda v: v > 0, "> 0")
FRACTION = Rule(NUMBER, lambda v: 0 <= v < 1, "in [0, 1)")
SHARE = Rule(NUMBER, lambda v: 0 <= v <= 1, "in [0, 1]")
SECONDS = Rule(NUMBER, lambda v: 0 <= v <= DAY, f"in [0, {DAY}] (seconds; at most a day)")
URL = Rule(str, lambda v: v.startswith(("http://", "https://")), "an http(s) URL")
SWITCH = Rule(bool)
TEXT = Rule(str)
TEMPERATURES = Rule(list, _numbers, "a non-empty list of numbers >= 0")


@dataclass(frozen=True)
class Knob:
    key: str                    # dotted, as in params.yaml: "train.dropout"
    rule: Rule
    meaning: str                # one line, for the README's params reference and the commands' --help
    resumes: bool = False       # train: a changed value resumes a run's checkpoint (not part of what the weights are)
    shape: bool = False         # train: a changed value makes a model of another shape
    formerly: str | None = None           # the key's old name, read for one release
    renamed_values: tuple = ()            # (old, new) values, read for one release


def knob(key: str, rule: Rule, meaning: str, **declared) -> Any:
    """A settings field that declares the knob `key` (declared: resumes, shape, formerly, renamed_values)."""
    if "renamed_values" in declared:
        declared["renamed_values"] = tuple(declared["renamed_values"].items())
    return field(metadata={"knob": Knob(key, rule, meaning, **declared)})


def shared(key: str) -> Any:
    """A settings field that reads the knob `key`, declared on another stage's settings."""
    return field(metadata={"key": key})


def group(cls) -> Any:
    """A settings field holding the settings object `cls` (a nested group such as `scrape.imsdb`)."""
    return field(metadata={"group": cls})


def key_of(item) -> str | None:
    """The dotted key a dataclass field reads, or None for a group."""
    declared = item.metadata.get("knob")
    return declared.key if declared else item.metadata.get("key")


def keys_of(cls) -> list[str]:
    """The dotted params.yaml keys the settings object `cls` reads, nested groups included."""
    keys = []
    for item in fields(cls):
        keys += keys_of(item.metadata["group"]) if "group" in item.metadata else [key_of(item)]
    return keys


def knobs_in(classes) -> dict[str, Knob]:
    """Every knob declared on `classes` and their groups, by key, in declaration order; raises ValueError for
    a key declared twice, a `shared` key declared nowhere, or an old name that moves a knob to another group."""
    found, wanted = {}, set()

    def visit(cls):
        for item in fields(cls):
            declared = item.metadata.get("knob")
            if "group" in item.metadata:
                visit(item.metadata["group"])
            elif declared is None:
                wanted.add(item.metadata["key"])
            elif declared.key in found:
                raise ValueError(f"'{declared.key}' is declared twice: declare it once, and shared() elsewhere")
            elif declared.formerly and declared.formerly.rpartition(".")[0] != declared.key.rpartition(".")[0]:
                raise ValueError(f"'{declared.key}' was '{declared.formerly}': a renamed knob stays in its group")
            else:
                found[declared.key] = declared
    for cls in classes:
        visit(cls)
    if wanted - set(found):
        raise ValueError(f"shared() keys declared nowhere: {sorted(wanted - set(found))}")
    return found


def flagged(cls, flag: str) -> tuple[str, ...]:
    """The names of the fields of `cls` whose knob is declared with `flag` (resumes, shape)."""
    return tuple(item.name for item in fields(cls) if getattr(item.metadata.get("knob"), flag, False))


_KINDS = {bool: "true or false", int: "a whole number", str: "a string", list: "a list", dict: "a mapping"}


def kind(types) -> str:
    """What a value of `types` is called in a message: `NUMBER` is 'a number'."""
    if types == NUMBER:
        return "a number"
    return _KINDS.get(types, types.__name__) if isinstance(types, type) else " or ".join(map(kind, types))


def expected(rule: Rule) -> str:
    """What a value must be, type first: 'a whole number > 0', 'a non-empty list of ...'."""
    if not rule.says or rule.types is str:
        return rule.says or kind(rule.types)
    return rule.says if rule.says.startswith(("a ", "an ")) else f"{kind(rule.types)} {rule.says}"


def lookup(params: dict, dotted: str):
    """The value of a dotted key of checked params."""
    node = params
    for part in dotted.split("."):
        node = node[part]
    return node
