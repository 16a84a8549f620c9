"""Raw page stores for the clean-stage tests, written in tmp_path in the layout of docs/contracts.md,
and the clean stage's core run on them with test settings."""
from __future__ import annotations

import json
from pathlib import Path

from common.settings import CleanSettings
from pipeline.clean.build import build_corpus

# In every page, so that only the characters a test is about are rare, or missing from train.
SCENE = "[Scene: GUS, MO, PAM by the quick brown fox, 0123456789 jumps over the lazy dog.]"


def speech_page(speaker: str, line: str) -> bytes:
    """A small livesinabox page; Latin-1 turns "\x92" in `line` into the raw cp1252 byte."""
    return (f"<html><body><p>Written by: A. Writer</p><hr><p>{SCENE}</p>"
            f"<p><b>{speaker}:</b> {line}</p><p>End</p></body></html>").encode("latin-1")


def entry(path: str, number: int, site: str = "livesinabox", season: int = 1, title: str = "", **more) -> dict:
    return {"site": site, "show": "Friends", "season": season, "episodes": [number], "title": title,
            "url": f"http://example.invalid/{path}", "path": f"pages/{path}", **more}


def make_raw_store(raw: Path, pages: dict[str, bytes], entries: list[dict] | None = None,
                   site: str = "livesinabox") -> list[dict]:
    """Write `pages` ({file name: bytes}) and episodes.json (by default one episode per page)."""
    site_dir = raw / "offline" / site
    (site_dir / "pages").mkdir(parents=True, exist_ok=True)
    for name, data in pages.items():
        (site_dir / "pages" / name).write_bytes(data)
    if entries is None:
        entries = [entry(name, 101 + index, site=site) for index, name in enumerate(pages)]
    (site_dir / "episodes.json").write_text(json.dumps(entries), encoding="utf-8")
    return entries


def build(tmp_path: Path, out: str = "corpus", **overrides) -> dict:
    workers = overrides.pop("workers", None)
    # No threshold unless a test sets one: the tests of skipping are about the report, not the limit.
    options = {"source": "offline", "ascii": True, "min_char_count": 0, "val_fraction": 0.05,
               "max_skipped_fraction": 1.0, **overrides}
    return build_corpus(tmp_path / "raw", tmp_path / out, CleanSettings(**options), workers)


def read(tmp_path: Path, name: str, out: str = "corpus") -> str:
    return (tmp_path / out / name).read_text(encoding="utf-8")
