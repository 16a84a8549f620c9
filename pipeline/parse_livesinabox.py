"""Parse a livesinabox "Crazy For Friends" episode page into the uniform script format.

In: the exact bytes of an episode page (`seasonN/*.htm(l)` or the season-10 `10NN.shtml`).
Out: `transcript_text(html_bytes) -> str`, the script text ("" when the page holds none).

The pages use at least six speaker markups and often mis-nest their tags, so speakers are found
by a regex on the *text* of each logical line, never from the tag structure:

1. The page is cut into logical lines: a new line at every block element (`<p>`, `<div>`, ...)
   and at every `<br>`. A line after a single `<br>` is "soft" (it may continue a speech); after
   `<br><br>` or a new paragraph it is "hard".
2. Only the transcript region is kept: after the "Written by" credits (and the `<hr>` under them),
   or after the first `<hr>` when there are no credits; up to the first "End"/"THE END" line or the
   site footer. This keeps the season-10 navigation ("Friends", "Pictures", "Donate") out.
3. Each line is then a speech (`Name: text`, `NAME: text`, `Name (to Ross): text`, whatever tags
   were around the name, even when mis-nested tags split the name off its colon), a bracketed
   line kept as it is (`[Scene: ...]`, `(...)`, `{...}`), a credits line (dropped), a soft
   continuation of the speech above, or a plain line (`Commercial Break`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, CData, NavigableString, Tag

from pipeline.text import clean_line, decode_page, format_cue, is_end_mark, render_script, speech_block

_BLOCK_TAGS = frozenset({
    "address", "blockquote", "body", "center", "dd", "div", "dl", "dt", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "html", "li", "ol", "p", "pre", "table", "td", "th", "tr", "ul",
})
_SPEAKER = re.compile(r"^(?P<name>[A-Z][A-Za-z0-9 .'/&#-]{0,40}?)\s*(?P<paren>\([^)]*\))?\s*:\s*")
_SPEAKER_TAIL = re.compile(r"^(\([^)]*\)\s*)?:")
# Words before a colon that do not name a character.
_NOT_A_SPEAKER = re.compile(
    r"^(notes?|transcriber'?s?\s+notes?|commercial break|opening credits|closing credits|"
    r"time lapse|p\.?s\.?|copyright.*|disclaimer)(\s*\d+)?$", re.IGNORECASE)
_CREDITS = re.compile(
    r"^(written|teleplay|story|transcribed|additional transcribing|adjustments|with minor adjustments)"
    r"\b[^:]{0,40}?\bby\b", re.IGNORECASE)
_FOOTER = re.compile(r"best viewed at|crazy for friends is", re.IGNORECASE)


@dataclass
class _Line:
    text: str
    soft: bool = False   # came after a single <br> in the same paragraph
    rule: bool = False   # an <hr>


def transcript_text(html_bytes: bytes) -> str:
    """The script text of a livesinabox episode page, in the uniform format ("" if none)."""
    soup = BeautifulSoup(decode_page(html_bytes), "html.parser")
    for tag in soup.find_all(["script", "style", "title"]):
        tag.decompose()
    return render_script(_blocks(_transcript_region(_logical_lines(soup))))


class _LineCollector:
    def __init__(self):
        self.lines: list[_Line] = []
        self.pieces: list[str] = []
        self.soft = False

    def text(self, text: str) -> None:
        self.pieces.append(text)

    def _end_line(self) -> bool:
        text = clean_line("".join(self.pieces))
        self.pieces = []
        if text:
            self.lines.append(_Line(text, soft=self.soft))
        return bool(text)

    def line_break(self) -> None:
        # The line after a <br> continues the paragraph; after <br><br> it starts afresh.
        self.soft = self._end_line()

    def paragraph_break(self) -> None:
        self._end_line()
        self.soft = False

    def rule(self) -> None:
        self.paragraph_break()
        self.lines.append(_Line("", rule=True))


def _logical_lines(soup: BeautifulSoup) -> list[_Line]:
    collector = _LineCollector()
    current_block = None
    # Iterating (not recursing) because unclosed tags can nest thousands deep.
    for node in soup.descendants:
        if isinstance(node, Tag):
            if node.name == "br":
                collector.line_break()
            elif node.name == "hr":
                collector.rule()
            elif node.name in _BLOCK_TAGS:
                collector.paragraph_break()
        elif type(node) in (NavigableString, CData):
            block = node.find_parent(_BLOCK_TAGS)
            if block is not current_block:
                # Text that follows a closed block belongs to a new line.
                collector.paragraph_break()
                current_block = block
            collector.text(str(node))
    collector.paragraph_break()
    return _rejoin_split_speakers(collector.lines)


def _rejoin_split_speakers(lines: list[_Line]) -> list[_Line]:
    """Mis-nested tags (`<b><p>Monica</b>: text`, `<p>Joey </b>(aside): text`) close the paragraph
    right after the name; a line that starts with its colon belongs to the line before."""
    joined: list[_Line] = []
    for line in lines:
        if joined and not joined[-1].rule and _SPEAKER_TAIL.match(line.text):
            joined[-1] = _Line(f"{joined[-1].text} {line.text}", soft=joined[-1].soft)
        else:
            joined.append(line)
    return joined


def _transcript_region(lines: list[_Line]) -> list[_Line]:
    """The lines between the credits (or first rule) and the end mark (or footer)."""
    credits = next((index for index, line in enumerate(lines) if _CREDITS.match(line.text)), None)
    if credits is not None:
        start = credits + 1
        for index in range(credits + 1, len(lines)):
            if lines[index].rule:
                start = index + 1
                break
            if _speaker(lines[index].text) and not _CREDITS.match(lines[index].text):
                break  # no rule under the credits: the transcript has begun
    else:
        start = next((index + 1 for index, line in enumerate(lines) if line.rule), 0)
    end = next((index for index in range(start, len(lines))
                if is_end_mark(lines[index].text) or _FOOTER.search(lines[index].text)), len(lines))
    return lines[start:end]


def _speaker(text: str) -> re.Match | None:
    match = _SPEAKER.match(text)
    if match is None or _NOT_A_SPEAKER.match(match.group("name").strip()):
        return None
    return match


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
        speaker = _speaker(text)
        if speaker and speaker.group("name").strip().lower() == "scene":
            finish_speech()
            blocks.append(f"[Scene: {text[speaker.end():]}]")
        elif speaker:
            finish_speech()
            cue = format_cue(speaker.group("name"), speaker.group("paren") or "")
            dialogue = [text[speaker.end():]]
        elif cue is not None and not "".join(dialogue) and not text.startswith("["):
            dialogue.append(text)  # the cue stood alone on its line
        elif text.startswith(("[", "(", "{")):
            finish_speech()
            blocks.append(text)
        elif cue is not None and line.soft:
            dialogue.append(text)
        else:
            finish_speech()
            blocks.append(text)
    finish_speech()
    return blocks
