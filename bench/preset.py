"""Benchmark: the README's CPU preset, run exactly as the README writes it, in a workspace of its own.

In:  README.md's section "The CPU preset": its `dvc exp run -S scrape.source=text ...` command (the tiny
     Shakespeare run), read from the README itself so the command measured and the command printed
     cannot drift; the project's code and params.yaml, copied into a fresh git + DVC workspace
     (`app.workspace.prepare_workspace`) in a temporary directory, where the command runs.
Out: the command's output as it runs, then: the wall time of the whole `dvc exp run` and of each stage
     in it, each epoch's training seconds (from the train stage's `train/chars_per_s`: batches only, no
     evaluation) and validation nats/char (DVCLive's TSVs), the final and the best with its epoch, the
     best n-gram on the same characters, this machine's float32 matmul peak as `bench/train.py`
     measures it (to read the times against another machine's), and one JSON line last.

Run: `.venv/bin/python bench/preset.py` on an otherwise idle machine (about 10-15 minutes on 2 cores).
`--epochs N` / `--units N` change the README's command for a quick check: such a run is NOT the preset,
and its JSON says `"preset": false`. `--keep DIR` runs in DIR (new or empty) and keeps it.
"""
import argparse
import json
import re
import shlex
import sys
import tempfile
from pathlib import Path

from app.workspace import dvc_env, prepare_workspace
from timed import machine, run_timed  # bench/ is this script's own folder, first on sys.path

PROJECT = Path(__file__).resolve().parent.parent
SECTION = "### The CPU preset"
STAGE_LINE = re.compile(r"^Running stage '([^']+)'")


class PresetError(Exception):
    pass


def readme_command(readme: Path) -> list[str]:
    """The measured command of README's CPU preset section: the one `dvc exp run` with scrape.source=text."""
    lines = readme.read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(SECTION)), None)
    if start is None:
        raise PresetError(f"{readme}: no section '{SECTION}'; bench/preset.py reads the preset's command there.")
    commands, fence = [], None
    for line in lines[start + 1:]:
        if line.startswith("```"):
            fence = line[3:].strip() if fence is None else None
        elif fence is None and line.startswith("#"):
            break  # the next heading: the section ends
        elif fence == "sh":
            commands.append(line)
    commands = [shlex.split(line, comments=True) for line in "\n".join(commands).replace("\\\n", " ").splitlines()]
    commands = [words for words in commands if words[:3] == ["dvc", "exp", "run"] and "scrape.source=text" in words]
    if len(commands) != 1:
        raise PresetError(f"{readme}: section '{SECTION}' holds {len(commands)} `dvc exp run -S scrape.source=text` "
                          "commands in ```sh blocks; bench/preset.py needs exactly one, the measured preset.")
    return commands[0]


def with_setting(command: list[str], key: str, value) -> list[str]:
    """`command` with its `-S key=...` set to `value` (added if it has none)."""
    command = list(command)
    for i, word in enumerate(command[:-1]):
        if word == "-S" and command[i + 1].split("=", 1)[0] == key:
            command[i + 1] = f"{key}={value}"
            return command
    return [*command, "-S", f"{key}={value}"]


def stage_seconds(lines: list, total: float) -> dict:
    """Seconds from each `Running stage 'X'` line of DVC to the next (the last: to the end of the run)."""
    starts = [(t, m.group(1)) for t, line in lines if (m := STAGE_LINE.match(line))]
    ends = [t for t, _ in starts[1:]] + [total]
    return {name: round(end - t, 1) for (t, name), end in zip(starts, ends)}


def read_tsv(path: Path) -> list[float]:
    if not path.exists():
        raise PresetError(f"{path} is missing: the train stage did not log its epochs (see the output above).")
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    return [float(row.split("\t")[1]) for row in rows if row.strip()]


