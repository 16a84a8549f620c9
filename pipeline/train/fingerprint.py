"""What a training run's result is a function of, so a checkpoint is resumed only by the same run.

In:  the train settings, the windows' meta.json, and the stage's own source files.
Out: `fingerprint(settings, meta)`: the params that shape the weights, the data's hashes and the
     sha256 of every project module the train stage imports (`code_files()`, read from the source
     with `ast`, so it does not depend on what else the process has imported).

A checkpoint whose fingerprint differs is not resumed: an edit to the model code, a new learning
rate or new windows give a new run, as DVC's rerun of the stage intends.
"""
from __future__ import annotations

import ast
import hashlib
from pathlib import Path

from common.knobs import flagged
from common.settings import TrainSettings, json_ready

PROJECT = Path(__file__).resolve().parent.parent.parent
PACKAGES = ("common", "scrapers", "pipeline")
ENTRY = "pipeline.train.__main__"
# Not part of what the weights are (`resumes=True` on their declarations, common/settings.py): changing
# these resumes the run. `epochs` is there because an exact resume of a shorter run, trained on, gives
# the same weights as the longer run from scratch...
FREE_KEYS = flagged(TrainSettings, "resumes")
# ... unless the learning rate follows a schedule over the whole run, which `epochs` stretches.
SPANS_THE_RUN = ("cosine",)


def _module_file(name: str) -> Path | None:
    base = PROJECT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imports_in(path: Path, name: str) -> set[str]:
    """The project modules the source of module `name` imports anywhere (`from a import b` of a submodule
    b counts as a.b; a name that is not a module is left for the caller to drop)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + [base]).strip(".")
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return {module for module in found if module.split(".")[0] in PACKAGES}


def code_files(entry: str = ENTRY) -> list[Path]:
    """Every project source file that running `entry` imports (parent packages' __init__ included)."""
    seen, todo = set(), [entry]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for prefix in (".".join(parts[:i]) for i in range(1, len(parts) + 1)):
            path = _module_file(prefix)
            if path is not None and prefix not in seen:
                seen.add(prefix)
                todo += sorted(imports_in(path, prefix))
    return sorted({_module_file(name) for name in seen})


def code_sha256(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(PROJECT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def fingerprint(settings: TrainSettings, windows_meta: dict) -> dict:
    """What must match for a checkpoint to be resumed: the params but FREE_KEYS, the data and the code."""
    shards = [s.get("sha256", s["bytes"]) for split in windows_meta["splits"].values() for s in split["shards"]]
    free = [key for key in FREE_KEYS if not (key == "epochs" and settings.lr_schedule in SPANS_THE_RUN)]
    kept = {key: value for key, value in json_ready(settings).items() if key not in free}
    return {**kept, "vocab_sha256": windows_meta["vocab_sha256"], "step": windows_meta["step"],
            "windows": shards, "code_sha256": code_sha256(code_files())}
