"""The models `scriptlm serve` shows: each workspace's own, and every DVC experiment and commit of it whose
train stage produced one, with their headline numbers, curves and the params that differ.

In:  workspace directories (git + DVC repositories: the project, `demo/`); experiments and commits are
     found with `dvc.api.exp_show` and read with `dvc.api.DVCFileSystem` at their revision (model files
     from DVC's cache), so the workspace is never checked out; a scratch directory for model copies.
Out: `Catalog.models()` -> [{id, label, kind, state, headline, differing}]; `curve(id)`; `live(id)` (a
     workspace's curve, latest preview and whether it is training, with a signature that changes when
     they do); `model_dir(id)` -> a directory with that model's model.keras and vocab.json. An id is an
     opaque name from the listing: anything else is `UnknownModel`, so no other file is reachable.
"""
from __future__ import annotations

import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from app import runfiles

COMMITS = 20        # experiments and commits of the last this many commits of each workspace
FRESH_FOR = 5.0     # seconds a listing is reused (exp_show reads every experiment's files)


class UnknownModel(KeyError):
    """An id that is not in the listing: refused, never turned into a path."""


class Busy(RuntimeError):
    """The model is being written by a running training; the message says so."""


@dataclass(frozen=True)
class Entry:
    id: str
    root: Path
    rev: str | None      # None: the workspace's files on disk
    label: str
    kind: str            # workspace, experiment or commit


