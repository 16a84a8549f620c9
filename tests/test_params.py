"""params.yaml checking: every problem is named before any work, and dvc.yaml lists what stages read."""
import re
from dataclasses import MISSING, FrozenInstanceError, fields

import pytest
import yaml

from app.workspace import with_overrides
from common.params import ParamsError, check_params, load_params
from common.settings import STAGE_SETTINGS, ScrapeSettings, TrainSettings, settings_from


@pytest.fixture
def params(project_root):
    return load_params(project_root / "params.yaml")


def test_project_params_keep_the_article_size_and_sources(params):
    assert params["train"]["hidden_units"] == 1024
    assert params["train"]["section_length"] == 50
    assert params["scrape"]["source"] == "live"
    assert params["scrape"]["imsdb"]["shows"] == ["South Park"]
    assert set(params["scrape"]["sites"]) == {"imsdb", "livesinabox"}


def test_readme_article_command_gives_the_article_recipe(params, project_root):
    """Fails if the README's 'Reproduce the article' command drifts from the article's recipe or
    names a key params.yaml no longer has."""
    readme = (project_root / "README.md").read_text()
    section = readme[readme.index("## Reproduce the article"):]
    command = section[section.index("```sh"):section.index("```", section.index("```sh") + 5)]
    overrides = {key: yaml.safe_load(value.strip("'"))
                 for key, value in re.findall(r"-S '?([\w.]+)=(\S+?)'?(?=\s|$)", command)}
    article = with_overrides(params, overrides)["train"]
    # The article: 1024 one-hot-fed cells, 50-char windows every 10 chars,
    # last-position target, plain SGD at 0.01, no clipping, batch 128, corpus order.
    assert {k: article[k] for k in ("hidden_units", "section_length", "step", "objective", "optimizer",
                                    "learning_rate", "lr_schedule", "clipnorm", "shuffle_buffer",
                                    "embedding", "dropout", "batch_size")} == {
        "hidden_units": 1024, "section_length": 50, "step": 10, "objective": "last",
        "optimizer": "sgd", "learning_rate": 0.01, "lr_schedule": "constant", "clipnorm": 0,
        "shuffle_buffer": 0, "embedding": 0, "dropout": 0, "batch_size": 128}


def test_typo_names_the_key_and_suggests_the_right_one(params):
    params["train"]["stpe"] = params["train"].pop("step")
    with pytest.raises(ParamsError, match=r"unknown key 'train.stpe'.*did you mean 'train.step'"):
        check_params(params)


def test_missing_key_is_named(params):
    del params["clean"]["val_fraction"]
    with pytest.raises(ParamsError, match="missing key 'clean.val_fraction'"):
        check_params(params)


