"""ASCII folding for the clean stage (`clean.ascii`).

In:  a script in the uniform format (`common/script.py`), or any text.
Out: `fold_to_ascii(text)`, typographic punctuation and accented letters folded to ASCII
     (’ → ', — → --, é → e); `to_ascii(script)`, the folded script without the characters that have
     no ASCII form, and those characters with their counts; `drop_non_ascii(text)`, the same for
     plain text, which is not re-tidied into the script format.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter

from common.script import tidy_script

# Typographic characters NFKD leaves alone (or decomposes into non-ASCII), mapped by hand.
_ASCII_PUNCTUATION = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u02bc": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2039": "'", "\u203a": "'",
    "\u2013": "-", "\u2012": "-", "\u2010": "-", "\u2011": "-", "\u2212": "-",
    "\u2014": "--", "\u2015": "--",
    "\u2026": "...", "\u00a0": " ", "\u2022": "*", "\u00b7": "*", "\u2044": "/",
    "\u00bf": "?", "\u00a1": "!", "\u00d7": "x", "\u00df": "ss", "\u00e6": "ae", "\u00c6": "AE",
    "\u0153": "oe", "\u0152": "OE", "\u00f8": "o", "\u00d8": "O", "\u0142": "l", "\u0141": "L",
})


@functools.lru_cache(maxsize=None)
def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char.translate(_ASCII_PUNCTUATION))
    without_marks = "".join(part for part in decomposed if not unicodedata.combining(part))
    # NFKD can bring new typographic characters in (e.g. ½ → 1⁄2), so translate once more.
    return without_marks.translate(_ASCII_PUNCTUATION)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def fold_to_ascii(text: str) -> str:
    """Fold typographic punctuation and accented letters to ASCII (’ → ', — → --, é → e).
    Characters with no ASCII form are left in place; `to_ascii` drops them."""
    if text.isascii():
        return text
    return _NON_ASCII.sub(lambda match: _fold_char(match.group()), text)


def drop_non_ascii(text: str) -> tuple[str, Counter]:
    """Any text folded to ASCII, minus the characters that have no ASCII form (returned with
    their counts); nothing else changes."""
    folded = fold_to_ascii(text)
    if folded.isascii():
        return folded, Counter()
    dropped = Counter(char for char in folded if not char.isascii())
    return folded.translate(dict.fromkeys(map(ord, dropped))), dropped


def to_ascii(script: str) -> tuple[str, Counter]:
    """A script folded to ASCII, minus the characters that have no ASCII form (returned with
    their counts), re-tidied."""
    text, dropped = drop_non_ascii(script)
    return (tidy_script(text) if dropped else text), dropped
