"""The benchmarks that put figures into README.md and BENCHMARKS.md read and report what they claim.

- `bench/preset.py` runs the README's CPU preset: its parse of README.md must return exactly the
  command the README shows for the measured run (written out here, independently), follow the README
  when that command changes, and refuse a README without it; its report reads DVCLive's TSVs by epoch.
- `bench/nanogpt.py` refuses a missing checkout or Python with a message saying how to get them, takes
  nanoGPT's command from its README, keeps evaluations out of the training time, and runs offline.
- `bench/quality.py` plots nanoGPT as measured only from a bench/nanogpt.py run, else as published.
- Every `<!-- rerun: ... -->` marker in the docs names a script that exists.
Nothing here trains or times anything: each test takes seconds.
"""
import importlib.util
import json
import re
import subprocess
import sys

import pytest

from conftest import PROJECT

# The command README.md's section "The CPU preset" gives for its measured run. Changing it there means
# the README's figures are of another command: rerun bench/preset.py, paste its JSON, then change this.
PRESET = ["dvc", "exp", "run", "-S", "scrape.source=text", "-S", "clean.val_fraction=0.1", "-S",
          "clean.min_char_count=0", "-S", "clean.ascii=false", "-S", "train.hidden_units=512", "-S", "train.epochs=12"]


def load(name: str):
    """bench/NAME.py as a module (bench/ on the path, as when the script runs)."""
    sys.path.insert(0, str(PROJECT / "bench"))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", PROJECT / "bench" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(PROJECT / "bench"))


@pytest.mark.parametrize("script", ["preset", "nanogpt", "timed"])
def test_the_new_scripts_show_their_help(script):
    result = subprocess.run([sys.executable, f"bench/{script}.py", "--help"], cwd=PROJECT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage:" in result.stdout


def test_the_preset_command_is_the_one_the_readme_shows():
    """Fails when the README's preset command changes and its figures (and this test) do not follow, or
    when the parse takes the section's generic `-S train.epochs=EPOCHS` line instead."""
    assert load("preset").readme_command(PROJECT / "README.md") == PRESET


def test_the_parse_follows_the_readme_and_refuses_one_without_the_preset(tmp_path):
    preset = load("preset")
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n### The CPU preset: 512 cells\n\n```sh\ndvc exp run -S train.epochs=EPOCHS\n```\n\n"
                      "```sh\ndvc exp run -S scrape.source=text \\\n    -S train.epochs=3   # a comment\n```\n\n"
                      "### Next\n\n```sh\ndvc exp run -S scrape.source=text -S train.epochs=99\n```\n")
    assert preset.readme_command(readme) == ["dvc", "exp", "run", "-S", "scrape.source=text", "-S", "train.epochs=3"]
    readme.write_text("# x\n\n### Another section\n\n```sh\ndvc exp run -S scrape.source=text\n```\n")
    with pytest.raises(preset.PresetError, match=r"README\.md: no section '### The CPU preset'"):
        preset.readme_command(readme)


def test_a_quick_check_changes_the_command_and_says_it_is_not_the_preset():
    preset = load("preset")
    changed = preset.with_setting(PRESET, "train.epochs", 1)
    assert changed == PRESET[:-1] + ["train.epochs=1"]
    assert preset.with_setting(PRESET, "train.dropout", 0) == PRESET + ["-S", "train.dropout=0"]
    assert changed != preset.readme_command(PROJECT / "README.md")  # what sets "preset": false


def test_the_report_reads_epochs_from_dvclive(tmp_path):
    """Fails when DVCLive's step 0 is not taken as epoch 1, or the training seconds are not the epoch's
    predicted characters over its logged rate (computed here by hand: 1000 windows x 50 positions)."""
    preset = load("preset")
    (tmp_path / "params.yaml").write_text((PROJECT / "params.yaml").read_text())  # section_length 50, objective all
    (tmp_path / "data/windows").mkdir(parents=True)
    (tmp_path / "data/windows/meta.json").write_text(json.dumps({"splits": {"train": {"windows": 1000}}}))
    plots = tmp_path / "dvclive/plots/metrics"
    for name, values in (("eval/nats_per_char", [2.0, 1.5, 1.6]), ("train/chars_per_s", [1000, 2000, 500])):
        (plots / name).parent.mkdir(parents=True, exist_ok=True)
        (plots / f"{name}.tsv").write_text(f"step\t{name.split('/')[1]}\n"
                                          + "".join(f"{i}\t{v}\n" for i, v in enumerate(values)))
    (tmp_path / "dvclive/metrics.json").write_text(json.dumps({"eval": {"nats_per_char": 1.6},
                                                              "baselines": {"best_ngram": 1.69}}))
    got = preset.results(tmp_path)
    assert (got["best_epoch"], got["best_val_nats"], got["final_val_nats"], got["epochs"]) == (2, 1.5, 1.6, 3)
    assert got["train_epoch_s"] == [50.0, 25.0, 100.0] and got["train_s"] == 175.0
    lines = [(0.0, "Running stage 'check':"), (1.0, "> python"), (3.5, "Running stage 'train':")]
    assert preset.stage_seconds(lines, 10.0) == {"check": 3.5, "train": 6.5}