def results(workspace: Path) -> dict:
    """Per-epoch training seconds and validation nats/char, the final and best, the best n-gram."""
    from common.params import load_settings
    from common.settings import TrainSettings

    settings = load_settings(TrainSettings, workspace / "params.yaml")
    meta = json.loads((workspace / "data/windows/meta.json").read_text(encoding="utf-8"))
    predicted = meta["splits"]["train"]["windows"] * (settings.section_length if settings.objective == "all" else 1)
    plots = workspace / "dvclive/plots/metrics"
    val = read_tsv(plots / "eval/nats_per_char.tsv")
    epoch_s = [predicted / rate for rate in read_tsv(plots / "train/chars_per_s.tsv")]
    summary = json.loads((workspace / "dvclive/metrics.json").read_text(encoding="utf-8"))
    best = min(range(len(val)), key=val.__getitem__)
    return {"epochs": len(val), "hidden_units": settings.hidden_units, "train_epoch_s": [round(s, 1) for s in epoch_s],
            "train_s": round(sum(epoch_s), 1), "val_nats_per_epoch": [round(v, 4) for v in val],
            "final_val_nats": round(summary["eval"]["nats_per_char"], 4), "best_val_nats": round(val[best], 4),
            "best_epoch": best + 1, "best_ngram": round(summary["baselines"]["best_ngram"], 4)}


def run_preset(command: list[str], workspace: Path) -> dict:
    prepare_workspace(PROJECT, workspace, {})
    print(f"workspace: {workspace}\nrunning: {shlex.join(command)}", flush=True)
    timed = run_timed([sys.executable, "-m", "dvc", *command[1:]], workspace, dict(dvc_env(), PYTHONUNBUFFERED="1"))
    if timed.returncode != 0:
        raise PresetError(f"`{shlex.join(command)}` exited {timed.returncode} in {workspace}; its last lines:\n"
                          + timed.tail())
    return {"exp_run_s": round(timed.wall_s, 1), "stage_s": stage_seconds(timed.lines, timed.wall_s),
            **results(workspace)}


def report(line: dict) -> None:
    minutes, seconds = divmod(round(line["exp_run_s"]), 60)
    print(f"\n{'the README CPU preset' if line['preset'] else 'NOT the preset (changed by --epochs/--units)'}: "
          f"{line['command']}")
    print(f"dvc exp run: {minutes} min {seconds} s in all; per stage: "
          + ", ".join(f"{name} {s:.0f} s" for name, s in line["stage_s"].items()))
    print(f"training alone (batches, no evaluation): {line['train_s']:.0f} s, "
          f"{line['train_s'] / line['epochs']:.0f} s per epoch")
    for epoch, (nats, s) in enumerate(zip(line["val_nats_per_epoch"], line["train_epoch_s"]), 1):
        print(f"  epoch {epoch:2d}: {nats:.4f} nats/char on the validation text, {s:.0f} s of training")
    print(f"final {line['final_val_nats']:.4f}, best {line['best_val_nats']:.4f} after epoch {line['best_epoch']}; "
          f"best n-gram on the same characters {line['best_ngram']:.4f}")
    print(f"float32 matmul peak of this machine: {line['matmul_peak_gflops']:.0f} GFLOP/s ({line['cpu']}, "
          f"{line['cores']} cores)")
    print(json.dumps(line))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, help="NOT the preset: train.epochs for a quick check")
    parser.add_argument("--units", type=int, help="NOT the preset: train.hidden_units for a quick check")
    parser.add_argument("--keep", type=Path, help="run in this directory (new or empty) and keep it")
    args = parser.parse_args()
    try:
        command = readme_command(PROJECT / "README.md")
        for key, value in (("train.epochs", args.epochs), ("train.hidden_units", args.units)):
            if value is not None:
                command = with_setting(command, key, value)
        if args.keep and args.keep.exists() and any(args.keep.iterdir()):
            raise PresetError(f"--keep {args.keep}: the directory is not empty; give a new or empty one.")
        if args.keep:
            measured = run_preset(command, args.keep / "ws")
        else:
            with tempfile.TemporaryDirectory(prefix="bench-preset-") as tmp:
                measured = run_preset(command, Path(tmp) / "ws")
    except PresetError as error:
        sys.exit(f"bench/preset.py: {error}")
    from train import matmul_peak_gflops  # imports TensorFlow: only now, after the run, not during it

    report({"preset": command == readme_command(PROJECT / "README.md"), "command": shlex.join(command), **measured,
            "matmul_peak_gflops": round(matmul_peak_gflops(), 1), **machine()})


if __name__ == "__main__":
    main()
