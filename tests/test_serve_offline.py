"""`scriptlm serve-offline --port P` and the README's scrape-it example, as real processes on 127.0.0.1
(its old name, `serve-sample`, is tested in test_renamed.py).

Before: the command picked random ports and had no `--port`, so the README's
`python -m scrapers imsdb --base-url http://127.0.0.1:8001 ...` example could not work.
Every process here is ended by tests/processes.py, also when the test fails (a failed run once left its
server running, orphaned)."""
import re
import signal
import socket
import subprocess
import sys

from app.workspace import dvc_env
from processes import read_lines, run, started, stop


def free_port_pair() -> int:
    """A port P with P and P + 1 both free just now."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
        return port
    raise RuntimeError("no two consecutive free ports")


def test_serve_offline_on_a_port_then_the_readme_example_scrapes_it(tmp_path, project_root):
    port = free_port_pair()
    serve = [sys.executable, "-m", "app.cli", "serve-offline", "--port", str(port)]
    with started(serve, cwd=project_root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                 env=dvc_env()) as server:
        lines = read_lines(server.stdout, 3, "serve-offline's three lines")
        assert lines[0].startswith(f"imsdb: http://127.0.0.1:{port}/"), lines
        assert lines[1].startswith(f"livesinabox: http://127.0.0.1:{port + 1}/friends/"), lines
        readme = (project_root / "README.md").read_text()
        example = re.search(r"^python -m scrapers imsdb --base-url http://127.0.0.1:8001 (.*?)\s+#", readme, re.M)
        args = ["imsdb", "--base-url", f"http://127.0.0.1:{port}",
                *example.group(1).replace("/tmp/raw", str(tmp_path / "raw")).split(), "--limit", "2"]
        done = run([sys.executable, "-m", "scrapers", *args], cwd=project_root, env=dvc_env())
        assert done.returncode == 0, done.stdout + done.stderr
        assert len(list((tmp_path / "raw" / "imsdb").rglob("*.htm*"))) >= 2
        # the same port again: a message naming it, not a traceback
        again = run(serve, cwd=project_root, env=dvc_env())
        assert again.returncode == 1 and f"127.0.0.1:{port}" in again.stderr and "Traceback" not in again.stderr
        assert stop(server, signal.SIGINT) == 0  # Ctrl-C: a clean stop

