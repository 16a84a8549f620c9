"""Text helpers shared by the transcript parsers and the `clean` stage.

In: raw page bytes, or text pieces taken from parsed HTML.
Out: decoded page text, tidied single lines, speech/scene blocks rendered in the uniform script
format, and ASCII-folded text.

The uniform script format (what every parser returns):

    [Scene: Central Perk, the gang is there.]

    MONICA
    There's nothing to tell!

    ROSS (to Rachel)
    Hi.

A block is either a speech (the cue in upper case, with any parenthetical beside it in its own
case, then the whole speech on one line) or a single line (scene heading, stage direction,
marker). Blocks are separated by one blank line; lines end in LF and carry no trailing spaces;
the text ends with one newline.
"""
from __future__ import annotations

import codecs
import re
import unicodedata

_ERROR_HANDLER = "scriptlm-latin1-fallback"


def _latin1_fallback(error: UnicodeDecodeError):
    # cp1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined; read them as Latin-1 (giving C1
    # controls that clean_line() removes later) so one stray byte never loses a page.
    undecodable = error.object[error.start:error.end]
    return undecodable.decode("latin-1"), error.end


codecs.register_error(_ERROR_HANDLER, _latin1_fallback)


def decode_page(data: bytes) -> str:
    """Decode page bytes as cp1252 (both sites' real encoding), with LF line ends.

    Pages that declare iso-8859-1 still carry cp1252 smart quotes (0x92 ...), so the declared
    charset is ignored. The result still holds HTML markup and character references.
    """
    return normalise_newlines(data.decode("cp1252", errors=_ERROR_HANDLER))


def normalise_newlines(text: str) -> str:
    """CRLF and lone CR become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# C0 controls except tab and LF, DEL, C1 controls (U+0080-U+009F, e.g. from `&#129;` or an
# undefined cp1252 byte), soft hyphen, zero-width characters and the byte order mark.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200d\u2060\ufeff]")
_WHITESPACE = re.compile(r"\s+")


def remove_invisible(text: str) -> str:
    """Drop control and zero-width characters; keep tab and LF."""
    return _INVISIBLE.sub("", text)


def clean_line(text: str) -> str:
    """One tidy line: invisible characters dropped, any run of whitespace (newlines and
    non-breaking spaces included) turned into one space, no leading or trailing space."""
    return _WHITESPACE.sub(" ", remove_invisible(text)).strip()


_END_MARK = re.compile(r"^[\[(]?\s*(THE\s+)?END\s*[\])]?\s*[.!]?$", re.IGNORECASE)


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
    return clean_line(f"{name.upper()} {parenthetical}")


def speech_block(cue: str, dialogue: str) -> str:
    """A speech block; a cue with nothing said is kept as a single line."""
    dialogue = clean_line(dialogue)
    return f"{cue}\n{dialogue}" if dialogue else cue


def render_script(blocks: list[str]) -> str:
    """Join blocks in the uniform format; empty lines and empty blocks are dropped."""
    tidy_blocks = []
    for block in blocks:
        lines = [clean_line(line) for line in block.split("\n")]
        lines = [line for line in lines if line]
        if lines:
            tidy_blocks.append("\n".join(lines))
    return "\n\n".join(tidy_blocks) + "\n" if tidy_blocks else ""


def tidy_script(text: str) -> str:
    """Re-normalise a script after characters were removed from it (see render_script)."""
    return render_script(re.split(r"\n\s*\n", text.strip("\n")))


# Typographic characters NFKD leaves alone (or decomposes into non-ASCII), mapped by hand.
_ASCII_PUNCTUATION = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2012": "-", "\u2010": "-", "\u2011": "-", "\u2212": "-",
    "\u2014": "--", "\u2015": "--",
    "\u2026": "...", "\u00a0": " ", "\u2022": "*", "\u2044": "/",
})


def fold_to_ascii(text: str) -> str:
    """Fold typographic punctuation and accented letters to ASCII (’ → ', — → --, é → e).

    Characters that have no ASCII form are left in place; the caller decides what to do with
    them.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_PUNCTUATION))
    without_marks = "".join(char for char in decomposed if not unicodedata.combining(char))
    # NFKD can bring new typographic characters in (e.g. ½ → 1⁄2), so translate once more.
    return without_marks.translate(_ASCII_PUNCTUATION)
