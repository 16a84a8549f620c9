"""The uniform script format shared by both transcript parsers, and ASCII folding.

In:  text pieces taken from parsed pages (already decoded, see `pipeline/decode.py`).
Out: tidy lines, cue lines, blocks rendered in the uniform format, and ASCII-folded text.

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

import functools
import re
import unicodedata
from collections import Counter

from pipeline.decode import remove_invisible

BRACKETS = ("[", "(", "{")


def clean_line(text: str) -> str:
    """One tidy line: any run of white space (newlines and non-breaking spaces included) turned
    into one space, nothing at either end. (Control characters are dropped as text is read from
    the page, by `pipeline.markup`.)"""
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


# Typographic characters NFKD leaves alone (or decomposes into non-ASCII), mapped by hand.
_ASCII_PUNCTUATION = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u02bc": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2039": "'", "\u203a": "'",
    "\u2013": "-", "\u2012": "-", "\u2010": "-", "\u2011": "-", "\u2212": "-",
    "\u2014": "--", "\u2015": "--",
    "\u2026": "...", "\u00a0": " ", "\u2022": "*", "\u00b7": "*", "\u2044": "/",
    "\u00bf": "?", "\u00a1": "!", "\u00d7": "x", "\u00df": "ss", "\u00e6": "ae", "\u00c6": "AE",
    "\u0153": "oe", "\u0152": "OE", "\u00f8": "o", "\u00d8": "O", "\u0142": "l", "\u0141": "L",
})


@functools.lru_cache(maxsize=None)
def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char.translate(_ASCII_PUNCTUATION))
    without_marks = "".join(part for part in decomposed if not unicodedata.combining(part))
    # NFKD can bring new typographic characters in (e.g. ½ → 1⁄2), so translate once more.
    return without_marks.translate(_ASCII_PUNCTUATION)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def fold_to_ascii(text: str) -> str:
    """Fold typographic punctuation and accented letters to ASCII (’ → ', — → --, é → e).
    Characters with no ASCII form are left in place; `to_ascii` drops them."""
    if text.isascii():
        return text
    return _NON_ASCII.sub(lambda match: _fold_char(match.group()), text)


def to_ascii(script: str) -> tuple[str, Counter]:
    """A script folded to ASCII, minus the characters that have no ASCII form (returned with
    their counts), re-tidied."""
    folded = fold_to_ascii(script)
    if folded.isascii():
        return folded, Counter()
    dropped = Counter(char for char in folded if not char.isascii())
    return tidy_script(folded.translate(dict.fromkeys(map(ord, dropped)))), dropped


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