@pytest.mark.parametrize("key, value, message", [
    ("train.step", -1, "'train.step' is -1; it must be > 0"),
    ("train.step", 0, "'train.step' is 0"),
    ("train.section_length", 0, "'train.section_length' is 0; it must be > 0"),
    ("train.hidden_units", 2.5, "'train.hidden_units' is the number 2.5; it must be a whole number"),
    ("clean.ascii", "yes", "'clean.ascii' is the string 'yes'; it must be true or false"),
    ("scrape.source", "web", "live, offline or text"),
    ("sample.temperatures", [0.5, -1], "'sample.temperatures'"),
    ("train.epochs", True, "'train.epochs' is true (true/false); it must be a whole number > 0"),
    ("train.epochs", "8", "'train.epochs' is the string '8'; it must be a whole number > 0. Remove the quotes"),
    ("scrape.sites", "imsdb", "'scrape.sites' is the string 'imsdb'; it must be a non-empty list"),
    ("train.learning_rate", float("inf"), "'train.learning_rate' is inf; it must be a number > 0, and finite"),
    ("scrape.delay", float("nan"), "'scrape.delay' is nan"),                # nan >= 0 is False, nan < 0 too
    ("clean.val_fraction", float("nan"), "'clean.val_fraction' is nan"),
    ("sample.temperatures", [0.5, float("inf")], "'sample.temperatures' is [0.5, inf]"),
    # issue 19: absurd values passed, then crashed or waited forever downstream
    ("scrape.delay", 1e300, "'scrape.delay' is 1e+300; it must be in [0, 86400] (seconds; at most a day)"),
    ("scrape.deadline", 86_400.5, "'scrape.deadline' is 86400.5; it must be in [0, 86400]"),
    ("scrape.retries", 1100, "'scrape.retries' is 1100; it must be in [0, 10]"),   # 2 ** 1100 overflows a float
    ("train.seed", -1, "'train.seed' is -1; it must be >= 0"),                     # NumPy refuses negative seeds
    ("sample.seed", 2**40, "'sample.seed' is 1099511627776; no number here may exceed 2,147,483,647"),
    ("train.batch_size", 2**31, "'train.batch_size' is 2147483648; no number here may exceed"),
    ("sample.temperatures", [0.5, 1e300], "'sample.temperatures' is [0.5, 1e+300]; no number here may exceed"),
])
def test_bad_values_are_refused_naming_the_key(params, key, value, message):
    with pytest.raises(ParamsError, match=re.escape(message)):
        with_overrides(params, {key: value})


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(ParamsError, match="not found"):
        load_params(tmp_path / "params.yaml")
    (tmp_path / "params.yaml").write_text("train: [unclosed\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_params(tmp_path / "params.yaml")


def test_the_check_reads_the_whole_file_and_every_knob_is_read_by_a_stage(project_root):
    stages = yaml.safe_load((project_root / "dvc.yaml").read_text())["stages"]
    check = stages.pop("check")   # reads the whole file as a plain dep, not some params
    assert "params.yaml" in check["deps"] and "params" not in check
    assert set(stages) == set(STAGE_SETTINGS)   # each stage's params are its settings' keys: test_knobs.py
    # `dvc exp run -S train.step=1` must re-window: the window stage reads the step, train does not.
    assert {"train.section_length", "train.step"} <= set(stages["window"]["params"])
    assert "train.step" not in stages["train"]["params"]


def test_settings_objects_carry_the_values_of_params_yaml(params):
    train = settings_from(TrainSettings, params)
    assert train.hidden_units == params["train"]["hidden_units"] == 1024
    assert train.preview_temperatures == tuple(params["train"]["preview_temperatures"])
    scrape = settings_from(ScrapeSettings, params)
    assert scrape.site("imsdb").shows == tuple(params["scrape"]["imsdb"]["shows"])
    assert scrape.livesinabox.url == params["scrape"]["livesinabox"]["url"]
    with pytest.raises(FrozenInstanceError):
        train.epochs = 1


def test_no_settings_field_has_a_default():
    """params.yaml is the only place a value is written: a default here would be a second copy."""
    classes = list(STAGE_SETTINGS.values())
    for cls in classes:
        for item in fields(cls):
            assert item.default is MISSING and item.default_factory is MISSING, (cls.__name__, item.name)
            classes += [item.metadata["group"]] if "group" in item.metadata else []
    assert len(classes) == len(STAGE_SETTINGS) + 3   # and the groups of the two sites and the text source


def test_exponent_floats_are_numbers_as_dvc_writes_them(params, tmp_path):
    """`dvc exp run -S train.learning_rate=1e-5` writes 1e-05, which YAML 1.1 reads as a string: it was
    refused as "the string '1e-05'"; `scrape.delay: 1e300` likewise passed the type check's eye as text."""
    text = re.sub(r"learning_rate: [^\n]+", "learning_rate: 1e-05", yaml.safe_dump(params))
    (tmp_path / "params.yaml").write_text(text)
    assert load_params(tmp_path / "params.yaml")["train"]["learning_rate"] == 1e-05
    (tmp_path / "params.yaml").write_text(text.replace("delay: 1.0", "delay: 1e300"))
    with pytest.raises(ParamsError, match=re.escape("'scrape.delay' is 1e+300; it must be in [0, 86400]")):
        load_params(tmp_path / "params.yaml")
