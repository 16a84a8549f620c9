"""The uniform script format: what every site's parser returns, and what the corpus is made of.

In:  text pieces taken from parsed pages (already decoded, see `scrapers/decode.py`).
Out: tidy lines, cue lines, blocks rendered in the uniform format, and the speeches of a script.

The uniform script format (what every parser returns, and what the corpus is made of):

    [Scene: Central Perk, the gang is there.]

    MONICA
    There's nothing to tell! He's just some guy I work with!

    ROSS (to Rachel)
    Hi.

    (Joey and Chandler look at each other.)

    [Commercial Break]

A block is either a speech, two lines: the cue (the speaker's name in upper case, a parenthetical
beside it in its own case) and everything that speaker says, joined into one line; or a single
bracketed line: a scene heading or marker in `[...]`, a stage direction in `(...)`, a transcriber's
note in `{...}`. Blocks are separated by one blank line; lines end in LF with no spaces at either
end; the text ends with one newline (an empty script is "").
"""
from __future__ import annotations

import re

BRACKETS = ("[", "(", "{")


def clean_line(text: str) -> str:
    """One tidy line: any run of white space (newlines and non-breaking spaces included) turned
    into one space, nothing at either end. (Control characters are dropped as text is read from
    the page, by `scrapers.markup`.)"""
    return " ".join(text.split())


_END_MARK = re.compile(r"^[\[(]?\s*(THE\s+)?END\s*[.!]?\s*[\])]?$", re.IGNORECASE)


def is_end_mark(line: str) -> bool:
    """True for a line that closes a script: "End", "THE END", "[The End]" ..."""
    return bool(_END_MARK.match(line))


_CUE_PARTS = re.compile(r"^(?P<name>[^(]*?)\s*(?P<paren>\(.*\))?\s*:?\s*$", re.DOTALL)


def format_cue(name: str, parenthetical: str = "") -> str:
    """The cue line of a speech: the name in upper case, a trailing colon dropped, and a
    parenthetical (given separately, or inside `name`) kept in its own case beside it."""
    name = clean_line(name).rstrip(":").strip()
    match = _CUE_PARTS.match(name)
    if match and match.group("paren"):
        name, parenthetical = match.group("name"), f"{match.group('paren')} {parenthetical}"
    return clean_line(f"{name.upper()} {clean_line(parenthetical)}")


def speaker_name(cue: str) -> str:
    """The speaker of a cue line, without its parenthetical: "ROSS (to Rachel)" → "ROSS"."""
    return cue.split("(", 1)[0].strip()


def speech_block(cue: str, dialogue: str) -> str:
    """A speech block, or "" when nothing is said."""
    dialogue = clean_line(dialogue)
    return f"{clean_line(cue)}\n{dialogue}" if dialogue and cue.strip() else ""


def as_direction(text: str) -> str:
    """A stage direction on its own line: in parentheses unless it is bracketed already."""
    text = clean_line(text)
    return text if not text or text.startswith(BRACKETS) else f"({text})"


def as_marker(text: str) -> str:
    """A heading or marker ("Commercial Break", "CUT TO:") on its own line, in square brackets
    unless it is bracketed already."""
    text = clean_line(text)
    return text if not text or text.startswith(BRACKETS) else f"[{text}]"


_CLOSING = {"[": "]", "(": ")", "{": "}"}


def close_brackets(line: str) -> str:
    """A bracketed line whose opening bracket is never closed ("[Scene: Central Perk"), closed."""
    closing = _CLOSING.get(line[:1])
    return line + closing if closing and line.count(line[0]) > line.count(closing) else line


def render_script(blocks: list[str]) -> str:
    """Join blocks in the uniform format. A speech (two-line block) that lost its cue or its
    dialogue is dropped, as is any empty line, block or bracket pair; a bracketed line is closed
    if need be."""
    tidy_blocks = []
    for block in blocks:
        lines = [clean_line(line) for line in block.split("\n")]
        if len(lines) == 2 and not all(lines):
            continue
        lines = [line for line in lines if line]
        if len(lines) == 1:
            lines = [close_brackets(lines[0])]
            if not lines[0][1:-1].strip() and lines[0][0] in _CLOSING:
                continue  # "[]": its content was all dropped
        if lines:
            tidy_blocks.append("\n".join(lines))
    return "\n\n".join(tidy_blocks) + "\n" if tidy_blocks else ""


def script_blocks(text: str) -> list[str]:
    """The blocks of a script in the uniform format."""
    return [block for block in text.strip("\n").split("\n\n") if block]


def tidy_script(text: str) -> str:
    """Re-normalise a script after characters were removed from it (see render_script)."""
    return render_script(script_blocks(text))


def speeches(text: str):
    """Yield the cue line of every speech in a script in the uniform format."""
    for block in script_blocks(text):
        if "\n" in block:
            yield block.split("\n", 1)[0]