def test_nanogpt_without_a_checkout_or_torch_says_how_to_get_them(tmp_path):
    result = subprocess.run([sys.executable, "bench/nanogpt.py", "--nanogpt", str(tmp_path), "--python",
                             sys.executable], cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert f"--nanogpt {tmp_path}: not a nanoGPT checkout (missing README.md, train.py" in result.stderr
    assert "BENCHMARKS.md" in result.stderr
    nanogpt = load("nanogpt")
    for name in nanogpt.NEEDED:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    with pytest.raises(nanogpt.NanoGPTError, match="cannot import numpy, requests and torch"):
        nanogpt.check_inputs(tmp_path, tmp_path / "train.py")  # a file, but no Python with torch
    with pytest.raises(nanogpt.NanoGPTError, match="no such file"):
        nanogpt.check_inputs(tmp_path, tmp_path / "python")


def test_nanogpt_takes_its_readme_command_and_keeps_evaluations_out_of_training_time(tmp_path):
    nanogpt = load("nanogpt")
    (tmp_path / "README.md").write_text("x\n```sh\npython train.py config/train_shakespeare_char.py --device=cpu "
                                        "--compile=False --max_iters=2000 --lr_decay_iters=2000 --dropout=0.0\n```\n")
    args = nanogpt.with_option(nanogpt.readme_args(tmp_path), "max_iters", 6000)
    assert args == ["config/train_shakespeare_char.py", "--device=cpu", "--compile=False", "--lr_decay_iters=2000",
                    "--dropout=0.0", "--max_iters=6000"]
    # iterations 0 and 4 evaluated (eval_interval 4): their 9 s are replaced by the median plain iteration
    lines = [(0, "step 0: train loss 4.1, val loss 4.2"), (0, "iter 0: loss 4.1, time 9000.0ms, mfu -100.00%")]
    lines += [(0, f"iter {i}: loss 3.0, time {ms}ms, mfu 1.0%") for i, ms in ((1, 100.0), (2, 300.0), (3, 200.0))]
    lines += [(0, "step 4: train loss 2.9, val loss 3.1"), (0, "iter 4: loss 2.8, time 9000.0ms, mfu 1.0%")]
    got = nanogpt.summarise(lines, eval_interval=4)
    assert got["train_s"] == pytest.approx(0.6 + 2 * 0.2) and got["loop_s"] == pytest.approx(18.6)
    assert (got["final_val_loss"], got["final_step"], got["best_step"]) == (3.1, 4, 4)
    env = nanogpt.offline_env()
    assert all(env[key] == "http://127.0.0.1:9" for key in ("http_proxy", "https_proxy", "HTTPS_PROXY"))


def test_nanogpt_runs_fill_the_same_seconds_as_ours_when_its_probe_was_faster(tmp_path):
    """The runs of issue 23's side by side: a probe at 38.7 ms per iteration, whole runs at about 50 ms
    (here 49 ms + 0.0001 ms per iteration planned), so nanoGPT trained 232 s and 782 s against our 180
    and 600. Fails if the run counted from the probe is kept
    though it misses the budget by more than 5 %; a run that fits is not run twice."""
    nanogpt = load("nanogpt")
    asked = []

    def run_at(max_iters, ms_per_iter=lambda n: 49 + 0.0001 * n):
        asked.append(max_iters)
        return {"max_iters": max_iters, "train_s": max_iters * ms_per_iter(max_iters) / 1000, "best_val_loss": 1.5}

    for budget in (180, 600):
        asked.clear()
        got = nanogpt.fill_budget(run_at, budget, probe_ms=38.7)
        assert len(asked) == 2 and asked[0] == round(budget / 0.0387), asked
        assert asked[0] * (49 + 0.0001 * asked[0]) / 1000 > 1.2 * budget  # the first run missed, as it did
        assert abs(got["train_s"] - budget) <= 0.05 * budget and got["max_iters"] == asked[1], got
        assert got["tries"] == [(n, pytest.approx(n * (49 + 0.0001 * n) / 1000)) for n in asked]
    asked.clear()
    steady = nanogpt.fill_budget(lambda n: run_at(n, lambda _: 50.0), 180, probe_ms=49.0)  # 2 % off: kept
    assert asked == [round(180 / 0.049)] and steady["tries"] == [(asked[0], pytest.approx(asked[0] * 0.05))]


def test_quality_plots_nanogpt_as_measured_only_from_a_run_of_bench_nanogpt(tmp_path):
    """Fails when bench/quality.py hard-codes a nanoGPT figure again as if measured."""
    quality = load("quality")
    (published,) = quality.nanogpt_points([])
    assert "published" in published["label"] and published["val_loss"] == 1.88
    run = tmp_path / "nanogpt.txt"
    run.write_text("iter 1: ...\n" + json.dumps({"max_iters": 2000, "final_val_loss": 1.9, "train_s": 200.0}) + "\n")
    (measured,) = quality.nanogpt_points([run])
    assert (measured["val_loss"], measured["train_s"]) == (1.9, 200.0) and "measured here" in measured["label"]
    run.write_text("no json\n")
    with pytest.raises(SystemExit, match="not bench/nanogpt.py's JSON line"):
        quality.nanogpt_points([run])


def test_every_rerun_marker_names_a_script_that_exists():
    markers = [m for doc in ("README.md", "BENCHMARKS.md")
               for m in re.findall(r"<!-- rerun: (.*?) -->", (PROJECT / doc).read_text(encoding="utf-8"))]
    scripts = {script for m in markers for script in re.findall(r"bench/\w+\.py", m)}
    assert all((PROJECT / script).is_file() for script in scripts), scripts


def test_quality_budgets_are_seconds_of_the_reference_machine():
    """Fails when bench/quality.py gives a faster machine more seconds (the ratio inverted), ignores the
    reference, or accepts a peak it could not measure."""
    train = load("train")
    assert train.time_scale(860.0, 430.0) == 0.5   # twice the reference's peak: half its seconds
    assert train.time_scale(215.0, 430.0) == 2.0
    assert train.time_scale(123.4, 0) == 1.0       # no reference: this machine's seconds
    with pytest.raises(SystemExit, match="matmul peak"):
        train.time_scale(0.0, 430.0)


def curves(*names, candidate=(), ngram=1.69, nanogpt=()):
    """A bench/quality.py curve file's content: each recipe two points on a falling line."""
    return {"results": {name: {"curve": [{"seconds": s, "val_nats": 2.0 - s / 600 - i / 10,
                                          "nanogpt_metric": 2.1 - s / 600 - i / 10,
                                          "kept_val_nats": 2.0, "kept_nanogpt_metric": 2.1} for s in (60, 600)]}
                        for i, name in enumerate(names)},
            "best_ngram": ngram, "nanogpt": list(nanogpt), "candidate": list(candidate)}


def test_quality_plot_draws_every_recipe_and_merges_runs_by_their_candidate_keys(tmp_path):
    """Fails when the plot drops recipes past its colours (it zipped with three, so the fourth of
    `--only article --only "old default" --only "new default" --set ...` vanished), when runs of one
    candidate each merge under one name `candidate`, or when a recipe in two files is drawn once."""
    plot = load("quality_plot")
    four = curves("article", "old default", "new default", "candidate")
    labels = plot.save_plot(four["results"], 1.69, [], tmp_path / "four.png")
    assert [label.split(":")[0] for label in labels if "every character" in label] == list(four["results"])
    assert (tmp_path / "four.png").stat().st_size > 0
    star = {"val_loss": 1.53, "train_s": 610.0, "label": "nanoGPT's best at the 10min budget"}
    runs = [("a.json", curves("new default", "candidate", candidate=["train.carry_state=true"], nanogpt=[star])),
            ("b.json", curves("candidate", candidate=["train.layers=2", "train.hidden_units=304"], ngram=9.0)),
            ("c.json", curves("article", "old default"))]
    merged = plot.merge(runs)
    assert list(merged["results"]) == ["new default", "candidate: carry_state=true",
                                       "candidate: layers=2, hidden_units=304", "article", "old default"]
    assert merged["best_ngram"] == 1.69 and merged["nanogpt"] == [star]
    labels = plot.save_plot(**merged, path=tmp_path / "merged.png", measures=("nanogpt_metric", "kept_nanogpt_metric"))
    assert sum("nanoGPT's measure" in label for label in labels) == 2 * 5 and "nanoGPT's best at the 10min budget" in labels
    again = plot.merge(runs[:1] + [("d/b.json", curves("new default", "candidate", candidate=["train.carry_state=true"]))])
    assert list(again["results"]) == ["new default", "candidate: carry_state=true", "new default (b.json)",
                                      "candidate: carry_state=true (b.json)"]


def test_quality_plot_redraws_several_runs_and_saves_their_merged_curves(tmp_path):
    """Fails when the command line drops a file, refuses its --measure or --ylim, or does not save the
    merged curves (which then redraw from one file, without writing curves again)."""
    for name, saved in (("a.json", curves("new default", "candidate", candidate=["train.weight_decay=0"])),
                        ("b.json", curves("article", "old default"))):
        (tmp_path / name).write_text(json.dumps(saved))
    command = [sys.executable, str(PROJECT / "bench/quality_plot.py"), str(tmp_path / "a.json"), str(tmp_path / "b.json"),
               "--plot", str(tmp_path / "all.png"), "--measure", "kept_nanogpt_metric", "--ylim", "1.4", "2.4"]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0 and (tmp_path / "all.png").stat().st_size > 0, done.stderr[-2000:]
    merged = json.loads((tmp_path / "all.json").read_text())
    assert list(merged["results"]) == ["new default", "candidate: weight_decay=0", "article", "old default"]
    again = subprocess.run([*command[:2], str(tmp_path / "all.json"), "--plot", str(tmp_path / "again.png")],
                           capture_output=True, text=True)
    assert again.returncode == 0 and not (tmp_path / "again.json").exists(), again.stderr[-2000:]

