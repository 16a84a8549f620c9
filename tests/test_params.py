"""params.yaml checking: every problem is named before any work, and dvc.yaml lists what stages read."""
import pytest
import yaml

from common.params import SCHEMA, ParamsError, check_params, load_params
from pipeline.workspace import with_overrides


@pytest.fixture
def params(project_root):
    return load_params(project_root / "params.yaml")


def test_project_params_are_valid_and_reproduce_the_article(params):
    assert params["train"]["hidden_units"] == 1024
    assert params["train"]["section_length"] == 50
    assert params["train"]["step"] == 10
    assert params["scrape"]["source"] == "live"
    assert params["scrape"]["imsdb"]["shows"] == ["South Park"]
    assert set(params["scrape"]["sites"]) == {"imsdb", "livesinabox"}


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
    ("train.hidden_units", 2.5, "'train.hidden_units' is 2.5"),
    ("clean.ascii", "yes", "'clean.ascii' is 'yes'"),
    ("scrape.source", "web", "live or sample"),
    ("sample.temperatures", [0.5, -1], "'sample.temperatures'"),
    ("train.epochs", True, "'train.epochs' is True"),
])
def test_bad_values_are_refused_naming_the_key(params, key, value, message):
    with pytest.raises(ParamsError, match=message.replace("(", r"\(").replace("[", r"\[")):
        with_overrides(params, {key: value})


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(ParamsError, match="not found"):
        load_params(tmp_path / "params.yaml")
    (tmp_path / "params.yaml").write_text("train: [unclosed\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_params(tmp_path / "params.yaml")


def test_dvc_yaml_stages_list_only_known_params_and_together_cover_all(project_root):
    stages = yaml.safe_load((project_root / "dvc.yaml").read_text())["stages"]
    listed = {key for stage in stages.values() for key in stage.get("params", [])}
    assert listed <= set(SCHEMA), listed - set(SCHEMA)
    assert listed == set(SCHEMA), set(SCHEMA) - listed
    # `dvc exp run -S train.step=1` must re-window: the window stage reads the step.
    assert {"train.section_length", "train.step"} <= set(stages["window"]["params"])
    assert "train.step" not in stages["train"]["params"]
