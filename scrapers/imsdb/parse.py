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

How its lines are read is `screenplay.py` (docs/sites.md §2.6).
"""
from __future__ import annotations

import re

from common.script import clean_line, render_script
from scrapers.decode import decode_page
from scrapers.imsdb.screenplay import Line, ScriptReader
from scrapers.markup import BLOCK_TAGS, END, START, TEXT, has_class, html_events, styled_lines

_CREDIT_LINE = re.compile(
    r"https?://|www\.|^back to imsdb$"
    r"|^\W*(scanned|formatted|formatting|converted|typed|proofread|ocr'?d?)\b.{0,40}\bby\b",
    re.IGNORECASE)
_NOISE_LINE = re.compile(r"^(\(?continued\)?:?(\s*\(\d+\))?|\(more\)|\(?cont'?d\)?\.?)$", re.IGNORECASE)
_PAGE_NUMBER = re.compile(r"^\d{1,3}\.?$")
_PAGE_NUMBER_INDENT = 40  # page numbers sit at the right margin; a "42." of dialogue does not
_SCRIPT_ENDS = {(START, "table"), (START, "td"), (START, "tr"), (END, "td"), (END, "tr"), (END, "table")}
_LINE_BREAK_TAGS = (BLOCK_TAGS - {"html", "head", "body", "pre"}) | {"br", "hr"}


def transcript_text(html_bytes: bytes) -> str:
    """The script text of an IMSDb script page, in the uniform format ("" if none)."""
    for events in _candidate_regions(html_events(decode_page(html_bytes))):
        lines = _script_lines(events)
        if any(line.text for line in lines):
            return render_script(ScriptReader(lines).read())
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


def _script_lines(events: list[tuple]) -> list[Line]:
    """The region's lines, without credits (made blank) and page furniture (removed)."""
    lines = []
    for pieces, _ in styled_lines(events, _LINE_BREAK_TAGS, break_on_end=False):
        line = _make_line(pieces)
        if _CREDIT_LINE.search(line.text):
            line = Line("", "", "", 0)
        elif _NOISE_LINE.match(line.text) or (_PAGE_NUMBER.match(line.text) and line.indent >= _PAGE_NUMBER_INDENT):
            continue
        lines.append(line)
    return lines


def _make_line(pieces: list[tuple[str, bool]]) -> Line:
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
    return Line(text=clean_line(raw), bold=bold, rest=clean_line(rest), indent=indent)
