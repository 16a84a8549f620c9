"""`scriptlm serve` as a real server process on 127.0.0.1, spoken to over HTTP: the models it lists and their
numbers, the streamed text against `scriptlm generate`'s, concurrent clients, a training in progress, and
requests that must be refused. (The page itself, in a real browser: test_serve_browser.py.)

Every server is ended by tests/processes.py, also when a test fails."""
import csv
import http.client
import json
import signal
import sys
import threading
from urllib.parse import urlsplit

import pytest

from pages import address, cli_text, generation, get_json, head_id, model_id, server_process, serving, text_of
from pipeline.train.lock import exclusive
from processes import dvc, read_lines, stop, wait_for


@pytest.fixture(scope="module")
def workspace(tiny_workspace, tmp_path_factory):
    return tiny_workspace(tmp_path_factory.mktemp("serve") / "ws")


@pytest.fixture(scope="module")
def base(workspace):
    with serving([workspace]) as url:
        yield url


@pytest.fixture(scope="module")
def cue(base):
    """The page's default prompt: a speaker's cue of the corpus, so every character is in the vocabulary."""
    prompt = get_json(f"{base}/api/info")["prompt"]
    assert prompt.endswith("\n") and prompt.strip().isupper(), prompt
    return prompt


def tsv(path):
    with open(path, newline="") as handle:
        return [[int(row["step"]) + 1, float(row[next(k for k in row if k != "step")])]
                for row in csv.DictReader(handle, delimiter="\t")]


def test_lists_the_workspace_and_its_commit_with_their_numbers_and_curve(base, workspace):
    """Fails if a model is missed, its numbers are not its run's, or the curve loses a row or the n-gram."""
    listed = {m["id"]: m for m in get_json(f"{base}/api/models")["models"]}
    assert list(listed) == ["workspace", head_id(workspace)], listed  # no other commit has a model
    metrics = json.loads((workspace / "dvclive/metrics.json").read_text())
    for entry in listed.values():  # the commit is the workspace's HEAD: the same run
        assert entry["state"] == "ready"
        assert entry["headline"]["nats_per_char"] == metrics["kept"]["eval_nats_per_char"]
        assert entry["headline"]["best_ngram"] == metrics["baselines"]["best_ngram"]
        assert entry["headline"]["epochs"] == 2 and entry["differing"] == {}
    shown = get_json(f"{base}/api/curve?model={head_id(workspace)}")
    assert shown["points"] == tsv(workspace / "dvclive/plots/metrics/eval/nats_per_char.tsv") and len(shown["points"]) == 2
    assert shown["baseline"] == metrics["baselines"]["best_ngram"]


def test_a_commit_that_did_not_retrain_is_not_listed_again(tiny_workspace, tmp_path):
    """Fails if a commit that only changed params (its dvc.lock still names the old model) is listed as a
    model of its own, or a branch name is listed instead of the commit it points at now."""
    trained = tiny_workspace(tmp_path / "ws")
    first = head_id(trained)
    tiny_workspace(tmp_path / "ws2", {"train.epochs": 3})  # commits the new params; nothing reruns
    with serving([tmp_path / "ws2"]) as url:
        listed = [m["id"] for m in get_json(f"{url}/api/models")["models"]]
    assert listed == ["workspace", first], listed
    assert head_id(tmp_path / "ws2") != first


def test_dvc_plots_draw_the_n_gram_beside_the_curve(workspace):
    """Fails if the train stage stops logging the baseline series, or dvc.yaml's plot leaves it out."""
    rows = tsv(workspace / "dvclive/plots/metrics/eval/best_ngram.tsv")
    best = json.loads((workspace / "dvclive/metrics.json").read_text())["baselines"]["best_ngram"]
    assert [value for _, value in rows] == [best, best]
    plots = json.loads(dvc(["plots", "show", "--json"], workspace).stdout)
    values = plots["data"]["nats_per_char"][0]["content"]["data"]["values"]
    drawn = sorted((datum["filename::field"], datum["step"], float(datum["dvc_inferred_y_value"])) for datum in values)
    assert [line for line in drawn if line[0].startswith("best_ngram")] == [("best_ngram.tsv::best_ngram", step, best)
                                                                            for step in ("0", "1")], drawn
    assert len(drawn) == 4, drawn  # two epochs of each line


def test_the_stream_equals_scriptlm_generate_with_the_same_seed(base, workspace, cue):
    """Fails if the page's text differs from the command's for the same model, prompt and seed, or comes
    in one piece at the end instead of as it is generated."""
    ws = model_id(base, "workspace")
    events = generation(base, {"model": ws, "prompt": cue, "length": 2000, "seed": 9, "temperature": 0.8, "top_k": 5})
    assert text_of(events) == cli_text(workspace / "models", cue, length=2000, seed=9, temperature=0.8, top_k=5)
    assert sum(kind == "text" for kind, _ in events) > 1


