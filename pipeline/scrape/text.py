"""`scrape.source: text`: the user's own plain-text files, recorded like scraped pages.

In:  `scrape.text.path`, relative to the working directory (the project root): one file, or a folder
     whose files matching the glob `scrape.text.pattern` are taken (hidden files and folders, such as
     `.DS_Store` or an editor's `.swp`, are left out).
Out: `RAW_DIR/text/files/` in the layout of docs/contracts.md: `pages/<path inside the folder>` (byte
     copies; a single file keeps its name), `manifest.jsonl` (one line per file: `url` the original
     path, `path`, `size`, `sha256`) and `episodes.json` (one entry per file, in path order, `id`
     `files/<path inside the folder>` so a file keeps its split when others come and go, unless one file
     is so large that the clean stage splits by characters: pipeline/clean/text.py); and a summary.

The folder is rebuilt on every run to mirror the files of this run: DVC keeps `data/raw` between runs
(`persist: true`, for the web sources' resume), so a file removed from the source would otherwise
linger in the corpus. The new folder is built aside and swapped in only once every file has been
read and found to be text: a missing path, no matching file, or a file that is not text (it holds a
NUL byte) raises TextSourceError naming the file and the param, and nothing stored before changes.
"""
from __future__ import annotations

import codecs
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from common.settings import TextSettings

SOURCE = "text"
SITE = "files"
# Where a rebuild is assembled, beside the source folders so the clean stage never reads it.
WORK_PREFIX = f".{SOURCE}-{SITE}."
# UTF-16 text holds NUL bytes; with its byte order mark the decoder reads it (scrapers/decode.py).
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class TextSourceError(RuntimeError):
    """The text files cannot be recorded; the message names the file and the param to change."""


def list_files(settings: TextSettings) -> list[tuple[Path, str]]:
    """(file, its name in the store) for every file to record, ordered by that name."""
    root = Path(settings.path)
    if root.is_file():
        return [(root, root.name)]
    if not root.is_dir():
        raise TextSourceError(
            f"scrape.text.path '{settings.path}' does not exist (looked for {root.absolute()}). "
            "Point scrape.text.path in params.yaml at a plain-text file, or a folder of them, "
            "relative to the project root.")
    try:
        found = sorted(root.glob(settings.pattern))
    except (ValueError, NotImplementedError) as error:
        raise TextSourceError(f"scrape.text.pattern '{settings.pattern}' is not a usable glob ({error}); "
                              "write e.g. *.txt, or **/*.txt to look into subfolders.") from None
    files = {}
    for path in found:
        inside = path.relative_to(root)
        if path.is_file() and not any(part.startswith(".") for part in inside.parts):
            files[inside.as_posix()] = path
    if not files:
        raise TextSourceError(
            f"no file in the folder '{settings.path}' (scrape.text.path) matches scrape.text.pattern "
            f"'{settings.pattern}'. Change the pattern (e.g. *.txt, or **/*.txt to look into subfolders), "
            "or put your text files there.")
    return [(files[name], name) for name in sorted(files)]


def read_text_file(path: Path, settings: TextSettings) -> bytes:
    """The exact bytes of `path`; TextSourceError if it cannot be read or is not text."""
    fix = ("point scrape.text.path at a plain-text file" if Path(settings.path).is_file() else
           f"remove it from '{settings.path}' or narrow scrape.text.pattern '{settings.pattern}'")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise TextSourceError(f"{path}: cannot be read ({error.strerror or error}); {fix}.") from None
    nul = data.find(b"\0")
    if nul >= 0 and not data.startswith(UTF16_BOMS):
        raise TextSourceError(f"{path}: not a plain-text file (a NUL byte at offset {nul}, as in binary "
                              f"files); {fix}.")
    return data


def _stored_names(site_dir: Path) -> set[str]:
    try:
        return {entry["title"] for entry in json.loads((site_dir / "episodes.json").read_text(encoding="utf-8"))}
    except (OSError, ValueError, TypeError, KeyError):
        return set()


def _write_json_lines(path: Path, items: list[dict]) -> None:
    path.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items), encoding="utf-8")


def _fill(work: Path, files: list[tuple[Path, str]], settings: TextSettings) -> tuple[list[dict], int]:
    """Copy the files into `work` and write its manifest and episode list; (episodes, total bytes)."""
    manifest, episodes = [], []
    for number, (path, name) in enumerate(files, 1):
        data = read_text_file(path, settings)
        relative = f"pages/{name}"
        (work / relative).parent.mkdir(parents=True, exist_ok=True)
        (work / relative).write_bytes(data)
        url = path.as_posix()
        manifest.append({"url": url, "path": relative, "size": len(data),
                         "sha256": hashlib.sha256(data).hexdigest()})
        episodes.append({"id": f"{SITE}/{name}", "site": SITE, "show": settings.path, "season": 0,
                         "episodes": [number], "title": name, "url": url, "path": relative, "kind": "text"})
    _write_json_lines(work / "manifest.jsonl", manifest)
    (work / "episodes.json").write_text(json.dumps(episodes, ensure_ascii=False, indent=1) + "\n",
                                        encoding="utf-8")
    return episodes, sum(item["size"] for item in manifest)


def store_texts(settings: TextSettings, raw_dir: Path) -> dict:
    """Rebuild `raw_dir/text/files/` from the files `settings` names; return a summary:
    `{"site_dir", "files", "bytes", "removed": [names no longer there]}`."""
    raw_dir = Path(raw_dir)
    site_dir = raw_dir / SOURCE / SITE
    files = list_files(settings)
    raw_dir.mkdir(parents=True, exist_ok=True)
    for leftover in raw_dir.glob(WORK_PREFIX + "*"):   # from a run killed mid-swap: a stale copy
        shutil.rmtree(leftover)
    work = Path(tempfile.mkdtemp(dir=raw_dir, prefix=WORK_PREFIX + "new."))
    try:
        episodes, size = _fill(work, files, settings)
    except BaseException:
        shutil.rmtree(work)
        raise
    removed = sorted(_stored_names(site_dir) - {entry["title"] for entry in episodes})
    if site_dir.exists():
        old = Path(tempfile.mkdtemp(dir=raw_dir, prefix=WORK_PREFIX + "old."))
        os.replace(site_dir, old / SITE)
    else:
        old = None
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    os.replace(work, site_dir)
    if old is not None:
        shutil.rmtree(old)
    return {"site_dir": site_dir, "files": len(episodes), "bytes": size, "removed": removed}


def summary(result: dict, settings: TextSettings) -> str:
    """One line for stdout: what was recorded from where, and which files left since the last run."""
    where = settings.path if Path(settings.path).is_file() else f"{settings.path} ({settings.pattern})"
    files = f"{result['files']} file{'s' if result['files'] != 1 else ''}"
    line = f"text: {files}, {result['bytes']:,} bytes, from {where} in {result['site_dir']}"
    if result["removed"]:
        line += f"; no longer there, so removed: {', '.join(result['removed'])}"
    return line
