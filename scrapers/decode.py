"""Turn the exact bytes of a saved page into Unicode text, whatever charset the page declares.

In:  page bytes (IMSDb or livesinabox), or text pieces taken from a page.
Out: `decode_page(data) -> str`, the page's text with LF line ends (markup and character references
     are left for the HTML reader); `decode_bytes(data)`, the same text with its line ends as they
     were (the scrapers read links with it); `repair_mojibake(text)`, which undoes UTF-8 read as cp1252
     (`â€™` → `’`, `Ã©` → `é`); `remove_invisible(text)`, which drops control characters.

The declared charset is ignored because it is wrong too often (docs/sites.md §1):
- bytes that decode strictly as UTF-8 and hold at least one multi-byte sequence are UTF-8 (browser
  snapshots are saved that way under a windows-1252 meta tag); a byte order mark is honoured;
- anything else is cp1252, what both sites really use even under an iso-8859-1 meta tag. The five
  bytes cp1252 leaves undefined (0x81 0x8D 0x8F 0x90 0x9D) are read as Latin-1, i.e. as C1 controls
  that `remove_invisible` drops, so one stray byte never loses a page.
Mojibake can still arrive after decoding, through references such as `&#226;&#128;&#153;` or a page
that mixes both encodings; `repair_mojibake` is applied to every piece of text the reader sees.
"""
from __future__ import annotations

import codecs
import re

_LATIN1_FALLBACK = "scriptlm-latin1-fallback"


def _latin1_fallback(error: UnicodeDecodeError):
    return error.object[error.start:error.end].decode("latin-1"), error.end


codecs.register_error(_LATIN1_FALLBACK, _latin1_fallback)

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def decode_page(data: bytes) -> str:
    """Page bytes → text with LF line ends (see the module docstring for the rules)."""
    return normalise_newlines(decode_bytes(data))


def decode_bytes(data: bytes) -> str:
    """Page bytes → text by the rules above, line ends untouched."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    if data.isascii():
        return data.decode("ascii")
    try:
        return data.decode("utf-8")  # non-ASCII and valid UTF-8: multi-byte sequences are present
    except UnicodeDecodeError:
        return data.decode("cp1252", errors=_LATIN1_FALLBACK)


def normalise_newlines(text: str) -> str:
    """CRLF and lone CR become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# C0 controls except tab and LF, DEL, C1 controls (from `&#129;` or an undefined cp1252 byte),
# soft hyphen, zero-width characters, the byte order mark and the replacement character.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200d\u2060\ufeff\ufffd]")


def remove_invisible(text: str) -> str:
    """Drop control and zero-width characters; keep tab and LF."""
    return _INVISIBLE.sub("", text)


# What each byte 0x80-0xFF looks like once wrongly decoded as cp1252 (Latin-1 for the 5 holes).
_AS_CP1252 = bytes(range(0x80, 0x100)).decode("cp1252", errors=_LATIN1_FALLBACK)
_CONTINUATION = "[" + re.escape(_AS_CP1252[:0x40]) + "]"   # bytes 0x80-0xBF
_MOJIBAKE = re.compile(
    f"[\u00c2-\u00df]{_CONTINUATION}|[\u00e0-\u00ef]{_CONTINUATION}{{2}}|[\u00f0-\u00f4]{_CONTINUATION}{{3}}")
_TO_BYTES = {char: bytes([0x80 + index]) for index, char in enumerate(_AS_CP1252)}


def _plausible(char: str) -> bool:
    # What an English script can hold: Latin letters, general punctuation, currency, ™. Anything
    # else (a CJK ideograph from "café…”") means the original text was not mojibake at all.
    code = ord(char)
    return 0xA0 <= code <= 0x24F or 0x2000 <= code <= 0x206F or 0x20A0 <= code <= 0x20BF or code == 0x2122


def _repair_match(match: re.Match) -> str:
    try:
        repaired = b"".join(_TO_BYTES[char] for char in match.group()).decode("utf-8")
    except UnicodeDecodeError:
        return match.group()
    return repaired if _plausible(repaired) else match.group()


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 bytes that were decoded as cp1252, once or twice over (`â€™` → `’`)."""
    for _ in range(2):
        repaired = _MOJIBAKE.sub(_repair_match, text)
        if repaired == text:
            break
        text = repaired
    return text
