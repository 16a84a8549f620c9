"""Parse a livesinabox "Crazy For Friends" episode page into the uniform script format.

In:  the exact bytes of an episode page (`seasonN/*.htm(l)` or the season-10 `10NN.shtml`).
Out: `transcript_text(html_bytes) -> str`, the script in the format of `common/script.py`
     ("" when the page holds none).

The pages use at least six speaker markups and often mis-nest their tags, so speakers are found by
a pattern on the *text* of each logical line, never from the tag structure (docs/sites.md §3.2, §3.3):

1. The page is cut into logical lines: a new line at every block element (`<p>`, `<div>`, ...),
   at every `<br>` and `<hr>`; newlines in the source are spaces. Blue "uncut" text is just text.
2. Only the transcript region is kept: after the "Written by" credits (and the `<hr>` under them),
   or after the first `<hr>` when there are no credits; up to the first "End"/"THE END" line or the
   site footer. This keeps the season-10 navigation ("Friends", "Pictures", "Donate") out.
3. Each line is then a speech (`Name: text`, `NAME: text`, `Name (to Ross): text`), a bracketed
   line kept as it is (`[Scene: ...]`, `(...)`, `{...}`), a credits line (dropped), a marker
   ("Commercial Break" → `[Commercial Break]`), or more of the speech above (a speech goes on
   past a `<br>` or a new paragraph until something else starts).
   A name in bold may be any short phrase; an untagged one must look like a name (upper case,
   capitalised words joined by "and", "&", "/" ..., or "Chandler's dad") so that "Here's the
   thing: ..." is not a cue.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from scrapers.decode import decode_page
from scrapers.markup import html_events, styled_lines
from common.script import (BRACKETS, as_marker, clean_line, close_brackets, format_cue, is_end_mark,
                           render_script, speech_block)

_SPEAKER = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9 .'/&#,-]{0,60}?)\s*(?P<paren>\([^)]*\))?\s*:\s*")
_NAME_WORD = re.compile(r"^([A-Z0-9#][A-Za-z0-9.'#-]*|[A-Z]?[a-z]?\.?)$")
_JOINING_WORDS = frozenset(
    "and or & / of the to at with except almost simultaneously both all in on from de van von".split())
_LONGEST_UNTAGGED_NAME = 6  # words
# "Chandler's dad", "Joey's date": a possessive and one or two words, but not "Here's the thing".
_POSSESSIVE_NAME = re.compile(r"^[A-Z][a-z]+'s( [a-z]+){1,2}$")
_CONTRACTIONS = frozenset("here's there's what's that's it's let's who's he's she's where's how's why's".split())
# Words before a colon that do not name a character.
_NOT_A_SPEAKER = re.compile(
    r"^(notes?|transcriber'?s?\s+notes?|commercial\s+break|opening\s+credits|closing\s+credits|"
    r"time\s+lapse|p\.?\s?s\.?|copyright.*|disclaimer|episode.*|season.*|part\s+\w+|scene\s+\d+|"
    r"original\s+air\s*date|air\s*date|aired)(\s*\d+)?$", re.IGNORECASE)
_CREDITS = re.compile(
    r"^[(\[]?\s*(with\s+)?(minor\s+)?(additional\s+|original(ly)?\s+|final\s+)?"
    r"(written|teleplay|story|transcri\w*|adjust\w*|check\w*|edit\w*|proofread\w*|format\w*|correct\w*|html|"
    r"converted|directed|typed|spell[- ]?check\w*)(\s+and\s+\w+)?\s+by\b"
    r"|^[(\[]?\s*note:.*\b(uncut|unseen)\b", re.IGNORECASE)
# Whole lines only: "Act natural." goes on a speech, "Act Two" does not.
_MARKER = re.compile(r"^((opening|closing|end)\s+credits|commercial\s+break|time\s+lapse|(cut|fade)\s+to\b.*"
                     r"|act\s+(one|two|three|four|five|[ivx]+|\d+)|part\s+(one|two|three|[ivx]+|\d+))\W*$",
                     re.IGNORECASE)
_FOOTER = re.compile(r"best viewed at|crazy for friends is|all rights reserved", re.IGNORECASE)
_SCENE = re.compile(r"^scene\s*:\s*", re.IGNORECASE)


@dataclass
class _Line:
    text: str
    bold: bool = False   # the line starts in <b>/<strong>
    rule: bool = False   # an <hr>


def transcript_text(html_bytes: bytes) -> str:
    """The script text of a livesinabox episode page, in the uniform format ("" if none)."""
    return render_script(_blocks(_transcript_region(_logical_lines(html_events(decode_page(html_bytes))))))


def _logical_lines(events: list[tuple]) -> list[_Line]:
    # A newline in the HTML source is a space: only tags end a line.
    events = [(kind, value.replace("\n", " "), attrs) if kind == "text" else (kind, value, attrs)
              for kind, value, attrs in events]
    lines: list[_Line] = []
    for pieces, ended_by in styled_lines(events):
        text = clean_line("".join(piece for piece, _ in pieces))
        if text:
            lines.append(_Line(text, bold=next(bold for piece, bold in pieces if piece.strip())))
        if ended_by == "hr":
            lines.append(_Line("", rule=True))
    return lines


def _transcript_region(lines: list[_Line]) -> list[_Line]:
    """The lines between the credits (or first rule) and the end mark (or footer)."""
    credits = next((index for index, line in enumerate(lines) if _CREDITS.match(line.text)), None)
    if credits is not None:
        start = credits + 1
        for index in range(credits + 1, len(lines)):
            if lines[index].rule:
                start = index + 1
                break
            if _speaker(lines[index]) and not _CREDITS.match(lines[index].text):
                break  # no rule under the credits: the transcript has begun
    else:
        start = next((index + 1 for index, line in enumerate(lines) if line.rule), 0)
    end = next((index for index in range(start, len(lines))
                if is_end_mark(lines[index].text) or _FOOTER.search(lines[index].text)), len(lines))
    return lines[start:end]


def _looks_like_a_name(name: str) -> bool:
    if name.upper() == name:
        return True
    if _POSSESSIVE_NAME.match(name):
        return name.split()[0].lower() not in _CONTRACTIONS
    words = name.replace("/", " / ").split()
    return (len(words) <= _LONGEST_UNTAGGED_NAME and name[0].isupper()
            and all(word.lower() in _JOINING_WORDS or _NAME_WORD.match(word) for word in words))


def _speaker(line: _Line) -> re.Match | None:
    """The `Name (paren):` at the start of a line that really is a speech, else None."""
    match = _SPEAKER.match(line.text)
    if match is None:
        return None
    name = match.group("name").strip()
    if _NOT_A_SPEAKER.match(name) or not (line.bold or _looks_like_a_name(name)):
        return None
    return match


def _is_note(text: str) -> bool:
    """ "Note: ...", "Commercial Break: ...": a colon, but no speaker before it."""
    match = _SPEAKER.match(text)
    return match is not None and bool(_NOT_A_SPEAKER.match(match.group("name").strip()))


def _unclosed(block: str) -> bool:
    return "\n" not in block and close_brackets(block) != block


def _is_line_start(text: str) -> bool:
    """A line that starts a block of its own whatever came before it."""
    return text.startswith(BRACKETS) or bool(_MARKER.match(text)) or _is_note(text)


def _blocks(lines: list[_Line]) -> list[str]:
    blocks: list[str] = []
    cue: str | None = None
    dialogue: list[str] = []

    def finish_speech():
        nonlocal cue, dialogue
        if cue is not None:
            blocks.append(speech_block(cue, " ".join(dialogue)))
        cue, dialogue = None, []

    for line in lines:
        text = line.text
        if line.rule or _CREDITS.match(text):
            continue
        scene = _SCENE.match(text)
        speaker = None if scene else _speaker(line)
        cue_alone = cue is not None and not "".join(dialogue)
        wrapped = cue is None and blocks and _unclosed(blocks[-1])
        if wrapped and not (speaker or scene or _is_line_start(text)):
            blocks[-1] = f"{blocks[-1]} {text}"  # a scene or direction wrapped over a <br>
        elif scene:
            finish_speech()
            blocks.append(f"[Scene: {text[scene.end():]}]")
        elif speaker:
            finish_speech()
            cue = format_cue(speaker.group("name"), speaker.group("paren") or "")
            dialogue = [text[speaker.end():]]
        elif text.startswith(BRACKETS) and not (cue_alone and text.startswith("(")):
            finish_speech()
            blocks.append(text)
        elif cue is None or _MARKER.match(text) or _is_note(text):
            finish_speech()
            blocks.append(as_marker(text))
        else:
            dialogue.append(text)  # the cue stood alone, or the speech goes on past a <br> or <p>
    finish_speech()
    return blocks
