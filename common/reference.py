"""The README's params reference, written from the knobs' declarations, and the checks that keep a knob's
other places (params.yaml, dvc.yaml, README.md) in step with its declaration.

In:  a project directory (README.md, params.yaml, dvc.yaml) and the declarations of `common/settings.py`.
Out: `python -m common.reference README.md` rewrites the README's generated sections, each between a
     `<!-- BEGIN name ... -->` and an `<!-- END name -->` line: the params table (key, what its value must
     be, the stages that read it with training's flags, what it means), the renamed knobs, and the demo's overrides
     (`common/presets.py`). `python -m common.reference --check README.md` changes nothing and exits 1
     printing every `problems()`: a stale section, a stage whose `params:` in dvc.yaml are not exactly the
     keys its settings read, a params.yaml the check refuses.
Run from the project root (the folder of dvc.yaml).
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

from common.knobs import ParamsError, expected, keys_of
from common.params import RENAMED_KEYS, RENAMED_VALUES, load_params
from common.presets import DEMO
from common.settings import KNOBS, STAGE_SETTINGS


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("*", "\\*") if "`" not in text else text.replace("|", "\\|")


def _value(value) -> str:
    """A value as params.yaml writes it: offline, 0.0, [0.2, 0.5]."""
    return yaml.safe_dump({"v": value}, default_flow_style=True, width=1000).strip()[len("{v: "):-1]


def params_table() -> str:
    """Every knob, group by group in the stages' order (as params.yaml has them): key, what it must be, the
    stages that read it, what it means."""
    readers = {key: [stage for stage, cls in STAGE_SETTINGS.items() if key in keys_of(cls)] for key in KNOBS}
    read = list(dict.fromkeys(key for cls in STAGE_SETTINGS.values() for key in keys_of(cls)))
    rows = ["| key | value | read by | meaning |", "|---|---|---|---|"]
    for key in sorted(read, key=lambda key: list(STAGE_SETTINGS).index(key.partition(".")[0])):
        knob = KNOBS[key]
        flags = " (resumes)" if knob.resumes else " (shape)" if knob.shape else ""
        rows.append(f"| `{key}` | {_cell(expected(knob.rule))} | {', '.join(readers[key])}{flags} | "
                    f"{_cell(knob.meaning)} |")
    return "\n".join(rows)


def renamed_list() -> str:
    """The knobs and values renamed in this release, old -> new."""
    lines = [f"- `{old}` is now `{new}`" for old, new in RENAMED_KEYS.items()]
    lines += [f"- `{key}: {old}` is now `{key}: {new}`" for key, renames in RENAMED_VALUES.items()
              for old, new in renames.items()]
    return "\n".join(lines)


def demo_list() -> str:
    """The demo's overrides of params.yaml."""
    return "\n".join(f"- `{key}: {_value(value)}`" for key, value in DEMO.items())


SECTIONS = {"params reference": params_table, "renamed knobs": renamed_list, "demo overrides": demo_list}


def _section(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- BEGIN {name}\b[^\n]*-->\n)(.*?)(<!-- END {name} -->)", re.S)


def rewritten(readme: str) -> str:
    """`readme` with every generated section written afresh from the declarations."""
    for name, write in SECTIONS.items():
        if not _section(name).search(readme):
            raise ValueError(f"README has no section '{name}': add a line '<!-- BEGIN {name} -->' and one "
                             f"'<!-- END {name} -->'")
        readme = _section(name).sub(lambda match: match.group(1) + write() + "\n" + match.group(3), readme)
    return readme


def problems(root: Path, readme: Path) -> list[str]:
    """Every way the project at `root` disagrees with the knobs' declarations."""
    try:
        load_params(root / "params.yaml")
    except ParamsError as error:
        return [str(error)]
    found = []
    stages = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    for name, cls in STAGE_SETTINGS.items():
        listed, read = set(stages.get(name, {}).get("params", [])), set(keys_of(cls))
        if listed - read:
            found.append(f"dvc.yaml: stage '{name}' lists params {sorted(listed - read)}, which {cls.__name__} "
                         "does not read")
        if read - listed:
            found.append(f"dvc.yaml: stage '{name}' misses {sorted(read - listed)} in its params, which "
                         f"{cls.__name__} reads")
    text = readme.read_text(encoding="utf-8")
    try:
        stale = [name for name in SECTIONS if _section(name).search(rewritten(text)).group(2)
                 != _section(name).search(text).group(2)]
    except ValueError as error:
        return found + [f"{readme}: {error}"]
    found += [f"{readme}: the section '{name}' is stale; run `python -m common.reference {readme}`" for name in stale]
    return found


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m common.reference", description=__doc__.splitlines()[0])
    parser.add_argument("readme", type=Path, nargs="?", default=Path("README.md"), help="default: README.md")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 naming every problem")
    args = parser.parse_args(argv)
    root = Path.cwd()
    if args.check:
        found = problems(root, args.readme)
        for problem in found:
            print(problem, file=sys.stderr)
        sys.exit(1 if found else 0)
    try:
        args.readme.write_text(rewritten(args.readme.read_text(encoding="utf-8")), encoding="utf-8")
    except ValueError as error:
        sys.exit(f"reference: {error}")
    print(f"reference: wrote the params reference of {args.readme}")


if __name__ == "__main__":
    main()
