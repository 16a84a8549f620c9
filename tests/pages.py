"""`scriptlm serve` as a real process on 127.0.0.1 for the tests, and what they read from it.

In:  workspace directories; a model directory, prompt and seed for the reference text.
Out: `serving(workspaces)`: the page's base URL inside a `with`; on leaving it, however the test ends, the
     server is ended (tests/processes.py). `get_json(url)`; `generation(base, body)`: the events of one
     streamed generation as (kind, data) pairs, read as they arrive; `cli_text(model_dir, ...)`: what
     `scriptlm generate` prints for the same model, prompt and seed (the independent reference);
     `model_id(base, kind)`: the id of the listed model of that kind; `head_id(workspace)`: its HEAD commit's.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

import requests

from app.workspace import dvc_env
from processes import read_lines, run, started

LOOPBACK = {"http": None, "https": None}  # never a proxy: every request stays on 127.0.0.1


@contextmanager
def server_process(argv: list[str], cwd: Path | None = None, env: dict | None = None):
    """A server's process inside a `with`, its stdout piped (what it prints for the user), its stderr (TensorFlow's
    and uvicorn's logs) in a file, so that a chatty log never fills a pipe and stalls it; `env` adds variables."""
    with tempfile.TemporaryFile("w+") as log, started(argv, stdout=subprocess.PIPE, stderr=log, text=True,
                                                        env={**dvc_env(), **(env or {})}, cwd=cwd) as server:
        yield server


def address(server) -> str:
    line = read_lines(server.stdout, 1, "serve's address")[0]
    assert line.startswith("scriptlm serve: http://"), line
    return line.split()[2].rstrip("/")


@contextmanager
def serving(workspaces: list[Path], *extra: str):
    """`scriptlm serve --port 0` on those workspaces: its base URL."""
    argv = [sys.executable, "-m", "app.cli", "serve", "--port", "0", *extra]
    for workspace in workspaces:
        argv += ["--workspace", str(workspace)]
    with server_process(argv) as server:
        yield address(server)


def get_json(url: str, status: int = 200):
    response = requests.get(url, proxies=LOOPBACK, timeout=600)
    assert response.status_code == status, (url, response.status_code, response.text)
    return response.json()


def generation(base: str, body: dict, *, stop_after: int | None = None):
    """The (kind, data) events of POST /api/generate; with `stop_after`, the connection is closed after
    that many events. A refused request gives [("refused", (status, message))]."""
    sent = json.dumps(body)  # Python's JSON, NaN and Infinity included (as a browser's page could send them)
    with requests.post(f"{base}/api/generate", data=sent, headers={"Content-Type": "application/json"}, stream=True,
                       proxies=LOOPBACK, timeout=600) as response:
        if response.status_code != 200:
            return [("refused", (response.status_code, response.json()["error"]))]
        found, kind = [], None
        for line in response.iter_lines(decode_unicode=True):
            if line.startswith("event: "):
                kind = line[len("event: "):]
            elif line.startswith("data: "):
                found.append((kind, json.loads(line[len("data: "):])))
                if stop_after is not None and len(found) >= stop_after:
                    break
        return found


def text_of(events: list) -> str:
    assert events[-1][0] == "done", events[-3:]
    return "".join(data for kind, data in events if kind == "text")


def cli_text(model_dir: Path, prompt: str, *, length: int, seed: int, temperature: float = 0.5, top_k: int = 0) -> str:
    """The continuation `scriptlm generate` writes (it prints the prompt first, and a newline last): the
    command's own `main`, run in this process, which has TensorFlow loaded already (a process per call
    cost seconds of the test budget each)."""
    from app.cli import main

    printed = io.StringIO()
    with redirect_stdout(printed):
        main(["generate", "--model", str(model_dir), "--prime", prompt, "--no-escapes", "--length", str(length),
              "--seed", str(seed), "--temperature", str(temperature), "--top-k", str(top_k)])
    out = printed.getvalue()
    assert out.startswith(prompt) and out.endswith("\n"), out[:200]
    return out[len(prompt):-1]


def model_id(base: str, kind: str) -> str:
    found = [m["id"] for m in get_json(f"{base}/api/models?refresh=1")["models"] if m["kind"] == kind]
    assert found, f"no {kind} model listed"
    return found[0]


def head_id(workspace: Path) -> str:
    """The listed id of the workspace's HEAD commit (a single workspace is named `workspace`)."""
    sha = run(["git", "rev-parse", "--short=7", "HEAD"], cwd=workspace, check=True).stdout.strip()
    return f"workspace@{sha}"
