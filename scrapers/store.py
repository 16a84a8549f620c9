"""The raw page store of one site: exact bytes on disk, an append-only fetch log, the episode list.

In: the site directory `data/raw/<source>/<site>/`, and pages as (URL, bytes) plus what they are.
Out, under that directory (formats in docs/contracts.md):
    pages/<safe name>   the exact bytes received, written atomically (temp file + os.replace)
    manifest.jsonl      one JSON object per fetch attempt, appended, with every MANIFEST_FIELDS key:
                        the URL asked for and the one that answered, status, sha256, size, fetched_at,
                        kind, show/season/episodes/title, path, and `outcome` (fetched, refreshed,
                        skipped or failed) with the `reason` and `error` of a page not stored
    episodes.json       the episode list of the latest scrape, written atomically

A page is keyed by the path and query of its URL, not its host: a site directory holds one site
whatever host or port served it (the offline site gets a new loopback port on every run, and
imsdb.com answers on several host names), so a rerun finds the pages of an earlier one, and stores
written by older versions read as they are. This is safe because a crawl follows links only to its
site's own hosts (`scrapers/crawl.py`): no other host's page can reach the store.
Nothing is ever deleted; a page already stored is reused (`has`/`get`), which makes reruns resume,
and a refreshed page replaces the old bytes only once the new ones are complete. A stored page or
manifest that cannot be read raises `StoreError`, naming the file and what to do.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

MANIFEST_FIELDS = ("url", "final_url", "status", "sha256", "size", "fetched_at", "kind",
                   "show", "season", "episodes", "title", "path", "outcome", "reason", "error")
SLUG_MAX_CHARS = 80
HASH_CHARS = 12
KNOWN_SUFFIXES = (".html", ".htm", ".shtml", ".txt")


def page_key(url: str) -> str:
    """What identifies a page within one site: its path and query, as requested."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def safe_name(url: str) -> str:
    """A file name for `url` that is readable, stable across runs and never leaves `pages/`.

    A slug of the path keeps it readable; a hash of the page key keeps it unique, so hostile or
    look-alike paths (`../../etc/passwd`, `a b` vs `a-b`, very long titles) cannot collide or escape.
    """
    key = page_key(url)
    path = unquote(urlsplit(url).path)
    suffix = next((s for s in KNOWN_SUFFIXES if path.lower().endswith(s)), "")
    stem = path[: len(path) - len(suffix)]
    slug = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-")[:SLUG_MAX_CHARS].rstrip("-") or "index"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:HASH_CHARS]
    return f"{slug}-{digest}{suffix.lower() or '.html'}"


def write_atomically(path: Path, data: bytes) -> None:
    """Readers see the old file or the whole new one, never a part: write aside, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:40]}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


class StoreError(Exception):
    """A store that cannot be read as it is; the message names the file and what to do."""


class PageStore:
    """The pages, manifest and episode list of one site directory."""

    def __init__(self, site_dir: str | Path):
        self.site_dir = Path(site_dir)
        self.pages_dir = self.site_dir / "pages"
        self.manifest_path = self.site_dir / "manifest.jsonl"
        self.episodes_path = self.site_dir / "episodes.json"
        self._manifest_lock = threading.Lock()

    def relative_path(self, url: str) -> str:
        """Where `url` is (or would be) stored, relative to the site directory: `pages/<name>`."""
        return f"pages/{safe_name(url)}"

    def has(self, url: str) -> bool:
        return (self.site_dir / self.relative_path(url)).is_file()

    def get(self, url: str) -> bytes | None:
        """The stored bytes of `url`, None if it is not stored; `StoreError` if they cannot be read."""
        path = self.site_dir / self.relative_path(url)
        if not path.exists():
            return None
        try:
            return path.read_bytes()
        except OSError as error:
            raise StoreError(f"cannot read the stored page {path} ({url}): {error.strerror or error}. "
                             "Fix its permissions, or delete it and run again to fetch it anew.") from None

    def put(self, url: str, content: bytes, *, final_url: str | None = None, status: int | None = 200,
            kind: str = "page", outcome: str = "fetched", **about) -> str:
        """Store (or replace) the exact bytes of `url`, log the fetch, return the path relative to
        the site dir."""
        relative = self.relative_path(url)
        write_atomically(self.site_dir / relative, content)
        self.record(url, final_url=final_url or url, status=status, kind=kind, path=relative, outcome=outcome,
                    sha256=hashlib.sha256(content).hexdigest(), size=len(content), **about)
        return relative

    def record(self, url: str, **fields) -> dict:
        """Append one fetch attempt (stored, skipped or failed) to manifest.jsonl; unset fields are null."""
        unknown = set(fields) - set(MANIFEST_FIELDS)
        if unknown:
            raise TypeError(f"not a manifest field: {', '.join(sorted(unknown))}")
        entry = {name: None for name in MANIFEST_FIELDS}
        entry.update(fields, url=url, fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._manifest_lock:
            self.site_dir.mkdir(parents=True, exist_ok=True)
            with open(self.manifest_path, "a", encoding="utf-8") as manifest:
                manifest.write(line)
        return entry

    def manifest(self) -> list[dict]:
        if not self.manifest_path.is_file():
            return []
        with open(self.manifest_path, encoding="utf-8") as manifest:
            lines = list(manifest)
        entries = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise StoreError(f"{self.manifest_path}, line {number}: not JSON ({error.msg}). Remove that line "
                                 "(a write cut short); the pages themselves are unaffected.") from None
        return entries

    def write_episodes(self, episodes: list[dict]) -> None:
        text = json.dumps(episodes, ensure_ascii=False, indent=1) + "\n"
        write_atomically(self.episodes_path, text.encode("utf-8"))