def _short_sha(root: Path, rev: str) -> str:
    done = subprocess.run(["git", "rev-parse", "--short=7", f"{rev}^{{commit}}"], cwd=root, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else rev


def _stamp(root: Path) -> list:
    """When the workspace's model files last changed (those there are): a run that ends replaces them."""
    return [(root / path).stat().st_mtime_ns for path in runfiles.MODEL_FILES if (root / path).exists()]


def _exp_rows(root: Path) -> list[dict]:
    import dvc.api

    return dvc.api.exp_show(repo=str(root), num=COMMITS)


class Catalog:
    def __init__(self, roots: list[Path], scratch: Path):
        self.roots = [Path(root).resolve() for root in roots]
        self.scratch = Path(scratch)
        self.lock = threading.Lock()
        self.entries: dict[str, Entry] = {}
        self.listed: list[dict] = []
        self.listed_at = -FRESH_FOR
        self.problems: list[str] = []
        self.read_cache: dict = {}

    def _name(self, root: Path) -> str:
        return root.name if len(self.roots) > 1 else "workspace"

    def _read(self, entry: Entry, path: str) -> str | None:
        """A small file of the entry as text; None if it has none."""
        if entry.rev is None:
            try:
                return (entry.root / path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return None
        key = (entry.root, entry.rev, path)
        if key not in self.read_cache:  # a revision's files never change: each is read once
            from dvc.api import DVCFileSystem

            try:
                self.read_cache[key] = DVCFileSystem(str(entry.root), rev=entry.rev).read_text(path, encoding="utf-8")
            except FileNotFoundError:  # the revision lacks it, for good
                self.read_cache[key] = None
            except Exception:  # DVC's own errors (a lock, a repository being written): try again next time
                return None
        return self.read_cache[key]

    def _describe(self, entry: Entry, reference: str | None) -> dict:
        """The listing's row of an entry; `reference`: its workspace's params.yaml, as text."""
        metrics = runfiles.read_metrics(self._read(entry, runfiles.METRICS))
        training = entry.rev is None and runfiles.training(entry.root)
        on_disk = entry.rev is not None or (entry.root / runfiles.MODEL_FILES[0]).exists()
        return {"id": entry.id, "label": entry.label, "kind": entry.kind,
                "state": "training" if training else "ready" if on_disk else "no model",
                "headline": runfiles.headline(metrics),
                "differing": {} if entry.rev is None else runfiles.differing(self._read(entry, runfiles.PARAMS), reference)}

    def _scan(self, root: Path) -> list[Entry]:
        name = self._name(root)
        found = []
        if (root / runfiles.MODEL_FILES[0]).exists() or runfiles.training(root):
            found.append(Entry(f"{name}", root, None, f"{name}: models/ (on disk)", "workspace"))
        try:
            rows = _exp_rows(root)
        except Exception as error:  # not a git + DVC repository, or DVC could not read it
            self.problems.append(f"{root}: no experiments or commits read ({type(error).__name__}: {error})"[:300])
            return found
        by_model = {}  # the model files' hash -> (position, entry): of commits that share one, the oldest is
        for position, row in enumerate(rows):  # the one whose train stage made it (exp_show lists newest first)
            rev, typ, state = row.get("rev"), row.get("typ"), row.get("State")
            if not rev or typ == "workspace" or state in ("Queued", "Running", "Failed"):
                continue
            if typ == "baseline":  # a branch's name for the newest commit: pin it, its model must not change
                sha = _short_sha(root, rev)
                label = f"{name}: commit {sha}" + (f" ({rev})" if sha != rev else "")
                entry = Entry(f"{name}@{sha}", root, sha, label, "commit")
            else:
                entry = Entry(f"{name}@{rev}", root, rev, f"{name}: experiment {row.get('Experiment') or ''} ({rev})".replace("  ", " "),
                              "experiment")
            model = runfiles.model_hash(self._read(entry, runfiles.LOCKFILE))
            if model is not None:
                by_model[model] = (position, entry)
        return found + [entry for _, entry in sorted(by_model.values(), key=lambda found: found[0])]

    def models(self, refresh: bool = False) -> list[dict]:
        """Every model found, described; reused for FRESH_FOR seconds unless `refresh`."""
        with self.lock:
            if refresh or time.monotonic() - self.listed_at > FRESH_FOR:
                self.problems = []
                entries = [entry for root in self.roots for entry in self._scan(root)]
                self.entries = {entry.id: entry for entry in entries}
                params = {root: self._read(Entry("", root, None, "", "workspace"), runfiles.PARAMS) for root in self.roots}
                self.listed = [self._describe(entry, params[entry.root]) for entry in entries]
                self.listed_at = time.monotonic()
            return self.listed

    def entry(self, model_id: str) -> Entry:
        if model_id not in self.entries:
            self.models()
        if model_id not in self.entries:
            raise UnknownModel(f"no model {model_id!r} here: choose one of the list")
        return self.entries[model_id]

    def curve(self, model_id: str) -> dict:
        """The validation curve per epoch and the n-gram line of that model's run."""
        entry = self.entry(model_id)
        metrics = runfiles.read_metrics(self._read(entry, runfiles.METRICS))
        return {"id": entry.id, "label": entry.label, "points": runfiles.curve(self._read(entry, runfiles.CURVE)),
                "baseline": runfiles.headline(metrics)["best_ngram"]}

    def live(self, model_id: str) -> dict:
        """A workspace's run as it is now; `signature` changes whenever its files do."""
        entry = self.entry(model_id)
        if entry.rev is not None:
            raise UnknownModel(f"{model_id!r} is a saved run: only a workspace's run is followed live")
        paths = [entry.root / runfiles.METRICS, entry.root / runfiles.CURVE, *sorted((entry.root / runfiles.SAMPLES).glob("epoch-*.md"))]
        training = runfiles.training(entry.root)
        stats = [(p.name, p.stat()) for p in paths if p.exists()]
        signature = [training] + [(name, stat.st_mtime_ns, stat.st_size) for name, stat in stats]
        return {**self.curve(model_id), "training": training, "signature": repr(signature),
                "preview": runfiles.latest_preview(entry.root / runfiles.SAMPLES)}

    def model_dir(self, model_id: str) -> Path:
        """A directory holding the model's model.keras and vocab.json, copied whole: from the workspace
        (refused while a training holds it: it may be writing them) or from DVC's cache at the revision."""
        entry = self.entry(model_id)
        dest = self.scratch / entry.id.replace("/", "_").replace("@", "-at-")
        if entry.rev is not None and dest.exists():
            return dest  # a revision's files never change
        tmp = dest.with_name(dest.name + ".part")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if entry.rev is None:
            self._copy_workspace(entry, tmp)
        else:
            from dvc.api import DVCFileSystem

            fs = DVCFileSystem(str(entry.root), rev=entry.rev)
            for path in runfiles.MODEL_FILES:
                try:
                    fs.get_file(path, str(tmp / Path(path).name))
                except Exception as error:
                    raise FileNotFoundError(f"{entry.label}: {path} is not in DVC's cache here ({type(error).__name__}); "
                                            f"`dvc pull` or `dvc exp pull` it, then reload") from None
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
        return dest

    @staticmethod
    def _busy(entry: Entry) -> Busy:
        return Busy(f"{entry.label}: a training is writing this model now; it can be used when the run ends "
                    "(its curve and previews are shown as it goes)")

    def _copy_workspace(self, entry: Entry, tmp: Path) -> None:
        busy = self._busy(entry)
        if runfiles.training(entry.root):
            raise busy
        for path in runfiles.MODEL_FILES:
            if not (entry.root / path).exists():
                raise FileNotFoundError(f"{entry.root / path}: not found; `dvc repro` trains a model there")
        before = _stamp(entry.root)
        for path in runfiles.MODEL_FILES:
            shutil.copyfile(entry.root / path, tmp / Path(path).name)
        if _stamp(entry.root) != before or runfiles.training(entry.root):  # replaced while copied: never half of each
            raise busy

    def version(self, model_id: str) -> str:
        """What identifies the model's current files: a workspace model changes when a run ends, and is
        not used while a run is writing it (Busy), even if an earlier copy is loaded."""
        entry = self.entry(model_id)
        if entry.rev is not None:
            return entry.rev
        if runfiles.training(entry.root):
            raise self._busy(entry)
        return repr(_stamp(entry.root))
