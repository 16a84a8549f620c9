"""Parse an IMSDb transcript page into the uniform script format (see `pipeline/text.py`).

In: the exact bytes of a `/transcripts/<...>.html` (or `/scripts/<...>.html`) page.
Out: `transcript_text(html_bytes) -> str`, the script text ("" when the page holds none).

Where the text is: `td.scrtext pre` (the outer one when a `pre` is nested in a `pre`); else
`td.scrtext` without its details table; else the first `<pre>` on the page. Scripts, titles,
comments and the frame-buster snippet `<!-- ... if (window!= top) ... // -->` are removed first.

How the `pre` is read, line by line:
- a line that starts with `<b>` is a cue, unless it is a scene heading (`INT.`/`EXT.` ...), a
  transition (`CUT TO:`, `FADE OUT.`), or too long to be a name;
- scene headings become `[Scene: EXT. BUS STOP - MORNING]` (the same shape as Friends scenes);
- after a cue, `(...)` lines before the first spoken line join the cue (`STAN (whispering)`),
  then the spoken lines up to a blank line (or a line indented less, i.e. action) are the speech,
  joined into one line;
- any other paragraph is a stage direction, put in parentheses unless already bracketed;
  transitions and bold lines that head no speech ("ACT ONE") stay plain lines;
- a short title block before the first scene heading (show name, episode title, "Written by")
  is skipped; reading stops at a "THE END" line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, Comment, Tag

from pipeline.text import (clean_line, decode_page, format_cue, is_end_mark, render_script,
                           speech_block)

_FRAME_BUSTER = re.compile(r"<!--(?:(?!-->).)*?window\s*!=\s*top.*?//\s*(?:<[^>]*>\s*)*-->",
                           re.DOTALL | re.IGNORECASE)
_SCENE_HEADING = re.compile(r"^(INT|EXT|I/E|INT\.?\s*/\s*EXT|EXT\.?\s*/\s*INT)\b\.?", re.IGNORECASE)
_TRANSITION = re.compile(r"^((FADE|CUT|DISSOLVE|SMASH CUT|MATCH CUT|WIPE|IRIS)\b.*|.*\bTO:)$")
_LONGEST_CUE = 50
_LONGEST_TITLE_BLOCK = 15  # non-blank lines


@dataclass
class _Line:
    text: str          # the whole line, tidied
    bold: str          # the leading bold part ("" when the line does not start in bold)
    rest: str          # what follows the bold part on the same line
    indent: int        # columns of leading white space in the pre


def transcript_text(html_bytes: bytes) -> str:
    """The script text of an IMSDb transcript page, in the uniform format ("" if none)."""
    html = _FRAME_BUSTER.sub("", decode_page(html_bytes))
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(["script", "style", "title"]):
        tag.decompose()
    for comment in soup.find_all(string=lambda string: isinstance(string, Comment)):
        comment.extract()
    for root in _candidate_roots(soup):
        lines = _pre_lines(root)
        if any(line.text for line in lines):
            return render_script(_ScriptReader().read(lines))
    return ""


def _candidate_roots(soup: BeautifulSoup):
    """Where the script may be, best first (see the module docstring)."""
    scrtext = soup.select_one("td.scrtext")
    if scrtext is not None:
        pre = scrtext.find("pre")
        if pre is not None:
            yield pre
        for table in scrtext.find_all("table"):
            table.decompose()
        yield scrtext
    first_pre = soup.find("pre")
    if first_pre is not None:
        yield first_pre


def _pre_lines(root: Tag) -> list[_Line]:
    """Split the text under `root` into lines, remembering which part of each line is bold."""
    raw_lines: list[list[tuple[bool, str]]] = [[]]
    for string in root.strings:
        bold = _is_bold_within(string, root)
        pieces = str(string).split("\n")
        raw_lines[-1].append((bold, pieces[0]))
        raw_lines.extend([[(bold, piece)] for piece in pieces[1:]])
    return [_make_line(segments) for segments in raw_lines]


def _is_bold_within(string, root: Tag) -> bool:
    """True when `string` sits in a <b>/<strong> that is itself inside `root`."""
    bold = string.find_parent(["b", "strong"])
    return bold is not None and any(parent is root for parent in bold.parents)


def _make_line(segments: list[tuple[bool, str]]) -> _Line:
    raw = "".join(text for _, text in segments).expandtabs()
    first = next((index for index, (_, text) in enumerate(segments) if text.strip()), None)
    bold = ""
    rest = raw
    if first is not None and segments[first][0]:
        end = first
        while end < len(segments) and (segments[end][0] or not segments[end][1].strip()):
            end += 1
        bold = clean_line("".join(text for _, text in segments[first:end]))
        rest = "".join(text for _, text in segments[end:])
    return _Line(text=clean_line(raw), bold=bold, rest=clean_line(rest),
                 indent=len(raw) - len(raw.lstrip()))


def _title_block_end(lines: list[_Line]) -> int:
    """Index of the first scene heading when only a short title block (show, episode title,
    credits) comes before it; else 0, so a script without headings loses nothing."""
    non_blank = 0
    for index, line in enumerate(lines):
        if _SCENE_HEADING.match(line.bold or line.text):
            return index
        non_blank += bool(line.text)
        if non_blank > _LONGEST_TITLE_BLOCK:
            break
    return 0


def _direction(text: str) -> str:
    if _SCENE_HEADING.match(text):
        return f"[Scene: {text}]"
    return text if text.startswith(("(", "[")) else f"({text})"


def _open_parenthesis(text: str) -> bool:
    return text.count("(") > text.count(")")


class _ScriptReader:
    """Turns the lines of a `pre` into blocks; one instance reads one page."""

    def __init__(self):
        self.blocks: list[str] = []
        self.cue: str | None = None
        self.cue_parenthetical = ""
        self.speech: list[str] = []
        self.speech_indent = 0
        self.action: list[str] = []

    def read(self, lines: list[_Line]) -> list[str]:
        for line in lines[_title_block_end(lines):]:
            if is_end_mark(line.text):
                break
            if line.bold:
                self._bold_line(line)
            elif line.text:
                self._plain_line(line)
            else:
                self._finish_speech()
                self._finish_action()
        self._finish_speech()
        self._finish_action()
        return self.blocks

    def _bold_line(self, line: _Line) -> None:
        self._finish_speech()
        self._finish_action()
        if _SCENE_HEADING.match(line.bold):
            self.blocks.append(f"[Scene: {line.bold}]")
        elif _TRANSITION.match(line.bold) or len(line.bold) > _LONGEST_CUE or not re.search(
                "[A-Za-z]", line.bold):
            self.blocks.append(line.bold)
        else:
            self.cue = line.bold
            if line.rest.startswith("("):
                self.cue_parenthetical = line.rest
            elif line.rest:
                self.speech.append(line.rest)
                self.speech_indent = line.indent
            return
        if line.rest:
            self.action.append(line.rest)

    def _plain_line(self, line: _Line) -> None:
        if self.cue is None:
            self.action.append(line.text)
            return
        if not self.speech:
            if _open_parenthesis(self.cue_parenthetical) or line.text.startswith("("):
                self.cue_parenthetical = f"{self.cue_parenthetical} {line.text}"
                return
            self.speech_indent = line.indent
        elif self.speech_indent and line.indent < self.speech_indent - 3:
            # Less indented than the speech: action resumes without a blank line between.
            self._finish_speech()
            self.action.append(line.text)
            return
        self.speech.append(line.text)

    def _finish_speech(self) -> None:
        if self.cue is None:
            return
        if self.speech:
            cue = format_cue(self.cue, self.cue_parenthetical)
            self.blocks.append(speech_block(cue, " ".join(self.speech)))
        else:
            # A bold line that heads no speech ("ACT ONE") is a marker, kept as it is.
            self.blocks.append(clean_line(f"{self.cue} {self.cue_parenthetical}"))
        self.cue, self.cue_parenthetical, self.speech, self.speech_indent = None, "", [], 0

    def _finish_action(self) -> None:
        if self.action:
            self.blocks.append(_direction(" ".join(self.action)))
            self.action = []
