"""Read the lines of an IMSDb script (a typed screenplay) into blocks of the uniform format.

In:  the script's lines (`Line`: text, leading bold part, the rest, indent), as `parse.py` cuts them.
Out: `ScriptReader(lines).read()` -> the blocks, for `common.script.render_script`.

How the lines are read (docs/sites.md §2.6):
- a line that starts in `<b>` is a cue, unless it is a scene heading (`INT.`/`EXT.`, scene numbers
  dropped → `[Scene: INT. KITCHEN - NIGHT]`), a transition (`[CUT TO:]`) or too long to be a name;
- after a cue, `(...)` lines before the first spoken line join the cue (`STAN (whispering)`),
  then the spoken lines, up to a blank line or a line indented less (action resuming), are the
  speech, joined into one line; "(CONT'D)" is dropped from cues, and a speech cut by a page break
  ("(MORE)", then "NAME (CONT'D)") is joined up again;
- any other paragraph is a stage direction, in parentheses; a bold line that heads no speech
  ("ACT ONE") is a marker in square brackets;
- a short title block before the first scene heading (show, episode title, "Written by") is
  skipped; so is, in any script, a first line in bold capitals that heads no speech (the title,
  as in IMSDb's Joker: it is the listing's title in episodes.json, not a marker of the text) with
  the credits right under it; reading stops at a "THE END" line.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from common.script import as_direction, as_marker, format_cue, is_end_mark, speech_block

_SCENE_HEADING = re.compile(r"^(INT|EXT|I/E|INT\.?\s*/\s*EXT|EXT\.?\s*/\s*INT)\b\.?", re.IGNORECASE)
_SCENE_NUMBERS = re.compile(r"^(\d+[A-Z]?\s+)(.*?)(\s+\d+[A-Z]?)?$")
# Upper case only: "Iris" may well be a character.
_TRANSITION = re.compile(r"^((FADE|DISSOLVE|IRIS|WIPE)\s+(IN|OUT|TO)\b.*"
                         r"|((SMASH|MATCH|JUMP|QUICK)\s+)?CUT\s+(TO|BACK)\b.*|.*\bTO:|FADE\s+(IN|OUT)\W*)$")
_CONTINUED_IN_CUE = re.compile(r"\s*\((cont'?d?|continuing|continued)\)", re.IGNORECASE)
_LONGEST_CUE = 50
# "Written by", "Screenplay by Ann Lee", "by": the credits under a title.
_CREDIT = re.compile(r"^((written|screenplay|teleplay|story|script)\b.*\bby|by)\b", re.IGNORECASE)
_LONGEST_TITLE_BLOCK = 20  # non-blank lines


@dataclass
class Line:
    text: str          # the whole line, tidied
    bold: str          # the leading bold part ("" when the line does not start in bold)
    rest: str          # what follows the bold part on the same line
    indent: int        # columns of white space before the text


def _title_block_end(lines: list[Line]) -> int:
    """Index of the first scene heading when only a short title block (show, episode title,
    credits) comes before it; else 0, so a script without headings loses nothing."""
    non_blank = 0
    for index, line in enumerate(lines):
        if _SCENE_HEADING.match(_without_scene_numbers(line.text)):
            return index
        non_blank += bool(line.text)
        if non_blank > _LONGEST_TITLE_BLOCK:
            break
    return 0


def _title_end(lines: list[Line]) -> int:
    """Index after the script's title and the credits under it, when its first line is a title:
    bold capitals alone on their line, no heading or transition, heading no speech (the next line
    is bold or credits, or comes after a blank line as action would); else 0."""
    text_lines = [index for index, line in enumerate(lines) if line.text]
    if not text_lines:
        return 0
    title = lines[text_lines[0]]
    if (not title.bold or title.rest or title.text != title.text.upper() or not re.search("[A-Z]", title.text)
            or _SCENE_HEADING.match(_without_scene_numbers(title.text)) or _TRANSITION.match(title.text)):
        return 0
    plain_indents = {line.indent for line in lines if line.text and not line.bold}
    if len(text_lines) > 1:
        following, gap = lines[text_lines[1]], text_lines[1] > text_lines[0] + 1
        # as ScriptReader reads a cue: it speaks unless a blank line and then action follow it
        heads_nothing = gap and (len(plain_indents) < 2 or following.indent <= min(plain_indents))
        if not (following.bold or _CREDIT.match(following.text) or heads_nothing):
            return 0
    end, names_next = text_lines[0] + 1, False
    for index in text_lines[1:]:
        text = lines[index].text
        if not (_CREDIT.match(text) or names_next):
            break
        end, names_next = index + 1, bool(_CREDIT.match(text)) and text.lower().endswith("by")
    return end


def _without_scene_numbers(text: str) -> str:
    match = _SCENE_NUMBERS.match(text)
    return match.group(2) if match and _SCENE_HEADING.match(match.group(2)) else text


def _paragraph(text: str) -> str:
    """An action paragraph (or a bold line that is no cue) as a block of the uniform format."""
    heading = _without_scene_numbers(text)
    if _SCENE_HEADING.match(heading):
        return f"[Scene: {heading}]"
    return as_marker(text) if _TRANSITION.match(text) else as_direction(text)


class ScriptReader:
    """Turns the lines of a script into blocks; one instance reads one page."""

    def __init__(self, lines: list[Line]):
        self.lines = lines[_title_block_end(lines) or _title_end(lines):]
        plain_indents = Counter(line.indent for line in self.lines if line.text and not line.bold)
        # Dialogue is indented deeper than action; on a page without indentation, a blank line
        # after a cue means it heads no speech.
        self.action_indent = min(plain_indents, default=0)
        self.indented = len(plain_indents) > 1
        self.blocks: list[str] = []
        self.cue: str | None = None
        self.cue_parenthetical = ""
        self.speech: list[str] = []
        self.speech_indent = 0
        self.gap_after_cue = False
        self.action: list[str] = []

    def read(self) -> list[str]:
        for line in self.lines:
            if is_end_mark(line.text):
                break
            if line.bold:
                self._bold_line(line)
            elif line.text:
                self._plain_line(line)
            elif self.cue is not None and not self.speech:
                self.gap_after_cue = True  # "CUE", a blank line, then the speech
            else:
                self._finish_speech()
                self._finish_action()
        self._finish_speech()
        self._finish_action()
        return self.blocks

    def _bold_line(self, line: Line) -> None:
        self._finish_speech()
        self._finish_action()
        bold = line.bold
        if _SCENE_HEADING.match(_without_scene_numbers(bold)):
            self.blocks.append(_paragraph(line.text))  # a heading may run on past its bold part
            return
        if _TRANSITION.match(bold) or len(bold) > _LONGEST_CUE or not re.search("[A-Za-z]", bold):
            self.blocks.append(_paragraph(bold))
            if line.rest:
                self.action.append(line.rest)
            return
        self.cue = bold
        if line.rest.startswith("("):
            self.cue_parenthetical = line.rest
        elif line.rest:
            self.speech.append(line.rest)
            self.speech_indent = line.indent

    def _plain_line(self, line: Line) -> None:
        if self.cue is None:
            self.action.append(line.text)
            return
        if not self.speech:
            parenthetical_open = self.cue_parenthetical.count("(") > self.cue_parenthetical.count(")")
            if parenthetical_open or line.text.startswith("("):
                self.cue_parenthetical = f"{self.cue_parenthetical} {line.text}"
                return
            if self.gap_after_cue and (not self.indented or line.indent <= self.action_indent):
                self._finish_speech()  # the cue heads nothing: action follows it
                self.action.append(line.text)
                return
            self.speech_indent = line.indent
        elif self.indented and line.indent < self.speech_indent - 3:
            # Less indented than the speech: action resumes without a blank line between.
            self._finish_speech()
            self.action.append(line.text)
            return
        self.speech.append(line.text)

    def _finish_speech(self) -> None:
        if self.cue is None:
            return
        raw_cue = f"{self.cue} {self.cue_parenthetical}"
        cue = format_cue(_CONTINUED_IN_CUE.sub("", raw_cue))
        if not self.speech:
            self.blocks.append(as_marker(raw_cue))  # a bold line that heads no speech ("ACT ONE")
        elif _CONTINUED_IN_CUE.search(raw_cue) and self.blocks and self.blocks[-1].startswith(cue + "\n"):
            # "(MORE)" at a page break, then "NAME (CONT'D)": one speech.
            self.blocks[-1] = speech_block(cue, f"{self.blocks[-1][len(cue) + 1:]} {' '.join(self.speech)}")
        else:
            self.blocks.append(speech_block(cue, " ".join(self.speech)))
        self.cue, self.cue_parenthetical, self.speech, self.speech_indent = None, "", [], 0
        self.gap_after_cue = False

    def _finish_action(self) -> None:
        if self.action:
            self.blocks.append(_paragraph(" ".join(self.action)))
            self.action = []
