"""The page of `scriptlm serve` in a real headless Chromium (Debian's chromium and chromium-driver, driven by
Selenium): text streams in, equals `scriptlm generate`'s, stops on the stop button, two models run side by
side with their curves and n-gram lines, a training's new epochs appear without a reload, and a server bound
beyond loopback says so.

Without Chromium these tests are skipped, saying how to install it; `.ci/run` installs it and sets
SCRIPTLM_BROWSER_TESTS=required, so there they fail instead. SCRIPTLM_SCREENSHOT=path saves the page as
the README shows it. The server, the training and the browser are ended even when a test fails."""
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from app.workspace import commit_all, dvc_env
from pages import address, cli_text, get_json, head_id, server_process, serving
from processes import dvc, started, wait_for

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def driver():
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        message = f"no {CHROMIUM} or {CHROMEDRIVER}: `apt-get install chromium chromium-driver` (Debian's)"
        if os.environ.get("SCRIPTLM_BROWSER_TESTS") == "required":
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,2300",
                     "--no-proxy-server", "--disable-gpu"):
        options.add_argument(argument)
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture(scope="module")
def workspace(tiny_workspace, tmp_path_factory):
    """The tiny pipeline with a demo-sized model (256 cells), and a copy of the model its commit holds."""
    root = tmp_path_factory.mktemp("page")
    ws = tiny_workspace(root / "ws", {"train.hidden_units": 256})
    dvc(["repro"], ws)
    commit_all(ws, "256 cells")
    shutil.copytree(ws / "models", root / "commit-models")
    return ws


def css(driver, selector):
    return driver.find_elements("css selector", selector)


def row_id(driver, kind):
    rows = css(driver, f'#models tbody tr[data-kind="{kind}"]')
    assert rows, [row.text for row in css(driver, "#models tbody tr")]
    return rows[0].get_attribute("data-id")


def tick_only(driver, ids):
    for box in css(driver, "input.pick"):
        if box.is_selected() != (box.get_attribute("data-id") in ids):
            box.click()


def run_generation(driver, *, length, seed, prompt=None):
    if prompt is not None:
        box = css(driver, "#prompt")[0]
        box.clear()
        box.send_keys(prompt)
    for name, value in (("length", length), ("seed", seed)):
        field = css(driver, f"#{name}")[0]
        field.clear()
        field.send_keys(str(value))
    css(driver, "#generate")[0].click()


def columns(driver):
    return {c.get_attribute("data-id"): c for c in css(driver, "#columns .column")}


def settled(driver):
    found = columns(driver)
    return found if found and all(c.get_attribute("data-state") in ("done", "error", "stopped") for c in found.values()) else None


def out_text(column):
    return column.find_element("css selector", ".out").get_property("textContent")


def corpus_cue(train_text: str) -> str:
    """The most frequent speaker's cue, read here from the blocks of the corpus: a block of two lines whose
    first line is a name in capitals (a parenthetical after it left out)."""
    names = Counter(block.split("\n")[0].split(" (")[0] for block in train_text.split("\n\n")
                    if block.count("\n") == 1 and block.split("\n")[0].split(" (")[0].isupper())
    return names.most_common(1)[0][0] + "\n"


