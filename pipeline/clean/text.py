"""Plain-text files in the clean stage (`scrape.source: text`): kept as they are, not reformatted.

In:  the bytes of a text file stored by the scrape stage; for the split of a single file, its text
     and `clean.val_fraction`.
Out: `text_of(data, ascii)` -> (text, characters dropped for having no ASCII form): decoded as pages
     are (`scrapers/decode.py`: a byte order mark honoured, else UTF-8, else cp1252; CRLF and CR
     become LF) and folded to ASCII when `ascii` is on (`pipeline/clean/ascii.py`). Nothing else
     changes: no tidying into the script format of `common/script.py`, spaces, tabs and blank lines
     kept, since in someone's own text they are part of what the model should learn.
     `split_across(texts, val_fraction)` -> (file, piece, split) in order: the texts read as one, in
     path order, their first floor(n * (1 - val_fraction)) characters train and the rest validates,
     as char-rnn and nanoGPT split one file (`data[:int(n*0.9)]`); `dominant_file(texts,
     val_fraction)`, the file that rules out a split by whole files.

Several files are split as episodes are, whole files held out by a hash of their name, unless one
file makes more than twice `val_fraction` of the text: held out, it would be most of the
validation text (a 5 MB file beside six small ones gave 5,000,000 validation characters against
41,827 for training), and kept, it would leave validation a sliver. Then they are split by characters
across the files, as one file is.
"""
from __future__ import annotations

import math
from collections import Counter
from fractions import Fraction

from pipeline.clean.ascii import drop_non_ascii
from scrapers.decode import decode_page

TEXT = "text"   # the source whose pages are plain text, and the `--site` that reads one that way


def text_of(data: bytes, ascii: bool) -> tuple[str, Counter]:
    """A stored text file as it goes into the corpus, before the corpus-wide rare-character drop."""
    text = decode_page(data)
    return drop_non_ascii(text) if ascii else (text, Counter())


def train_length(n: int, val_fraction: float) -> int:
    """floor(n * (1 - val_fraction)), with val_fraction read as the decimal params.yaml writes:
    in floats, 1000 * (1 - 0.07) is 929.9999999999999 and the split would move by one."""
    return math.floor(n * (1 - Fraction(str(val_fraction))))


def dominant_file(texts: list[str], val_fraction: float) -> int | None:
    """The index of the largest text when it makes more than twice `val_fraction` of all the
    characters (and there is a validation split at all); else None."""
    total = sum(map(len, texts))
    if not texts or not val_fraction or not total:
        return None
    largest = max(range(len(texts)), key=lambda index: len(texts[index]))
    return largest if len(texts[largest]) > 2 * val_fraction * total else None


def split_across(texts: list[str], val_fraction: float) -> list[tuple[int, str, str]]:
    """(file index, piece of its text, "train" or "val") in order: the texts read as one, the first
    floor(n * (1 - val_fraction)) of their n characters train and the rest validates; the file the
    cut falls in gives its head to train and its tail to val."""
    cut, pieces, start = train_length(sum(map(len, texts)), val_fraction), [], 0
    for index, text in enumerate(texts):
        head = min(max(cut - start, 0), len(text))
        pieces += [(index, text[:head], "train")] if head else []
        pieces += [(index, text[head:], "val")] if head < len(text) else []
        start += len(text)
    return pieces
