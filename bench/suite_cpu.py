"""Where `make test`'s time goes: the test suite run under pytest, each test's CPU seconds counted (its own
and its children's), summed per test file, the heaviest first; one JSON line last.

In:  pytest's arguments after `--` (default: the Makefile's `-n 2 --dist loadfile --no-loadscope-reorder`);
     `--out FILE` keeps every test's line (JSON: id, worker, start, wall, own and children's CPU seconds).
Out: per file, its tests, wall seconds and CPU seconds; the run's wall and CPU seconds and the machine, timed
     by `timed.run_timed` (pytest's output echoed as it comes; the run ended with this script).

Each pytest process loads this module as a plugin (`-p suite_cpu`, bench/ on PYTHONPATH) and appends a line a
test to the file SCRIPTLM_SUITE_CPU names. A child's CPU is counted once it has been waited for: the processes
that detach (DVC's queue workers) or that a test kills and another reaps are partly missing, so the files'
sum is below the run's CPU seconds. A module-scoped fixture counts in the test that first asks for it.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pytest

from timed import machine, run_timed  # bench/ is this script's own folder, first on sys.path

PROJECT = Path(__file__).resolve().parent.parent
MAKEFILE_ARGS = ["-n", "2", "--dist", "loadfile", "--no-loadscope-reorder"]
OUT_ENV = "SCRIPTLM_SUITE_CPU"


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """The plugin: a line per test (setup, call and teardown together) to the file OUT_ENV names."""
    start, (own, children) = time.time(), _cpu()
    yield
    if os.environ.get(OUT_ENV):
        own_after, children_after = _cpu()
        line = {"id": item.nodeid, "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"), "start": start,
                "wall": time.time() - start, "own": own_after - own, "children": children_after - children}
        with open(os.environ[OUT_ENV], "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")


def per_file(lines: list[dict]) -> dict[str, dict]:
    """{test file: {"tests", "wall_s", "cpu_s"}}, the heaviest in CPU first."""
    files = defaultdict(lambda: {"tests": 0, "wall_s": 0.0, "cpu_s": 0.0})
    for line in lines:
        entry = files[line["id"].split("::")[0]]
        entry["tests"] += 1
        entry["wall_s"] += line["wall"]
        entry["cpu_s"] += line["own"] + line["children"]
    return dict(sorted(((name, {**entry, "wall_s": round(entry["wall_s"], 1), "cpu_s": round(entry["cpu_s"], 1)})
                        for name, entry in files.items()), key=lambda item: -item[1]["cpu_s"]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="e.g. .venv/bin/python bench/suite_cpu.py -- -n 2 --dist loadfile "
                                            "--no-loadscope-reorder tests/test_resume.py")
    parser.add_argument("--out", type=Path, help="keep every test's line (JSON lines) there")
    parser.add_argument("--top", type=int, default=20, help="files shown, the heaviest first (default: 20)")
    parser.add_argument("pytest_args", nargs="*", help="pytest's arguments, after `--` (default: the Makefile's)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch) / "tests.jsonl"
        out.unlink(missing_ok=True)
        path = os.pathsep.join(filter(None, [str(PROJECT / "bench"), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, OUT_ENV: str(out), "PYTHONPATH": path}
        command = [sys.executable, "-m", "pytest", "-p", "suite_cpu", *(args.pytest_args or MAKEFILE_ARGS)]
        run = run_timed(command, PROJECT, env)
        lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
    files = per_file(lines)
    print(f"\n{'file':<44} {'tests':>5} {'wall s':>8} {'CPU s':>8}")
    for name, entry in list(files.items())[:args.top]:
        print(f"{name:<44} {entry['tests']:>5} {entry['wall_s']:>8.1f} {entry['cpu_s']:>8.1f}")
    counted = sum(entry["cpu_s"] for entry in files.values())
    print(f"{len(lines)} tests in {len(files)} files: {counted:.0f} CPU-s counted in the tests; the run took "
          f"{run.wall_s:.1f} s and {run.cpu_s:.1f} CPU-s")
    print(json.dumps({"command": command[1:], "returncode": run.returncode, "wall_s": round(run.wall_s, 1),
                      "cpu_s": round(run.cpu_s, 1), "tests": len(lines), "tests_cpu_s": round(counted, 1),
                      **machine(), "files": dict(list(files.items())[:args.top])}))
    sys.exit(run.returncode)


if __name__ == "__main__":
    main()
