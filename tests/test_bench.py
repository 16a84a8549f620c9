"""The benchmarks still start: each `bench/*.py --help` exits 0 (their full runs are too long for tests)."""
import subprocess
import sys

import pytest

from conftest import PROJECT as PROJECT_ROOT

SCRIPTS = sorted(path.name for path in (PROJECT_ROOT / "bench").glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_imports_and_shows_help(script):
    """Fails when a benchmark imports something that moved or was removed (bench/window.py imported
    the deleted bench/train_speed.py), or its argument parser is broken."""
    result = subprocess.run([sys.executable, f"bench/{script}", "--help"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage:" in result.stdout
