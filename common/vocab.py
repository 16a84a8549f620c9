"""The vocabulary: `data/corpus/vocab.json`, which the clean stage writes and every later stage reads.

In:  the path of a vocab.json, or a list of characters and a text.
Out: `load_vocab(path)` -> the characters (a character's id is its index; at most 256, so ids fit
     in uint8); `encode(text, chars)` -> the uint8 ids of a text; `vocab_hash(chars)`, the
     fingerprint that vocab.json and the windows' meta.json carry.

Format: `{"chars": ["\\n", " ", "!", ...], "counts": {char: n}, "sha256": vocab_hash(chars)}`.
`load_vocab` checks the characters against that sha256: ids are positions in the list, so a file whose
characters were reordered or edited would decode every id to the wrong character, silently.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np


class VocabError(ValueError):
    """A vocabulary that cannot be used as it is; the message names the file and what to do."""


def vocab_hash(chars: list[str]) -> str:
    """sha256 of the vocabulary's characters in id order."""
    return hashlib.sha256("".join(chars).encode("utf-8")).hexdigest()


def load_vocab(path: Path, fix: str = "Run `dvc repro clean`.") -> list[str]:
    """Return the list of characters in `vocab.json`; a character's id is its index. `fix` is what
    an unreadable file's message tells the user to do (the corpus's vocabulary by default)."""
    try:
        vocab = json.loads(Path(path).read_text(encoding="utf-8"))
        chars, recorded = vocab["chars"], vocab.get("sha256")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:  # valid JSON, not a mapping
        raise VocabError(f"{path}: not a readable vocab file ({type(error).__name__}: {error}). {fix}") from None
    if not isinstance(chars, list) or not all(isinstance(char, str) and len(char) == 1 for char in chars):
        raise VocabError(f"{path}: not a readable vocab file ('chars' is not a list of characters). {fix}")
    if recorded != vocab_hash(chars):
        found = "records no sha256" if recorded is None else "does not match the sha256 it records"
        raise VocabError(f"{path}: its list of characters {found} (the file was edited or damaged, and ids would "
                         f"decode to the wrong characters). {fix}")
    if len(chars) > 256:
        raise VocabError(f"{path}: {len(chars)} symbols do not fit in uint8 ids (at most 256).")
    return chars


def encode(text: str, chars: list[str], source: str = "text") -> np.ndarray:
    """Map each character to its uint8 id; a character outside the vocabulary is an error."""
    index = {char: i for i, char in enumerate(chars)}
    try:
        return np.fromiter((index[c] for c in text), dtype=np.uint8, count=len(text))
    except KeyError as error:
        raise VocabError(f"{source}: character {error.args[0]!r} is not in the vocabulary. "
                         "Rerun the clean stage so vocab.json covers the corpus.") from None
