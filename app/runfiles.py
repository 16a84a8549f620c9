"""What a training run leaves in its workspace, read for `scriptlm serve`: pure functions of file contents.

In:  the texts of files the train stage and DVCLive write (`dvclive/metrics.json`, the curve
     `dvclive/plots/metrics/eval/nats_per_char.tsv`, `dvclive/samples/epoch-*.md`, `params.yaml`,
     `data/corpus/train.txt`), and a workspace directory for the trainer's lock.
Out: `headline(metrics)` (validation nats/char of the published model, the best n-gram, epochs);
     `curve(tsv)` ([epoch, nats] pairs); `differing(params, reference)` (dotted keys whose values
     differ); `model_hash(dvc.lock)` (what identifies a run's model); `latest_preview(samples_dir)`; `training(root)` (a trainer holds its lock now);
     `default_prompt(train_text)` (the cue of the corpus's most frequent speaker).
"""
from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import yaml

from common.script import speaker_name, speeches

METRICS = "dvclive/metrics.json"
CURVE = "dvclive/plots/metrics/eval/nats_per_char.tsv"
SAMPLES = "dvclive/samples"
PARAMS = "params.yaml"
LOCKFILE = "dvc.lock"
MODEL_FILES = ("models/model.keras", "models/vocab.json")
LOCK = "checkpoints/.lock"  # pipeline/train/lock.py holds an exclusive flock on it while training


def read_metrics(text: str | None) -> dict:
    """metrics.json as a dict; {} for a missing or unreadable file (a run that has not logged yet)."""
    try:
        metrics = json.loads(text) if text else {}
    except ValueError:
        return {}
    return metrics if isinstance(metrics, dict) else {}


def headline(metrics: dict) -> dict:
    """The numbers shown beside a model: the published model's validation nats/char (the kept epoch's
    under `train.keep: best`, else the last epoch's), the best n-gram on the same characters, epochs."""
    kept = metrics.get("kept") or {}
    last = (metrics.get("eval") or {}).get("nats_per_char")
    steps = metrics.get("step")
    return {"nats_per_char": kept.get("eval_nats_per_char", last),
            "best_ngram": (metrics.get("baselines") or {}).get("best_ngram"),
            "epochs": steps + 1 if isinstance(steps, int) else None,
            "kept_epoch": kept.get("epoch")}


def curve(tsv: str | None) -> list[list[float]]:
    """[[epoch, nats/char], ...] from DVCLive's TSV (a header, then step<TAB>value rows); epochs count
    from 1. Rows that do not parse (a line being written) are left out."""
    points = []
    for row in (tsv or "").splitlines()[1:]:
        cells = row.split("\t")
        try:
            points.append([int(cells[0]) + 1, float(cells[-1])])
        except (ValueError, IndexError):
            continue
    return points


def model_hash(lock_text: str | None) -> str | None:
    """The hash dvc.lock records for the train stage's `models` output; None if the stage never ran."""
    try:
        lock = yaml.safe_load(lock_text or "") or {}
        outs = lock["stages"]["train"]["outs"]
    except (yaml.YAMLError, KeyError, TypeError):
        return None
    for out in outs if isinstance(outs, list) else []:
        if isinstance(out, dict) and out.get("path") == "models":
            return out.get("md5") or out.get("hash") or None
    return None


def _flat(node, prefix: str = "") -> dict:
    if isinstance(node, dict):
        flat = {}
        for key, value in node.items():
            flat.update(_flat(value, f"{prefix}{key}."))
        return flat
    return {prefix[:-1]: node}


def differing(params_text: str | None, reference_text: str | None) -> dict:
    """{dotted key: value} of the params.yaml keys whose values differ from the reference's."""
    try:
        params, reference = (_flat(yaml.safe_load(text or "") or {}) for text in (params_text, reference_text))
    except yaml.YAMLError:
        return {}
    return {key: value for key, value in params.items() if reference.get(key, object()) != value}


def latest_preview(samples_dir: Path) -> dict | None:
    """The newest training preview (`epoch-NNN.md`): {"epoch": N, "text": its markdown}; None if none."""
    files = sorted(Path(samples_dir).glob("epoch-*.md"))
    if not files:
        return None
    try:
        return {"epoch": int(files[-1].stem.split("-")[1]), "text": files[-1].read_text(encoding="utf-8")}
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def training(root: Path) -> bool:
    """Whether a trainer holds `checkpoints/.lock` of this workspace now. Read from /proc/locks, so the
    page never takes the lock itself (a trainer starting at that moment would be refused)."""
    try:
        inode = os.stat(Path(root) / LOCK).st_ino
    except OSError:
        return False
    try:
        table = Path("/proc/locks").read_text()
    except OSError:
        return _holder_alive(Path(root) / LOCK)
    for line in table.splitlines():
        fields = line.split()
        if "FLOCK" in fields and "->" not in fields:  # "->": a process waiting for the lock, not holding it
            device_inode = fields[fields.index("FLOCK") + 4]
            if device_inode.rsplit(":", 1)[-1] == str(inode):
                return True
    return False


def _holder_alive(lock: Path) -> bool:
    """Without /proc/locks: whether the PID written in the lock file is a live process."""
    try:
        os.kill(int(lock.read_text().split()[0]), 0)
    except (OSError, ValueError, IndexError):
        return False
    return True


def default_prompt(train_text: str | None) -> str:
    """The cue line of the corpus's most frequent speaker, e.g. "CARTMAN\\n"; a newline without a corpus."""
    counts = Counter(speaker_name(cue) for cue in speeches(train_text or ""))
    return f"{counts.most_common(1)[0][0]}\n" if counts else "\n"
