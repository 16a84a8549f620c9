"""How much a text reads like the show: three shares, read against the training text.

In:  the training text (`train.txt`, in the uniform script format of `common/script.py`), read once
     into a `Reference`; then any text to score (a sample, or a slice of `val.txt` of the same length).
Out: `score(text)`: a dict of
     - `known_words`: the share of the text's words found among the training text's words. A word is a
       run of letters, with apostrophes inside it ("don't"), case-folded; a word touching either end of
       the text is left out (it may be cut);
     - `known_speakers`: the share of the text's speaker cues whose speaker (the cue without its
       parenthetical) is a speaker of a cue in the training text;
     - `well_formed_lines`: the share of the text's non-empty lines that are a script line in the
       uniform format (below); the first and the last line are read for context only (either may be cut);
     with the counts they are shares of (`words`, `cues`, `lines`); a share of nothing is null.

The line rules, from the format: a block is a speech (a cue line, then one line of dialogue) or a single
bracketed line, and blocks are separated by one blank line. So, walking the lines, at a block's start
(after a blank line) a line is well formed if it is bracketed (`[...]`, `(...)` or `{...}`), or if it
is a cue (a name with a letter and no lower case, then at most a parenthetical) followed by a non-empty
line, its dialogue; the dialogue line is well formed if it is tidy. Any other line, a third line in a
block included, is not. Every well-formed line is also tidy: no spaces at either end, no run of spaces.
"""
from __future__ import annotations

import re

from common.script import BRACKETS, clean_line, speaker_name, speeches

WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_CLOSING = dict(zip(BRACKETS, ("]", ")", "}")))


def words(text: str) -> list[str]:
    """The case-folded words of a text, those touching either end of it left out."""
    return [match.group().casefold() for match in WORD.finditer(text)
            if match.start() > 0 and match.end() < len(text)]


def is_bracketed(line: str) -> bool:
    """A scene, marker, direction or note line: opened and closed by the same kind of bracket."""
    return len(line) >= 2 and _CLOSING.get(line[0]) == line[-1]


def is_cue(line: str) -> bool:
    """A cue line's shape: an upper-case name with a letter, then at most one parenthetical."""
    name = speaker_name(line)
    rest = line[len(name):].strip() if line.startswith(name) else None
    return (bool(name) and not line.startswith(BRACKETS) and name == name.upper()
            and any(char.isalpha() for char in name)
            and (rest == "" or (rest is not None and rest.startswith("(") and rest.endswith(")"))))


def judge_lines(text: str) -> tuple[list[bool], list[str]]:
    """Whether each non-empty line but the first and the last is well formed, and the cue lines among
    them (the rules are in the module docstring)."""
    lines = text.split("\n")
    judged, cues = [], []
    expect = "start"  # what the next non-empty line may be: a block's start, a dialogue, nothing
    for index, line in enumerate(lines):
        if not line:
            expect = "start"
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if expect == "start" and is_bracketed(line):
            good, expect = True, "nothing"
        elif expect == "start" and is_cue(line) and following:
            good, expect = True, "dialogue"
            if 0 < index < len(lines) - 1:
                cues.append(line)
        else:
            good, expect = expect == "dialogue", "nothing"
        if 0 < index < len(lines) - 1:
            judged.append(good and line == clean_line(line))
    return judged, cues


def _share(hits: int, total: int):
    return round(hits / total, 4) if total else None


class Reference:
    """The training text's words and speakers, read once (train.txt can be megabytes)."""

    def __init__(self, train_text: str):
        self.words = set(match.group().casefold() for match in WORD.finditer(train_text))
        self.speakers = {speaker_name(cue) for cue in speeches(train_text)}

    def score(self, text: str) -> dict:
        """The three shares of `text` (module docstring) and what they count."""
        found = words(text)
        judged, cues = judge_lines(text)
        return {
            "known_words": _share(sum(word in self.words for word in found), len(found)),
            "known_speakers": _share(sum(speaker_name(cue) in self.speakers for cue in cues), len(cues)),
            "well_formed_lines": _share(sum(judged), len(judged)),
            "words": len(found), "cues": len(cues), "lines": len(judged),
        }
