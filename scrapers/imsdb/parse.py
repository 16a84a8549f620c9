"""Parse an IMSDb script page (TV `/transcripts/...` or movie `/scripts/...`) into the uniform format.

In:  the exact bytes of the page.
Out: `transcript_text(html_bytes) -> str`, the script in the format of `common/script.py`
     ("" when the page holds none).

Where the script is (docs/sites.md §2.5), first candidate with any text wins:
1. the `<pre>` in `td.scrtext` (the outer one when a `pre` is nested in a `pre`, as happens with the
   embedded mini-document `<html><head><script>...<title>...</head><pre>`), up to its `</pre>`;
2. `td.scrtext` without a `pre`: its text up to the details table that follows the script;
3. the first `<pre>` on the page.
An unclosed `pre` ends at the details table. Comments (the frame-buster), scripts and titles never
reach this module (see `scrapers/markup.py`); scanner and formatter credits, URLs, "Back to IMSDb",
page numbers, "(MORE)" and "CONTINUED" lines are dropped here.

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
  skipped; reading stops at a "THE END" line.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from scrapers.decode import decode_page
from scrapers.markup import BLOCK_TAGS, END, START, TEXT, has_class, html_events, styled_lines
from common.script import (as_direction, as_marker, clean_line, format_cue, is_end_mark, render_script,
                           speech_block)

_SCENE_HEADING = re.compile(r"^(INT|EXT|I/E|INT\.?\s*/\s*EXT|EXT\.?\s*/\s*INT)\b\.?", re.IGNORECASE)
_SCENE_NUMBERS = re.compile(r"^(\d+[A-Z]?\s+)(.*?)(\s+\d+[A-Z]?)?$")
# Upper case only: "Iris" may well be a character.
_TRANSITION = re.compile(r"^((FADE|DISSOLVE|IRIS|WIPE)\s+(IN|OUT|TO)\b.*"
                         r"|((SMASH|MATCH|JUMP|QUICK)\s+)?CUT\s+(TO|BACK)\b.*|.*\bTO:|FADE\s+(IN|OUT)\W*)$")
_CREDIT_LINE = re.compile(
    r"https?://|www\.|^back to imsdb$"
    r"|^\W*(scanned|formatted|formatting|converted|typed|proofread|ocr'?d?)\b.{0,40}\bby\b",
    re.IGNORECASE)
_NOISE_LINE = re.compile(r"^(\(?continued\)?:?(\s*\(\d+\))?|\(more\)|\(?cont'?d\)?\.?)$", re.IGNORECASE)
_PAGE_NUMBER = re.compile(r"^\d{1,3}\.?$")
_PAGE_NUMBER_INDENT = 40  # page numbers sit at the right margin; a "42." of dialogue does not
_CONTINUED_IN_CUE = re.compile(r"\s*\((cont'?d?|continuing|continued)\)", re.IGNORECASE)
_LONGEST_CUE = 50
_LONGEST_TITLE_BLOCK = 20  # non-blank lines
_SCRIPT_ENDS = {(START, "table"), (START, "td"), (START, "tr"), (END, "td"), (END, "tr"), (END, "table")}
_LINE_BREAK_TAGS = (BLOCK_TAGS - {"html", "head", "body", "pre"}) | {"br", "hr"}


@dataclass
class _Line:
    text: str          # the whole line, tidied
    bold: str          # the leading bold part ("" when the line does not start in bold)
    rest: str          # what follows the bold part on the same line
    indent: int        # columns of white space before the text


def transcript_text(html_bytes: bytes) -> str:
    """The script text of an IMSDb script page, in the uniform format ("" if none)."""
    for events in _candidate_regions(html_events(decode_page(html_bytes))):
        lines = _script_lines(events)
        if any(line.text for line in lines):
            return render_script(_ScriptReader(lines).read())
    return ""


def _until_script_ends(events: list[tuple], start: int) -> list[tuple]:
    """The events from `start` up to the first table or cell boundary (the details table)."""
    end = next((index for index in range(start, len(events)) if events[index][:2] in _SCRIPT_ENDS),
               len(events))
    return events[start:end]


def _first(events: list[tuple], tag: str, css_class: str = "") -> int | None:
    """The index of the first START event of `tag` (with `css_class`, if given)."""
    return next((index for index, (kind, name, attrs) in enumerate(events)
                 if kind is START and name == tag and (not css_class or has_class(attrs, css_class))), None)


def _pre_content(events: list[tuple]) -> list[tuple] | None:
    """The events inside the first `<pre>` of `events` (nested `pre`s included), or None."""
    start = _first(events, "pre")
    if start is None:
        return None
    depth = 0
    for index in range(start, len(events)):
        kind, tag, _ = events[index]
        if tag == "pre" and kind is not TEXT:
            depth += 1 if kind is START else -1
            if depth == 0:
                return events[start + 1:index]
    return events[start + 1:]


def _candidate_regions(events: list[tuple]):
    """Where the script may be, best first (see the module docstring)."""
    scrtext = _first(events, "td", "scrtext")
    if scrtext is not None:
        cell = _until_script_ends(events, scrtext + 1)
        pre = _pre_content(cell)
        if pre is not None:
            yield pre
        yield cell
    first_pre = _first(events, "pre")
    if first_pre is not None:
        yield _pre_content(_until_script_ends(events, first_pre))


def _script_lines(events: list[tuple]) -> list[_Line]:
    """The region's lines, without credits (made blank) and page furniture (removed)."""
    lines = []
    for pieces, _ in styled_lines(events, _LINE_BREAK_TAGS, break_on_end=False):
        line = _make_line(pieces)
        if _CREDIT_LINE.search(line.text):
            line = _Line("", "", "", 0)
        elif _NOISE_LINE.match(line.text) or (_PAGE_NUMBER.match(line.text) and line.indent >= _PAGE_NUMBER_INDENT):
            continue
        lines.append(line)
    return lines


def _make_line(pieces: list[tuple[str, bool]]) -> _Line:
    raw = "".join(text for text, _ in pieces).expandtabs()
    first = next((index for index, (text, _) in enumerate(pieces) if text.strip()), None)
    bold, rest = "", raw
    if first is not None and pieces[first][1]:
        end = first
        while end < len(pieces) and (pieces[end][1] or not pieces[end][0].strip()):
            end += 1
        bold = clean_line("".join(text for text, _ in pieces[first:end]))
        rest = "".join(text for text, _ in pieces[end:])
    indent = len(raw) - len(raw.lstrip())
    return _Line(text=clean_line(raw), bold=bold, rest=clean_line(rest), indent=indent)


def _title_block_end(lines: list[_Line]) -> int:
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


def _without_scene_numbers(text: str) -> str:
    match = _SCENE_NUMBERS.match(text)
    return match.group(2) if match and _SCENE_HEADING.match(match.group(2)) else text


def _paragraph(text: str) -> str:
    """An action paragraph (or a bold line that is no cue) as a block of the uniform format."""
    heading = _without_scene_numbers(text)
    if _SCENE_HEADING.match(heading):
        return f"[Scene: {heading}]"
    return as_marker(text) if _TRANSITION.match(text) else as_direction(text)


class _ScriptReader:
    """Turns the lines of a script into blocks; one instance reads one page."""

    def __init__(self, lines: list[_Line]):
        self.lines = lines[_title_block_end(lines):]
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

    def _bold_line(self, line: _Line) -> None:
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

    def _plain_line(self, line: _Line) -> None:
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