def test_a_client_that_stalls_or_leaves_does_not_hold_up_another(base, workspace, cue):
    """Fails if generations share one thread or lock (the second waits for the first), or if a closed
    client's generation runs on to its end."""
    ws = model_id(base, "workspace")
    body = {"model": ws, "prompt": cue, "length": 5000, "seed": 3}
    url = urlsplit(base)
    stalled = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    stalled.request("POST", "/api/generate", json.dumps(body), {"Content-Type": "application/json"})
    assert stalled.getresponse().status == 200  # then never read: a client that stalls
    answers = {}
    readers = [threading.Thread(target=lambda i=i: answers.update({i: generation(base, {**body, "length": 1500, "seed": i})}))
               for i in (1, 2)]
    for reader in readers:
        reader.start()
    before = get_json(f"{base}/api/status")["stopped_early"]
    left = generation(base, body, stop_after=1)  # reads one piece, then closes
    assert left[0][0] == "text"
    for reader in readers:
        reader.join()
    for i in (1, 2):
        assert text_of(answers[i]) == cli_text(workspace / "models", cue, length=1500, seed=i)
    wait_for(lambda: get_json(f"{base}/api/status")["stopped_early"] > before, "the left client's generation to stop")
    stalled.close()
    wait_for(lambda: get_json(f"{base}/api/status")["generating"] == 0, "every generation to end")


def test_a_model_being_written_by_a_training_is_in_progress_not_loaded(tiny_workspace, tmp_path):
    """Fails if the page reads the workspace's model while a trainer holds the checkpoint lock (it could
    be half written), or keeps refusing once the trainer is gone. The lock is the trainer's own."""
    workspace = tiny_workspace(tmp_path / "ws")
    with serving([workspace]) as url:
        ws, commit = model_id(url, "workspace"), model_id(url, "commit")
        with exclusive(workspace / "checkpoints"):
            listed = {m["id"]: m for m in get_json(f"{url}/api/models?refresh=1")["models"]}
            assert listed[ws]["state"] == "training" and listed[commit]["state"] == "ready"
            refused = generation(url, {"model": ws, "prompt": "\n", "length": 10})
            assert refused[0][0] == "refused" and refused[0][1][0] == 409 and "training is writing" in refused[0][1][1]
            assert text_of(generation(url, {"model": commit, "prompt": "\n", "length": 10}))
            assert get_json(f"{url}/api/curve?model={ws}")["points"]  # its curve is still shown
        listed = {m["id"]: m for m in get_json(f"{url}/api/models?refresh=1")["models"]}
        assert listed[ws]["state"] == "ready"
        assert text_of(generation(url, {"model": ws, "prompt": "\n", "length": 10}))


def test_a_model_file_that_does_not_load_is_named_not_blamed_on_the_request(tiny_workspace, tmp_path):
    """Fails if a truncated model.keras reads as a bad request ("send a JSON object"): before, the loader's
    error, a ValueError, was taken for a body that is not JSON."""
    workspace = tiny_workspace(tmp_path / "ws")
    model = workspace / "models" / "model.keras"
    model.write_bytes(model.read_bytes()[:100])
    with serving([workspace]) as url:
        refused = generation(url, {"model": model_id(url, "workspace"), "prompt": "\n", "length": 10})
    assert refused[0][0] == "refused" and refused[0][1][0] == 409, refused
    assert "model.keras: not a readable Keras model" in refused[0][1][1], refused


def raw_get(base: str, path: str) -> tuple[int, bytes]:
    """GET with the path sent exactly as written (no client-side normalising of `..`)."""
    url = urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path", ["/static/../cli.py", "/static/../../params.yaml", "/static/%2e%2e/cli.py",
                                  "/static/..%2fcli.py", "/static//etc/passwd", "/static/%2fetc%2fpasswd",
                                  "/api/curve?model=../../../../etc/passwd", "/api/curve?model=/etc/passwd",
                                  "/api/live?model=..%2f..%2fetc%2fpasswd"])
def test_no_file_outside_the_listed_models_is_reachable(base, path):
    """Fails if a path or a model id is ever turned into a file of the machine."""
    status, body = raw_get(base, path)
    assert status == 404, (path, status, body[:200])
    assert b"root:" not in body and b"argparse" not in body and b"train:" not in body


