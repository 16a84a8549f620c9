"""A checker of the uniform script format (`common/script.py`), for the tests: what keeps a text
from being in that format. It is written from the format's definition, not from the parsers, so
that the parsers' output is checked against something independent of them."""
from __future__ import annotations

import re

from common.script import BRACKETS, close_brackets, script_blocks
from scrapers.decode import remove_invisible

_CUE_LINE = re.compile(r"^[^a-z\s()\[\]{}][^a-z()\[\]{}]*?( \(.*\))?$")


def format_problems(script: str) -> list[str]:
    """What keeps `script` from being in the uniform format (empty when it is): each block must be
    a speech (a cue line, then one line of dialogue) or one bracketed line, with no markup, no
    control characters and no stray spaces."""
    problems = []
    if script and (not script.endswith("\n") or script.endswith("\n\n")):
        problems.append("the text must end with exactly one newline")
    if re.search(r"<[a-zA-Z/!]", script):
        problems.append("HTML markup left")
    if remove_invisible(script) != script or "\t" in script or "\r" in script:
        problems.append("control characters left")
    for block in script_blocks(script):
        lines = block.split("\n")
        if any(line != line.strip() or not line for line in lines):
            problems.append(f"blank or padded line in {block!r}")
        elif len(lines) == 2 and not _CUE_LINE.match(lines[0]):
            problems.append(f"not a cue: {lines[0]!r}")
        elif len(lines) == 1 and not (lines[0].startswith(BRACKETS) and close_brackets(lines[0]) == lines[0]):
            problems.append(f"neither a speech nor a bracketed line: {lines[0]!r}")
        elif len(lines) > 2:
            problems.append(f"block of {len(lines)} lines: {block!r}")
    return problems