def test_the_page_streams_compares_and_follows_a_training(driver, workspace, tmp_path):
    """Fails if the text arrives only at the end, differs from `scriptlm generate`'s for the same seed, does not
    stop on the stop button, if side-by-side columns or curves mix up their models, or a new epoch of a
    running training needs a reload to show."""
    with serving([workspace]) as base:
        driver.get(base)
        head = head_id(workspace)
        wait_for(lambda: css(driver, f'#models tbody tr[data-id="{head}"]'), "the workspace's HEAD commit listed")
        prompt = css(driver, "#prompt")[0].get_property("value")
        assert prompt == corpus_cue((workspace / "data/corpus/train.txt").read_text())
        ws = row_id(driver, "workspace")
        assert [c.get_attribute("data-id") for c in css(driver, "input.pick") if c.is_selected()] == [ws]

        # characters arrive before the end, and the text is the command's
        driver.execute_script("""window.seen = []; new MutationObserver(() => { const o = document.querySelector('#columns .out');
            if (o) window.seen.push(o.textContent.length); }).observe(document.querySelector('#columns'),
            {subtree: true, childList: true, characterData: true});""")
        run_generation(driver, length=3000, seed=11)
        column = wait_for(lambda: settled(driver), "the generation to end")[ws]
        assert column.get_attribute("data-state") == "done"
        text = out_text(column)
        assert text == cli_text(workspace / "models", prompt, length=3000, seed=11)
        assert any(0 < n < len(text) for n in driver.execute_script("return window.seen")), "no partial text shown"

        # the stop button stops the server's generation too
        before = get_json(f"{base}/api/status")["stopped_early"]
        run_generation(driver, length=5000, seed=12)
        wait_for(lambda: int(columns(driver)[ws].get_attribute("data-events")) >= 2, "a few pieces to arrive")
        css(driver, "#stop")[0].click()
        wait_for(lambda: settled(driver), "the column to stop")
        if columns(driver)[ws].get_attribute("data-state") == "stopped":  # not done in the meantime
            wait_for(lambda: get_json(f"{base}/api/status")["stopped_early"] > before, "the server to stop generating")

        # unknown characters are named in the page
        run_generation(driver, length=20, seed=1, prompt="\u20ac")
        error = wait_for(lambda: settled(driver), "the refusal")[ws].find_element("css selector", ".error").text
        assert "'\u20ac' at 0" in error, error

        # a training in the workspace: its new epochs show on the open page
        driver.execute_script("window.notReloaded = true")
        wait_for(lambda: css(driver, f'.live[data-id="{ws}"][data-epochs="2"]'), "the live panel at 2 epochs")
        with started([sys.executable, "-m", "dvc", "exp", "run", "-S", "train.epochs=4"], cwd=workspace, env=dvc_env(),
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as training:
            wait_for(lambda: css(driver, f'.live[data-id="{ws}"][data-epochs="4"]'), "epoch 4 on the page")
            output = training.communicate()[0]
            assert training.returncode == 0, output[-3000:]
        assert driver.execute_script("return window.notReloaded") is True
        wait_for(lambda: "after epoch 4" in css(driver, f'.live[data-id="{ws}"] pre.preview')[0].text, "epoch 4's preview")

        # two models side by side: the commit's and the experiment's, each the command's text for its model
        css(driver, "#refresh")[0].click()
        wait_for(lambda: css(driver, '#models tbody tr[data-kind="experiment"]'), "the experiment listed")
        commit, experiment = head, row_id(driver, "experiment")
        rows = {r.get_attribute("data-id"): r.find_element("css selector", "td.params").text for r in css(driver, "#models tbody tr")}
        assert rows[commit] == "train.epochs=2" and rows[experiment] == "none"  # `exp run -S` set 4 in the workspace
        tick_only(driver, {commit, experiment})
        run_generation(driver, length=400, seed=5, prompt=prompt)
        found = wait_for(lambda: settled(driver), "both columns to end")
        assert set(found) == {commit, experiment}
        assert out_text(found[commit]) == cli_text(workspace.parent / "commit-models", prompt, length=400, seed=5)
        assert out_text(found[experiment]) == cli_text(workspace / "models", prompt, length=400, seed=5)
        assert out_text(found[commit]) != out_text(found[experiment])
        def drawn():  # the chart is redrawn as each ticked model's curve arrives: wait for the two ticked
            found = {c.get_attribute("data-id"): c.get_attribute("data-points") for c in css(driver, "#curves polyline.curve")}
            return found if set(found) == {commit, experiment} else None

        assert wait_for(drawn, "the two ticked models' curves") == {commit: "2", experiment: "4"}
        assert len(css(driver, "#curves line.baseline")) == 2
        if os.environ.get("SCRIPTLM_SCREENSHOT"):
            driver.save_screenshot(os.environ["SCRIPTLM_SCREENSHOT"])


def test_a_page_served_beyond_loopback_says_so(driver, tmp_path):
    """Fails if a server bound to every address looks like a private one to its user."""
    argv = [sys.executable, "-m", "app.cli", "serve", "--port", "0", "--host", "0.0.0.0", "--workspace", str(tmp_path)]
    with server_process(argv) as server:
        driver.get(f"http://127.0.0.1:{address(server).rsplit(':', 1)[1]}/")
        banner = wait_for(lambda: [b for b in css(driver, "#banner") if b.is_displayed()], "the banner")[0]
        assert "0.0.0.0" in banner.text and "anyone who can reach it" in banner.text
