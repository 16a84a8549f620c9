"""Run the pipeline in a workspace of its own: the `make demo` target, and the end-to-end tests.

In:  the project directory (code, `dvc.yaml`, `params.yaml`, the bundled `offline_site/` and
     `texts/`) and a few param overrides.
Out: a separate git + DVC repository (by default `demo/`, ignored by the project's git and DVC)
     holding a copy of the code and the overridden `params.yaml`, where `dvc repro` runs. The
     user's own `params.yaml` and the full pipeline's outputs are never touched.

After the run the workspace is committed, so `dvc exp run -S train.step=25` followed by
`dvc metrics diff` inside it shows what the experiment changed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from common.params import check_params
from common.presets import DEMO

PROJECT_PATHS = ["common", "scrapers", "pipeline", "app", "offline_site", "texts", "dvc.yaml", "params.yaml",
                 ".dvcignore", ".dvc/plots.html"]
# Copied only into a new workspace: DVC adds its outputs to these, and they must stay there.
FIRST_TIME_PATHS = [".gitignore", ".dvc/config", ".dvc/.gitignore"]
# Copied by an older version under a name since changed: a refresh removes that copy, saying so.
RENAMED_PATHS = {"sample_site": "offline_site"}


def with_overrides(params: dict, overrides: dict) -> dict:
    """A copy of `params` with each dotted key in `overrides` set; unknown keys are refused."""
    params = yaml.safe_load(yaml.safe_dump(params))
    for dotted, value in overrides.items():
        node = params
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node[key]
        if leaf not in node:
            raise KeyError(f"override '{dotted}' names no key of params.yaml")
        node[leaf] = value
    return check_params(params, "overrides")


def dvc_env() -> dict:
    """The environment for git and DVC: no analytics, and this interpreter's `python` first on PATH."""
    env = dict(os.environ, DVC_NO_ANALYTICS="1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def run(args: list[str], cwd: Path, *, capture: bool = False) -> subprocess.CompletedProcess:
    """Run a command in `cwd`; raise CalledProcessError (with its output if captured) on failure."""
    return subprocess.run(args, cwd=cwd, env=dvc_env(), check=True, text=True,
                          capture_output=capture)


def dvc(args: list[str], cwd: Path, *, capture: bool = False) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "dvc", *args], cwd, capture=capture)


def _copy(source: Path, dest: Path) -> None:
    if dest.is_dir():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    else:
        shutil.copyfile(source, dest)


def commit_all(dest: Path, message: str) -> None:
    """Commit everything in the workspace, if anything changed."""
    run(["git", "add", "-A"], dest)
    if run(["git", "status", "--porcelain"], dest, capture=True).stdout.strip():
        run(["git", "commit", "-q", "-m", message], dest)


def prepare_workspace(project: Path, dest: Path, overrides: dict) -> Path:
    """Create or refresh `dest` as a git + DVC repo holding the project's code and overridden params."""
    project, dest = Path(project).resolve(), Path(dest).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_PATHS + [p for p in FIRST_TIME_PATHS if not (dest / p).exists()]:
        if (project / name).exists():
            _copy(project / name, dest / name)
    for old, new in RENAMED_PATHS.items():
        if (dest / old).is_dir():
            shutil.rmtree(dest / old)
            print(f"workspace: {old}/ is now {new}/; removed the old copy from {dest}", flush=True)
    params = with_overrides(yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8")), overrides)
    header = "# Written by scriptlm's workspace builder: the project's params.yaml with these overrides:\n"
    header += "".join(f"#   {key} = {value!r}\n" for key, value in overrides.items())
    (dest / "params.yaml").write_text(header + yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    if not (dest / ".git").exists():
        run(["git", "init", "-q"], dest)
    for key, value in (("user.name", "scriptlm demo"), ("user.email", "demo@scriptlm.invalid")):
        if subprocess.run(["git", "config", key], cwd=dest, capture_output=True).returncode != 0:
            run(["git", "config", key, value], dest)  # dvc exp run makes commits: it needs an identity
    run([sys.executable, "-m", "dvc", "config", "core.autostage", "true"], dest)  # dvc outputs' .gitignores
    commit_all(dest, "workspace: project code and params")
    return dest


def run_demo(project: Path, dest: Path) -> None:
    """Build the demo workspace, run the pipeline there, and say where everything is."""
    dest = prepare_workspace(project, dest, DEMO)  # the small, offline run (common/presets.py)
    print(f"demo workspace: {dest} (its own git + DVC repo; your params.yaml is untouched)", flush=True)
    dvc(["repro"], dest)
    commit_all(dest, "demo: pipeline results")
    dvc(["plots", "show", "-o", "dvc_plots"], dest, capture=True)
    shown = dvc(["metrics", "show"], dest, capture=True).stdout
    sample_file = dest / "data" / "samples" / "temperature-0.5.txt"
    print("\nmetrics:\n" + shown)
    print(f"metrics files: {dest}/data/corpus/stats.json, {dest}/metrics/windows.json, {dest}/dvclive/metrics.json")
    print(f"samples written during training: {dest}/dvclive/samples/")
    print(f"loss plot:     {dest}/dvc_plots/index.html")
    print(f"samples:       {dest}/data/samples/ (side by side in samples.md)")
    if sample_file.exists():
        print(f"\nfirst lines of {sample_file.name}:\n" + "\n".join(sample_file.read_text().splitlines()[:15]))
    print(f"\nnext: cd {dest.name} && dvc exp run -S train.step=25 && dvc metrics diff"
          "\n      (a window every 25 characters, so windows overlap by half: 2x the windows and the time per epoch)")
    print(f"\nsee the model write, compare experiments and follow a training in a browser:\n"
          f"      {serve_command(dest)}\n      then open http://127.0.0.1:8000/")


def serve_command(dest: Path) -> str:
    """The `scriptlm serve` command for the workspace, with paths as short as they can be from here."""
    def short(path: Path) -> str:
        relative = os.path.relpath(path)
        return path.as_posix() if relative.startswith("..") else relative

    return f"{short(Path(sys.executable).parent / 'scriptlm')} serve --workspace {short(dest)}"
