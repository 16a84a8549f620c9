"""Two `scrape` stages at once against the bundled offline site, as two queued experiments with
`scrape.refresh` run them (tests/test_queue.py queues training variants only: a scrape there costs a whole
pipeline per variant).

Checks that both succeed with the same episodes, each serving the site on a port of its own, and that
neither writes to HOME or TMPDIR.
"""
import re
import subprocess

import yaml

from test_scrape_stage import OFFLINE_SITE, PROJECT, SITES, STAGE, episodes, pytestmark, sample_params  # noqa: F401


def test_two_stages_scrape_the_offline_site_at_once(tmp_path):
    """As two queued experiments with `scrape.refresh` do: each stage serves the bundled site on a port of its
    own while the other serves it. Fails on a fixed port (the second cannot bind, or fetches from the first's
    server and stops when it does), and on a stage writing to HOME or TMPDIR."""
    home = tmp_path / "home"
    home.mkdir()
    env = {"PYTHONPATH": str(PROJECT), "PATH": "", "HOME": str(home), "TMPDIR": str(home)}
    stages = []
    try:
        for name in ("one", "two"):
            cwd = tmp_path / name
            cwd.mkdir()
            (cwd / "offline_site").symlink_to(OFFLINE_SITE)
            # the delay between requests keeps each stage serving for seconds, far longer than a start takes
            (cwd / "params.yaml").write_text(yaml.safe_dump(sample_params(delay=0.2, limit=2)), encoding="utf-8")
            stages.append(subprocess.Popen(STAGE, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                           text=True))
        assert stages[0].poll() is None, "the first stage ended before the second started: not at once"
        outputs = [stage.communicate(timeout=120) for stage in stages]
    finally:
        for stage in stages:
            stage.kill()
            stage.wait()
    for stage, (out, err) in zip(stages, outputs):
        assert stage.returncode == 0, err
        summary = out.splitlines()
        assert [line.split(":")[0] for line in summary if not line.startswith(" ")] == list(SITES)
        assert re.fullmatch(r"  fetched \d+, already stored 0, skipped 0, failed 0 \(of \d+ pages\)", summary[1])
    for name in ("one", "two"):
        assert episodes(tmp_path / name / "data/raw", "imsdb") == episodes(tmp_path / "one/data/raw", "imsdb")
        assert (tmp_path / name / "data/raw/offline/livesinabox/episodes.json").is_file()
    assert list(home.iterdir()) == []