@pytest.mark.parametrize("body, status, says", [
    ({"model": "../../etc/passwd", "prompt": "A"}, 404, "no model"),
    ({"model": "WS", "prompt": "\n\u20ac\n"}, 400, "'\u20ac' at 1"),
    ({"model": "WS", "prompt": "A", "length": 100000}, 400, "length: 100000 is out of range; give 1 to 5000"),
    ({"model": "WS", "prompt": "A", "temperature": "hot"}, 400, "temperature: 'hot' is not a number"),
    ({"model": "WS", "prompt": "A", "length": float("nan")}, 400, "length: nan is not a whole number"),
    ({"model": "WS", "prompt": "A", "seed": float("inf")}, 400, "seed: inf is not a whole number"),
    ({"model": "WS", "prompt": "A", "top_k": -1}, 400, "top_k"),
    ({"model": "WS", "prompt": ""}, 400, "prompt: give at least one character"),
])
def test_bad_requests_are_refused_saying_what_is_wrong(base, body, status, says):
    """Fails if a bad field is accepted, or the refusal does not name it."""
    ws = model_id(base, "workspace")
    events = generation(base, {**body, "model": ws if body["model"] == "WS" else body["model"]})
    assert events[0][0] == "refused" and events[0][1][0] == status and says in events[0][1][1], events


def test_only_loopback_unless_host_says_otherwise(workspace):
    """Fails if the default binds beyond 127.0.0.1, or another address is not announced as reachable."""
    argv = [sys.executable, "-m", "app.cli", "serve", "--port", "0", "--host", "0.0.0.0", "--workspace", str(workspace)]
    with server_process(argv) as server:
        url = address(server)
        assert url.startswith("http://0.0.0.0:")
        assert "any machine that reaches this one" in read_lines(server.stdout, 1, "the warning")[0]
        assert get_json(f"http://127.0.0.1:{url.rsplit(':', 1)[1]}/api/info")["exposed"] is True
    with serving([workspace]) as url:
        assert url.startswith("http://127.0.0.1:") and get_json(f"{url}/api/info")["exposed"] is False


def stopped_cleanly(server, sig, scratch) -> None:
    """Stop `server` by `sig`: it must exit 0 and take its scratch directory (copies of models) with it."""
    assert len(list(scratch.glob("scriptlm-serve-*"))) == 1
    assert stop(server, sig) == 0
    assert list(scratch.glob("scriptlm-serve-*")) == []


# The two tests below also stop their server as `kill` (SIGTERM: what service managers and these tests'
# fixtures send) and a closed terminal (SIGHUP) do. Both left a scriptlm-serve-* directory in the temporary
# directory: uvicorn stops gracefully on SIGTERM, then raises it again, and Python's default action killed
# the process before the scratch directory's `with` could remove it (7 test runs had left 70 in /tmp).

def test_the_command_make_demo_prints_serves_the_demo_and_kill_stops_it_cleanly(workspace, tmp_path):
    """Fails if `make demo`'s last lines name a command that does not serve the demo's model, or if SIGTERM
    does not stop it cleanly (above)."""
    import shlex

    from app.workspace import serve_command

    argv = shlex.split(serve_command(workspace))
    assert argv[0].endswith("scriptlm") and argv[1:] == ["serve", "--workspace", str(workspace)]
    (tmp_path / "tmp").mkdir()
    with server_process([*argv, "--port", "0"], env={"TMPDIR": str(tmp_path / "tmp")}) as server:
        url = address(server)
        assert "workspace" in {m["kind"] for m in get_json(f"{url}/api/models")["models"]}
        stopped_cleanly(server, signal.SIGTERM, tmp_path / "tmp")


def test_without_workspaces_it_lists_the_current_directory_and_the_demo_and_sighup_stops_it(tiny_workspace, tmp_path):
    """Fails if `scriptlm serve` run where `make demo` ran (the project) misses the demo's models, or if
    SIGHUP does not stop it cleanly (above)."""
    project = tmp_path / "project"
    project.mkdir()
    tiny_workspace(project / "demo")
    (tmp_path / "tmp").mkdir()
    with server_process([sys.executable, "-m", "app.cli", "serve", "--port", "0"], cwd=project,
                        env={"TMPDIR": str(tmp_path / "tmp")}) as server:
        found = get_json(f"{address(server)}/api/models")
        stopped_cleanly(server, signal.SIGHUP, tmp_path / "tmp")
    names = [m["id"] for m in found["models"]]
    assert names == ["demo", "demo@" + head_id(project / "demo").split("@")[1]], names
    assert found["problems"] and str(project) in found["problems"][0]  # the project here is not a git repository
