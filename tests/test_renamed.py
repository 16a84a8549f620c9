"""The bundled site's old names still work for one release, each saying the new one: the command
`scriptlm serve-sample` (now `serve-offline`), the folder `sample_site/` (now `offline_site/`) given
as `--root` or as the scrape stage's first argument (a dvc.yaml of before), and a workspace built
before the rename, whose old copy a refresh removes.

Without these fallbacks, `serve-sample` would be an unknown command (argparse's exit 2), `sample_site`
"no offline site at sample_site/imsdb" (exit 1), and a refreshed demo workspace would keep a stale
`sample_site/` copy beside the new one.
"""
import signal
import subprocess
import sys

import yaml

from app.workspace import dvc_env, prepare_workspace
from common.presets import DEMO
from processes import read_lines, run, started, stop


def test_serve_sample_with_root_sample_site_still_serves_saying_the_new_names(tmp_path, project_root):
    (tmp_path / "offline_site").symlink_to(project_root / "offline_site")
    serve = [sys.executable, "-m", "app.cli", "serve-sample", "--root", "sample_site"]
    with started(serve, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                 env=dict(dvc_env(), PYTHONPATH=str(project_root))) as server:
        lines = read_lines(server.stdout, 3, "serve-sample's three lines")
        assert lines[0].startswith("imsdb: http://127.0.0.1:") and lines[2].strip() == "Ctrl-C to stop.", lines
        assert stop(server, signal.SIGINT) == 0
        said = server.stderr.read()
    assert "serve-sample is now serve-offline" in said and "sample_site is now offline_site" in said, said


def test_the_scrape_stage_given_sample_site_scrapes_offline_site_saying_so(tmp_path, project_root):
    (tmp_path / "offline_site").symlink_to(project_root / "offline_site")
    params = yaml.safe_load((project_root / "params.yaml").read_text(encoding="utf-8"))
    params["scrape"].update(source=DEMO["scrape.source"], sites=["livesinabox"], delay=0, limit=1)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    done = run([sys.executable, "-m", "pipeline.scrape", "sample_site", "data/raw"], cwd=tmp_path,
               env=dict(dvc_env(), PYTHONPATH=str(project_root)))
    assert done.returncode == 0, done.stderr
    assert "sample_site is now offline_site" in done.stderr
    assert len(list((tmp_path / "data/raw").glob("*/livesinabox/episodes.json"))) == 1


def test_refreshing_a_workspace_built_before_the_rename_removes_its_sample_site_copy(tmp_path, project_root, capsys):
    workspace = prepare_workspace(project_root, tmp_path / "ws", {})
    stale = workspace / "sample_site" / "imsdb"
    stale.mkdir(parents=True)
    (stale / "robots.txt").write_text("User-agent: *\n")
    capsys.readouterr()
    prepare_workspace(project_root, workspace, {})
    assert not (workspace / "sample_site").exists() and (workspace / "offline_site" / "imsdb").is_dir()
    assert f"sample_site/ is now offline_site/; removed the old copy from {workspace}" in capsys.readouterr().out
