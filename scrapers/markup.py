"""Read an HTML page as a flat stream of events, the form both transcript parsers work on.

In:  page text (decoded by `scrapers.decode.decode_page`).
Out: `html_events(text) -> list[Event]` in document order, each `(kind, value, attrs)`:
     `(START, tag, attrs_dict)`, `(END, tag, None)`, `(TEXT, text, None)`; and `styled_lines()`,
     which turns a run of events into lines of `(text, bold)` pieces.

Why a stream and not a tree: the pages mis-nest tags (`<b><p>Monica</b>: ...`) and leave `<td>`s
unclosed; a tree builder moves text around to repair that, a stream keeps every piece of text where
the author put it. It is also several times faster than building a BeautifulSoup tree.

On the way, tag names are lower-cased, character references resolved (`&#146;` → ’, as HTML5
does), and text is mojibake-repaired and stripped of control characters. Dropped: comments (this
includes the IMSDb frame-buster `<!-- ... window!= top ... // -->`), declarations and processing
instructions (MS-Word's `<![if ...]>`, `<?xml ...>`), and the text of `<script>`, `<style>`,
`<title>`, `<select>` and the like.
"""
from __future__ import annotations

from html.parser import HTMLParser

from scrapers.decode import remove_invisible, repair_mojibake

START, END, TEXT = "start", "end", "text"
BOLD_TAGS = frozenset({"b", "strong"})
# Tags after which a browser starts a new line.
BLOCK_TAGS = frozenset({
    "address", "blockquote", "body", "center", "dd", "div", "dl", "dt", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "head", "html", "li", "ol", "p", "pre", "table", "td", "th", "tr", "ul",
})
_HIDDEN_TAGS = frozenset({"script", "style", "title", "select", "option", "textarea", "noscript",
                          "iframe", "object", "xml"})
# An unclosed <title> must not swallow the page: these tags end any hidden element but script/style.
_VISIBLE_AGAIN = frozenset({"body", "pre", "p", "table", "td", "div"})


class _EventReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.events: list[tuple] = []
        self.hidden: str | None = None  # the tag whose text is being skipped

    def handle_starttag(self, tag, attrs):
        if self.hidden is not None:
            if self.hidden in ("script", "style") or tag not in _VISIBLE_AGAIN:
                return
            self.hidden = None
        if tag in _HIDDEN_TAGS:
            self.hidden = tag
            return
        self.events.append((START, tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)  # <br/> is a <br>; no end event for void tags

    def handle_endtag(self, tag):
        if self.hidden is not None:
            if tag == self.hidden:
                self.hidden = None
            return
        if tag == "br":
            self.events.append((START, "br", {}))  # browsers read a stray </br> as <br>
        elif tag != "hr":
            self.events.append((END, tag, None))

    def handle_data(self, data):
        if self.hidden is None:
            text = remove_invisible(repair_mojibake(data))
            if text:
                self.events.append((TEXT, text, None))


def html_events(text: str) -> list[tuple]:
    """The page as a flat list of START / END / TEXT events (see the module docstring)."""
    reader = _EventReader()
    reader.feed(text)
    reader.close()
    return reader.events


def has_class(attrs: dict | None, name: str) -> bool:
    """True when the tag's `class` attribute lists `name` (`<td class>` has no value at all)."""
    return name in ((attrs or {}).get("class") or "").lower().split()


def styled_lines(events: list[tuple], break_tags: frozenset = BLOCK_TAGS | {"br", "hr"},
                 break_on_end: bool = True) -> list[tuple[list[tuple[str, bool]], str]]:
    """Split the text of `events` into lines: `(pieces, ended_by)`, where pieces are `(text, bold)`
    and `ended_by` is what closed the line: "\n" (a newline in the text), a tag name ("br", "hr",
    "p", ...) or "" for the last line.

    A line ends at each newline in the text and at each tag in `break_tags` (and at their end tags
    when `break_on_end`). Bold is counted leniently: an unmatched `</b>` is ignored, and the end of
    a block resets it, so an unclosed `<b>` cannot make the rest of the page bold.
    """
    lines: list[tuple[list[tuple[str, bool]], str]] = []
    pieces: list[tuple[str, bool]] = []
    bold = 0
    for kind, value, _ in events:
        if kind is TEXT:
            first, *more = value.split("\n")
            pieces.append((first, bold > 0))
            for piece in more:
                lines.append((pieces, "\n"))
                pieces = [(piece, bold > 0)]
        elif value in BOLD_TAGS:
            bold = bold + 1 if kind is START else max(0, bold - 1)
        elif value in break_tags and (kind is START or break_on_end):
            lines.append((pieces, value))
            pieces = []
            if kind is END and value in BLOCK_TAGS:
                bold = 0
    lines.append((pieces, ""))
    return lines
