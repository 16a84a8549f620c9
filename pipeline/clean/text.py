"""Plain-text files in the clean stage (`scrape.source: text`): kept as they are, not reformatted.

In:  the bytes of a text file stored by the scrape stage; for the split of a single file, its text
     and `clean.val_fraction`.
Out: `text_of(data, ascii)` -> (text, characters dropped for having no ASCII form): decoded as pages
     are (`scrapers/decode.py`: a byte order mark honoured, else UTF-8, else cp1252; CRLF and CR
     become LF) and folded to ASCII when `ascii` is on (`pipeline/clean/ascii.py`). Nothing else
     changes: no tidying into the script format of `common/script.py`, spaces, tabs and blank lines
     kept, since in someone's own text they are part of what the model should learn.
     `tail_split(text, val_fraction)` -> (train, val): the first floor(n * (1 - val_fraction))
     characters and the rest, as char-rnn and nanoGPT split one file (`data[:int(n*0.9)]`).
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


def tail_split(text: str, val_fraction: float) -> tuple[str, str]:
    """(train, val): the head of `text` and its last `val_fraction` share of characters."""
    cut = train_length(len(text), val_fraction)
    return text[:cut], text[cut:]
