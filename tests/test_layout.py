"""The layout keeps its promises: dvc.yaml's deps cover exactly the code each stage imports, imports
run one way (common <- scrapers <- pipeline <- app, so nothing of the project imports `app`; no stage
into another, no cycle), no module is long, no function of the stages or the app takes more than six
parameters, and nothing points outside the repository.

A stage's code is found by `modulefinder` (the standard library's own import scanner, which also
sees imports inside functions), run on the module its `cmd` names, independently of how dvc.yaml
lists it.
"""
import ast
import re
from modulefinder import ModuleFinder
from pathlib import Path

import pytest
import yaml

from pipeline.train.fingerprint import imports_in

PROJECT = Path(__file__).resolve().parent.parent
PACKAGES = ("common", "scrapers", "pipeline", "app")
STAGES = yaml.safe_load((PROJECT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
STAGE_PACKAGES = {f"pipeline.{name}" for name in STAGES}
MAX_LINES = 250


def entry_module(cmd: str) -> str:
    return re.match(r"python -m ([\w.]+)", cmd).group(1)


def stage_code(name: str) -> set[str]:
    """Every project file that running the stage's cmd imports, relative to the project root."""
    module = entry_module(STAGES[name]["cmd"])
    base = PROJECT.joinpath(*module.split("."))
    script = base / "__main__.py" if base.is_dir() else base.with_suffix(".py")
    finder = ModuleFinder(path=[str(PROJECT)])  # only project modules resolve; that is all we want
    finder.run_script(str(script))
    files = {Path(m.__file__).resolve() for m in finder.modules.values() if m.__file__} | {script.resolve()}
    parts = module.split(".")  # `python -m a.b` imports the packages a and a.b before it runs
    files |= {PROJECT.joinpath(*parts[:i], "__init__.py") for i in range(1, len(parts) + 1)}
    return {str(f.relative_to(PROJECT)) for f in files if f.is_file()}


def listed_code(name: str) -> set[str]:
    """The Python files of the project packages that the stage's deps name (folders expanded)."""
    files = set()
    for dep in STAGES[name]["deps"]:
        path = PROJECT / dep
        if path.parts[len(PROJECT.parts)] in PACKAGES:
            found = path.rglob("*.py") if path.is_dir() else [path]
            files |= {str(f.relative_to(PROJECT)) for f in found if "__pycache__" not in f.parts}
    return files


@pytest.mark.parametrize("stage", list(STAGES))
def test_every_module_a_stage_imports_is_one_of_its_deps(stage):
    missing = stage_code(stage) - listed_code(stage)
    assert not missing, f"dvc.yaml: stage '{stage}' imports {sorted(missing)} but does not list it in its deps"


@pytest.mark.parametrize("stage", list(STAGES))
def test_a_stage_lists_no_module_it_does_not_import(stage):
    # an extra dep would make an edit rerun a stage that does not use the edited code
    extra = listed_code(stage) - stage_code(stage)
    assert not extra, f"dvc.yaml: stage '{stage}' lists {sorted(extra)}, which it never imports"


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (PROJECT / package).rglob("*.py"):
            parts = path.relative_to(PROJECT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imports_of(path: Path, name: str, modules: dict) -> set[str]:
    """The project modules `path` imports anywhere in it (the train stage's reader, tested below)."""
    return {module for module in imports_in(path, name) if module in modules}


MODULES = project_modules()
GRAPH = {name: imports_of(path, name, MODULES) for name, path in MODULES.items()}


def top(module: str) -> str:
    return module.split(".")[0]


def stage_of(module: str) -> str | None:
    return next((stage for stage in STAGE_PACKAGES if module == stage or module.startswith(stage + ".")), None)


def test_imports_run_one_way():
    allowed = {"common": {"common"}, "scrapers": {"common", "scrapers"},
               "pipeline": {"common", "scrapers", "pipeline"}, "app": set(PACKAGES)}
    wrong = [(module, imported) for module, imports in GRAPH.items() for imported in imports
             if top(imported) not in allowed[top(module)]]
    assert not wrong, f"imports against the layering common <- scrapers <- pipeline <- app: {wrong}"


def test_no_stage_imports_another_stage():
    crossing = [(module, imported) for module, imports in GRAPH.items() for imported in imports
                if stage_of(imported) and stage_of(imported) != stage_of(module)]
    assert not crossing, f"a stage's internals imported from outside it: {crossing}"


def test_there_is_no_import_cycle():
    def cycle_from(start):
        path, seen = [start], set()

        def visit(module):
            for imported in sorted(GRAPH[module]):
                if imported == start:
                    return path + [start]
                if imported not in seen:
                    seen.add(imported)
                    path.append(imported)
                    found = visit(imported)
                    if found:
                        return found
                    path.pop()
            return None
        return visit(start)

    cycles = [cycle for cycle in map(cycle_from, GRAPH) if cycle]
    assert not cycles, f"import cycles: {cycles[:3]}"


def test_the_import_reader_sees_imports_in_functions_relative_ones_and_submodules(tmp_path):
    """What the three checks above rely on: a forbidden import inside a function is still seen."""
    probe = tmp_path / "probe.py"
    probe.write_text("import common.params\nfrom . import episodes\n\n\ndef f():\n    from pipeline.train import fit\n")
    assert imports_of(probe, "scrapers.imsdb.probe", MODULES) == {
        "common.params", "scrapers.imsdb", "scrapers.imsdb.episodes", "pipeline.train", "pipeline.train.fit"}


def source_files() -> list[Path]:
    folders = [PROJECT / folder for folder in (*PACKAGES, "tests", "bench", "offline_site")]
    return [path for folder in folders for path in folder.rglob("*.py") if "__pycache__" not in path.parts]


def test_no_module_is_longer_than_the_limit():
    long = {str(path.relative_to(PROJECT)): n for path in source_files()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


MAX_PARAMETERS = 6


def parameter_counts(source: str, name: str) -> dict[str, int]:
    """Every function and method in `source` (the file `name`), as `name:line function`, with its
    parameters: positional, keyword-only, *args and **kwargs all count; a method's `self` or `cls` does not."""
    counts = {}
    tree = ast.parse(source)
    methods = {id(node) for owner in ast.walk(tree) if isinstance(owner, ast.ClassDef) for node in owner.body}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = node.args
            names = [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]
            names += [a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None]
            if id(node) in methods and names[:1] in (["self"], ["cls"]):
                names = names[1:]
            counts[f"{name}:{node.lineno} {node.name}"] = len(names)
    return counts


def test_no_function_of_the_stages_or_the_app_takes_more_than_six_parameters():
    """More travel as one value (e.g. TrainPaths, data.Batching, a settings object): five paths passed
    through three signatures, in two orders, was how this began."""
    files = {str(path.relative_to(PROJECT)): path.read_text(encoding="utf-8") for name in ("pipeline", "app")
             for path in sorted((PROJECT / name).rglob("*.py")) if "__pycache__" not in path.parts}
    counts = {where: n for name, source in files.items() for where, n in parameter_counts(source, name).items()}
    assert len(counts) > 100, "the walk found too few functions to be looking at the code"
    many = {where: n for where, n in counts.items() if n > MAX_PARAMETERS}
    assert not many, f"functions with more than {MAX_PARAMETERS} parameters: {many}"


def test_the_parameter_count_sees_keyword_only_and_starred_ones_but_not_self():
    probe = "class C:\n    def m(self, a, *b, c, **d):\n        pass\n\n\ndef f(self, x=1, /, *, y):\n    pass\n"
    assert parameter_counts(probe, "probe.py") == {"probe.py:2 m": 4, "probe.py:6 f": 3}


def test_nothing_points_outside_the_repository():
    outside = re.compile("/" + "work/|\\.\\./" + "shared")   # spelt in pieces so this file passes
    texts = source_files() + [*PROJECT.glob("*.md"), *(PROJECT / "docs").glob("*.md"), PROJECT / "dvc.yaml",
                              PROJECT / "params.yaml", PROJECT / "Makefile", *(PROJECT / "tests/fixtures").rglob("*.md")]
    pointing = [str(path.relative_to(PROJECT)) for path in texts if outside.search(path.read_text(encoding="utf-8"))]
    assert not pointing, f"files that cite a path outside the repository: {pointing}"
