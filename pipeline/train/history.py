"""A run's DVCLive history, kept inside each of its checkpoints, so a checkpoint carries its own curves.

In:  DVCLive's directory of the `train` stage (`metrics.json`, `plots/`, and our `samples/`) and the
     checkpoint directory.
Out: `keep(live_dir, checkpoints)`: a copy of those files in `checkpoints/live-<sha256[:16]>/`, named
     by its content, and its `(name, sha256)`; `tree_sha256(path)`; `put_back(source, live_dir)`: the
     live directory's files made exactly those of `source` (absent ones removed); `replace(source,
     target)`: one file or folder made a copy of another, or absent, through a temporary name;
     `remove(path)`: a file or folder gone; `best(live_dir, metric)`: the lowest value logged so far.

Why: DVCLive begins a fresh run by deleting its files, and `metrics.json` and `plots/` live in git,
not in DVC's cache. A run killed after that (kill -9, the machine going down) would leave the good
checkpoint without its history, and the rerun that resumes it would log on top of nothing. With the
copy, the curves are what the checkpoint says they are: a resume, a failure, or going back to an
earlier run's params puts them back byte for byte.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

LIVE_FILES = ("metrics.json", "plots", "samples")
PREFIX = "live-"


def tree_sha256(root: Path) -> str:
    """sha256 over every file under `root`: its path relative to `root`, then its bytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def replace(source: Path, target: Path) -> None:
    """Make `target` a copy of `source`, or absent when `source` is; the copy is made under a
    temporary name first, so `target` is never a half-written file."""
    source, target = Path(source), Path(target)
    if not source.exists():
        remove(target)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.tmp")
    remove(staging)
    if source.is_dir():
        shutil.copytree(source, staging)
        remove(target)  # a folder cannot be renamed over another
    else:
        shutil.copy2(source, staging)
    os.replace(staging, target)


def keep(live_dir: Path, checkpoints: Path) -> tuple[str, str]:
    """Copy DVCLive's files into the checkpoint directory; the copy's folder name and sha256."""
    staging = Path(checkpoints) / f".{PREFIX}new"
    remove(staging)
    staging.mkdir(parents=True)
    for name in LIVE_FILES:
        if (Path(live_dir) / name).exists():
            replace(Path(live_dir) / name, staging / name)
    digest = tree_sha256(staging)
    name = f"{PREFIX}{digest[:16]}"
    if (Path(checkpoints) / name).is_dir():  # named by content: the same history is already kept
        shutil.rmtree(staging)
    else:
        os.replace(staging, Path(checkpoints) / name)
    return name, digest


def put_back(source: Path, live_dir: Path) -> None:
    """Make DVCLive's files in `live_dir` exactly those kept in `source`."""
    for name in LIVE_FILES:
        replace(Path(source) / name, Path(live_dir) / name)


def best(live_dir: Path, metric: str) -> float | None:
    """The lowest value of `metric` (e.g. "eval/nats_per_char") in DVCLive's curve, None if none yet."""
    tsv = Path(live_dir) / "plots" / "metrics" / f"{metric}.tsv"
    if not tsv.is_file():
        return None
    values = [float(row.split("\t")[-1]) for row in tsv.read_text(encoding="utf-8").splitlines()[1:] if row]
    return min(values, default=None)
