"""Command-line numbers are checked as argparse reads them: in a real process, with argparse's exit 2.

Before: `python -m scrapers --delay nan` ran with no delay, `--delay inf` (and, until issue 19,
`--delay 1e300`) ended in an OverflowError traceback, and `scriptlm generate --temperature -1` was
refused only after loading the model."""
import subprocess
import sys

import pytest

from conftest import PROJECT


@pytest.mark.parametrize("command, message", [
    (["-m", "scrapers", "--base-url", "http://127.0.0.1:9/", "--delay", "nan", "--limit", "1"], "--delay: must be a finite number, got nan"),
    (["-m", "scrapers", "--base-url", "http://127.0.0.1:9/", "--delay", "inf"], "--delay: must be a finite number, got inf"),
    (["-m", "scrapers", "--limit", "-1"], "--limit: must be >= 0 (0 means no limit), got -1"),   # scrape.limit's rule
    (["-m", "scrapers", "livesinabox", "--delay", "86401"], "--delay: must be in [0, 86400] (seconds; at most a day)"),
    (["-m", "app.cli", "generate", "--model", "no-such-dir", "--temperature", "-1"],
     "--temperature: must be >= 0, got -1"),
    (["-m", "app.cli", "generate", "--model", "no-such-dir", "--length", "0"], "--length: must be > 0, got 0"),
    (["-m", "app.cli", "generate", "--model", "no-such-dir", "--num", "two"], "--num: not a whole number: 'two'"),
    # issue 19: --delay 1e300 was an OverflowError traceback deep in the scrape
    (["-m", "scrapers", "livesinabox", "--base-url", "http://127.0.0.1:9/", "--delay", "1e300"], "--delay: must be <= "),
    (["-m", "app.cli", "generate", "--model", "no-such-dir", "--seed", "99999999999"],
     "--seed: must be <= 2147483647, got 99999999999"),
    (["-m", "app.cli", "generate", "--model", "no-such-dir", "--temperature", "1e300"],
     "--temperature: must be <= 2147483647, got 1e300"),
    # `--peak-repeats 0` was taken as "the default" (`or`), silently
    ([str(PROJECT / "bench/gpu_check.py"), "--peak-repeats", "0"], "--peak-repeats: must be >= 1, got 0"),
])
def test_bad_numbers_are_refused_before_any_work(tmp_path, command, message):
    done = subprocess.run([sys.executable, *command], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr and list(tmp_path.iterdir()) == []
