"""A knob is declared once: the README's reference, the options' help, training's resume rules and the old
names all come from its declaration, and adding one takes its declaration, params.yaml and dvc.yaml only."""
import ast
import os
import re
import shutil
import sys
from dataclasses import fields, replace

import pytest

from common.params import RENAMED_KEYS, ParamsError, check_params, load_params, load_settings
from common.reference import problems
from common.settings import KNOBS, TrainSettings
from pipeline.check.rename import renamed
from processes import run


def test_the_readme_and_dvc_yaml_agree_with_the_declarations(project_root):
    """Fails when a knob's declaration changed and README.md's generated sections were not rewritten, or
    a stage's `params:` in dvc.yaml are not the keys its settings read."""
    assert problems(project_root, project_root / "README.md") == []


def copy_of_project(project_root, dest):
    for name in ("common", "pipeline", "params.yaml", "dvc.yaml", "README.md"):
        source = project_root / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copyfile(source, dest / name)
    return dest


def in_copy(copy, *argv):
    """`python argv...` run in the copy, importing the copy's modules (not the project's)."""
    return run([sys.executable, *argv], cwd=copy, env={**os.environ, "PYTHONPATH": str(copy)})


def add_field(settings_file, class_name: str, line: str) -> None:
    """Append a field line at the end of a settings class, as a person adding a knob would write it."""
    source = settings_file.read_text(encoding="utf-8")
    cls = next(node for node in ast.parse(source).body if isinstance(node, ast.ClassDef) and node.name == class_name)
    lines = source.splitlines(keepends=True)
    lines.insert(cls.end_lineno, f"    {line}\n")
    settings_file.write_text("".join(lines), encoding="utf-8")


def test_adding_a_knob_takes_its_declaration_params_yaml_and_dvc_yaml(project_root, tmp_path):
    copy = copy_of_project(project_root, tmp_path)
    meaning = "TFRecord files per split"
    add_field(copy / "common/settings.py", "WindowSettings",
              f'shards: int = knob("window.shards", POSITIVE, "{meaning}")')
    check = ["-m", "common.reference", "--check"]
    assert "missing key 'window.shards'" in in_copy(copy, *check).stderr

    params = (copy / "params.yaml").read_text()
    (copy / "params.yaml").write_text(params.replace("  compression: none", "  shards: 3\n  compression: none"))
    stale = in_copy(copy, *check)
    assert stale.returncode == 1
    assert "stage 'window'" in stale.stderr and "misses ['window.shards']" in stale.stderr
    assert "the section 'params reference' is stale" in stale.stderr

    dvc_yaml = (copy / "dvc.yaml").read_text()
    (copy / "dvc.yaml").write_text(dvc_yaml.replace("      - window.compression\n",
                                                    "      - window.compression\n      - window.shards\n"))
    assert in_copy(copy, "-m", "common.reference", "README.md").returncode == 0
    assert in_copy(copy, *check).returncode == 0
    row = next(line for line in (copy / "README.md").read_text().splitlines() if "`window.shards`" in line)
    assert row == f"| `window.shards` | a whole number > 0 | window | {meaning} |"
    assert in_copy(copy, "-m", "pipeline.check", "params.yaml", "checked").returncode == 0
    built = in_copy(copy, "-c", "from common.params import load_settings; from common.settings import WindowSettings; "
                                "print(load_settings(WindowSettings).shards)")
    assert built.stdout.strip() == "3", built.stderr

    (copy / "params.yaml").write_text(params.replace("  compression: none", "  shards: 0\n  compression: none"))
    refused = in_copy(copy, "-m", "pipeline.check", "params.yaml", "checked")
    assert refused.returncode == 1 and "'window.shards' is 0; it must be > 0" in refused.stderr


def with_old_names(text: str) -> str:
    """`text` as a params.yaml of the previous release would say it."""
    for old, new in RENAMED_KEYS.items():
        text = re.sub(rf"^(\s+){new.rpartition('.')[2]}:", rf"\g<1>{old.rpartition('.')[2]}:", text, flags=re.M)
    return re.sub(r"^(\s+source:) (live|offline)", r"\1 sample", text, flags=re.M)


def test_old_names_are_read_as_the_new_ones_and_said(project_root, capsys):
    params = load_params(project_root / "params.yaml")
    old = {**params, "train": {("sample_" + k[len("preview_"):] if k.startswith("preview_") else k): v
                               for k, v in params["train"].items()},
           "scrape": {**params["scrape"], "source": "sample"}}
    upgraded = check_params(old)
    assert upgraded == {**params, "scrape": {**params["scrape"], "source": "offline"}}
    assert list(upgraded["train"]) == list(params["train"])   # each renamed in its place
    said = capsys.readouterr().err
    for old_key, new_key in RENAMED_KEYS.items():
        assert f"'{old_key}' is now called '{new_key}'" in said
    assert "'scrape.source: sample' is now 'scrape.source: offline'" in said and "next release" in said


def test_a_key_given_under_both_names_is_refused(project_root):
    params = load_params(project_root / "params.yaml")
    params["train"]["sample_every"] = 1
    with pytest.raises(ParamsError, match="'train.sample_every' is the old name of 'train.preview_every', and both"):
        check_params(params)


def test_the_check_renames_only_the_old_words_of_params_yaml(project_root):
    """Comments, order, quotes and blank lines stay: the file is the user's."""
    comment = "\n# sample_every: source: sample, in a comment, stays\nclean:"
    current = (project_root / "params.yaml").read_text().replace("\nclean:", comment)
    old = with_old_names(current)
    assert "  sample_every:" in old and "  source: sample " in old
    text, notes = renamed(old)
    assert text == current.replace("  source: live ", "  source: offline ")
    assert len(notes) == len(RENAMED_KEYS) + 1
    assert renamed('scrape:\n  source: "sample"  # quoted\n')[0] == "scrape:\n  source: offline  # quoted\n"
    both = "train:\n  sample_every: 1\n  preview_every: 2\n"
    assert renamed(both) == (both, [])   # left for the check to refuse, naming both


def test_options_that_override_a_knob_say_what_it_means(tmp_path):
    shown = " ".join(run([sys.executable, "-m", "app.cli", "generate", "--help"], cwd=tmp_path).stdout.split())
    for key in ("sample.length", "sample.top_k", "sample.seed"):
        assert KNOBS[key].meaning in shown and f"{key} of " in shown, key


def test_a_changed_knob_resumes_a_run_exactly_when_it_is_declared_so(project_root):
    """Fails if `resumes=True` is ignored (every change would start over) or set on a knob that changes the
    arithmetic (a resumed run would mix two settings); `shape=True` names the model's shape in the message."""
    from pipeline.train.checkpoint import SHAPE_KEYS
    from pipeline.train.fingerprint import fingerprint

    settings = replace(load_settings(TrainSettings, project_root / "params.yaml"), lr_schedule="constant")
    meta = {"splits": {"train": {"shards": [{"bytes": 1}]}}, "vocab_sha256": "v", "step": 1}
    changed = {bool: lambda v: not v, int: lambda v: v + 1, float: lambda v: v / 2 if v else 0.1, str: lambda v: v + "x",
               tuple: lambda v: v + (9.0,)}
    for item in fields(TrainSettings):
        value = getattr(settings, item.name)
        other = replace(settings, **{item.name: changed[type(value)](value)})
        same = fingerprint(other, meta) == fingerprint(settings, meta)
        assert same == item.metadata["knob"].resumes, item.name
    assert SHAPE_KEYS == ("hidden_units", "layers", "embedding", "vocab_sha256")
