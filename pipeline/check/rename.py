"""A knob's old name or value in params.yaml, renamed in the file itself, every other byte kept.

In:  the text of a params file.
Out: `renamed(text)`: the text with each old key (`train.sample_every`: `RENAMED_KEYS` of
     common/params.py) and old value (`scrape.source: sample`: `RENAMED_VALUES`) replaced by the new
     one, and a line per rename. Only those words change: comments, order, quotes, indentation and
     blank lines stay as they were. A group holding both a key's old and new names is left alone (the
     check then refuses it, naming both).

The words are found by YAML's own parser (the position of every key and value it reads), so a
comment or a string that merely contains an old name is never touched.
"""
from __future__ import annotations

import yaml

from common.params import RENAMED_KEYS, RENAMED_VALUES, key_renamed, value_renamed


def _edits(node, prefix: str = "") -> list[tuple[int, int, str, str]]:
    """(start, end, new text, note) for every old key and value under the mapping `node`."""
    if not isinstance(node, yaml.MappingNode):
        return []
    names = {key.value for key, _ in node.value if isinstance(key, yaml.ScalarNode)}
    edits = []
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        dotted = prefix + key.value
        new = RENAMED_KEYS.get(dotted)
        if new and new.rpartition(".")[2] not in names:
            edits.append((key.start_mark.index, key.end_mark.index, new.rpartition(".")[2], key_renamed(dotted, new)))
            dotted = new
        renames = RENAMED_VALUES.get(dotted, {})
        if isinstance(value, yaml.ScalarNode) and value.tag == "tag:yaml.org,2002:str" and value.value in renames:
            edits.append((value.start_mark.index, value.end_mark.index, renames[value.value],
                          value_renamed(dotted, value.value, renames[value.value])))
        edits += _edits(value, dotted + ".")
    return edits


def renamed(text: str) -> tuple[str, list[str]]:
    """`text` with the old names and values renamed, and what was renamed; unchanged when it is not YAML."""
    try:
        root = yaml.compose(text, yaml.SafeLoader)
    except yaml.YAMLError:
        return text, []  # the check names the problem
    edits = sorted(_edits(root))
    for start, end, new, _ in reversed(edits):
        text = text[:start] + new + text[end:]
    return text, [note for *_, note in edits]
