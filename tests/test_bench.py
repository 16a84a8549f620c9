"""The benchmarks still start: each `bench/*.py --help` exits 0 and prints its usage (their full runs are
too long for tests). All of them run in one Python process, one after the other, each as `__main__` with
`bench/` first on sys.path as when run as a script: TensorFlow is imported once, not once a script.
`bench/suite_cpu.py`, which times the test suite itself, runs for real on a small pytest run."""
import json
import sys

import pytest

from conftest import PROJECT as PROJECT_ROOT
from processes import run

BENCH = sorted((PROJECT_ROOT / "bench").glob("*.py"))
SCRIPTS = [path.name for path in BENCH if 'if __name__ == "__main__":' in path.read_text(encoding="utf-8")]
EACH_HELP = """
import contextlib, io, json, runpy, sys, traceback
sys.path.insert(0, "bench")
results = {}
for script in sys.argv[1:]:
    sys.argv = [f"bench/{script}", "--help"]
    out, err, code = io.StringIO(), io.StringIO(), "returned without exiting"
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_path(f"bench/{script}", run_name="__main__")
        except SystemExit as exit:
            code = exit.code or 0
        except BaseException:
            code = traceback.format_exc()
    results[script] = {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}
print("RESULTS " + json.dumps(results))
"""


@pytest.fixture(scope="module")
def helps():
    done = run([sys.executable, "-c", EACH_HELP, *SCRIPTS], cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.split("RESULTS ", 1)[1])


@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_imports_and_shows_help(helps, script):
    """Fails when a benchmark imports something that moved or was removed (bench/window.py imported
    the deleted bench/train_speed.py), or its argument parser is broken."""
    result = helps[script]
    assert result["code"] == 0, (result["code"], result["stderr"][-2000:])
    assert "usage:" in result["stdout"]


def test_every_bench_module_is_a_script_or_one_a_script_imports():
    """Fails when a benchmark loses its `__main__` guard (it would drop out of the test above unseen)."""
    scripts_text = "".join((PROJECT_ROOT / "bench" / name).read_text(encoding="utf-8") for name in SCRIPTS)
    modules = [path.stem for path in BENCH if path.name not in SCRIPTS]
    assert all(f"from {module} import" in scripts_text for module in modules), modules


def test_suite_cpu_counts_each_test_file_of_a_real_pytest_run(tmp_path):
    """bench/suite_cpu.py on a real pytest run of two small files, a test that spends CPU in a child among
    them. Fails if the plugin is not loaded in the run (no lines), a file's tests are miscounted, or a child's
    CPU seconds (about 0.3 here, counted by the kernel) are not added to its test's."""
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_a.py").write_text("def test_one():\n    pass\n\ndef test_two():\n    pass\n")
    (tests / "test_b.py").write_text(
        "import subprocess, sys\n\ndef test_child():\n"
        "    subprocess.run([sys.executable, '-c', 'import time\\nend = time.process_time() + 0.3\\n"
        "while time.process_time() < end: pass'], check=True)\n")
    out = tmp_path / "lines.jsonl"
    done = run([sys.executable, str(PROJECT_ROOT / "bench" / "suite_cpu.py"), "--out", str(out), "--", "-q",
                "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tests)], cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    files = {name.rsplit("/", 1)[-1]: entry for name, entry in report["files"].items()}
    assert report["tests"] == 3 and {name: entry["tests"] for name, entry in files.items()} == {"test_a.py": 2,
                                                                                                "test_b.py": 1}
    assert files["test_b.py"]["cpu_s"] >= 0.3 and list(files) == ["test_b.py", "test_a.py"]  # the heaviest first
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(line["id"].split("::")[1] for line in lines) == ["test_child", "test_one", "test_two"]
