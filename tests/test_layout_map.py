"""The README's Layout map stays true: it names every module and package folder of the four packages,
and nothing of theirs that does not exist.

In:  README.md's "## Layout" section, whose code block is a tree: a line whose first word ends with `/`
     is a folder, inside the folder of the nearest line above it that is less indented; every other
     line, and the rest of a folder's line, belongs to the folder it sits in, and a bare `name.py` there
     (not part of a path such as `tests/loopback.py`) names that folder's module.
Out: a failure naming each module (`__init__.py` aside: its folder stands for it) or package folder
     of common/, scrapers/, pipeline/ and app/ the map leaves out, and each one it names that is not
     there. Before this test the map had fallen behind the code: it left out common/settings.py,
     scrapers/robots.py, scrapers/urls.py and scrapers/imsdb/screenplay.py.
"""
import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
PACKAGES = ("common", "scrapers", "pipeline", "app")
FOLDER = re.compile(r"(\s*)([\w.-]+/)(?=\s|$)")
MODULE = re.compile(r"(?<![\w./<>-])([A-Za-z_]\w*\.py)\b")


def layout_map(readme: str) -> str:
    """The code block of the README's Layout section."""
    section = re.search(r"^## Layout\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, "README.md has no '## Layout' section"
    block = re.search(r"^```\n(.*?)^```", section.group(1), re.S | re.M)
    assert block, "README.md's Layout section has no code block"
    return block.group(1)


def mentioned(tree: str) -> set[str]:
    """Every folder (`a/b/`) and module (`a/b/c.py`) the tree names, as paths from the project root."""
    names, open_folders = set(), []   # (indent, path) of the folders the current line may sit in
    for line in tree.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        while open_folders and open_folders[-1][0] >= indent:
            open_folders.pop()
        here = open_folders[-1][1] if open_folders else ""
        folder = FOLDER.match(line)
        if folder:
            here += folder.group(2)
            open_folders.append((indent, here))
            names.add(here)
            line = line[folder.end():]
        names |= {here + module for module in MODULE.findall(line)}
    return names


def on_disk(root: Path = PROJECT) -> set[str]:
    """Every package folder and module of the four packages, `__init__.py` files included."""
    found = set()
    for package in PACKAGES:
        for path in (root / package).rglob("*.py") if (root / package).is_dir() else ():
            if "__pycache__" not in path.parts:
                found.add(path.relative_to(root).as_posix())
                found.add(path.parent.relative_to(root).as_posix() + "/")
    return found


def map_problems(tree: str, root: Path = PROJECT) -> tuple[list[str], list[str]]:
    """(what the map leaves out, what it names of the four packages that is not there)."""
    names, present = mentioned(tree), on_disk(root)
    ours = {name for name in names if name.split("/")[0] in PACKAGES}
    left_out = sorted(path for path in present - names if not path.endswith("/__init__.py"))
    return left_out, sorted(ours - present)


def test_the_layout_map_names_every_module_and_package_folder_and_nothing_else():
    left_out, not_there = map_problems(layout_map((PROJECT / "README.md").read_text(encoding="utf-8")))
    assert not left_out, f"README.md's Layout section does not mention: {left_out}"
    assert not not_there, f"README.md's Layout section names what does not exist: {not_there}"


def test_the_map_reader_places_names_by_indentation_and_ignores_paths(tmp_path):
    """What the check relies on: a module counts in its own folder only, not in a sibling's or via a path."""
    for path in ("common/a.py", "common/b.py", "scrapers/site/c.py", "scrapers/site/__init__.py", "scrapers/d.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    tree = ("common/         a.py, see tests/b.py\n"
            "scrapers/       what `scrapers/d.py` does\n"
            "  site/           c.py, gone.py\n"
            "                  d.py (a continuation line: still site/)\n"
            "  e.py          not there\n"
            "texts/          x.py is not checked here\n")
    assert mentioned(tree) == {"common/", "common/a.py", "scrapers/", "scrapers/site/", "scrapers/site/c.py",
                               "scrapers/site/gone.py", "scrapers/site/d.py", "scrapers/e.py", "texts/", "texts/x.py"}
    assert map_problems(tree, tmp_path) == (["common/b.py", "scrapers/d.py"],
                                            ["scrapers/e.py", "scrapers/site/d.py", "scrapers/site/gone.py"])
