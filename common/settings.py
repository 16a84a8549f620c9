"""Each stage's settings: one typed, frozen object per stage, built from params.yaml by the schema.

In:  checked params (`common/params.py`), or a params file.
Out: `ScrapeSettings`, `CleanSettings`, `WindowSettings`, `TrainSettings`, `SampleSettings`:
     `load_settings(cls)` reads and checks params.yaml and returns the stage's object;
     `settings_from(cls, params)` builds it from params already loaded; `keys_of(cls)` lists the
     dotted keys it reads, which are exactly the `params:` of the stage in dvc.yaml (a test checks).

Every field names the params.yaml key it comes from; no field has a default, so the only place a
value is written is params.yaml. Lists become tuples, so settings stay immutable.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path

from common.params import PARAMS_FILE, load_params, lookup


def key(dotted: str):
    """A field read from the params.yaml key `dotted`."""
    return field(metadata={"key": dotted})


def group(cls):
    """A field holding the settings object `cls` (a nested group such as `scrape.imsdb`)."""
    return field(metadata={"group": cls})


@dataclass(frozen=True)
class ImsdbSettings:
    url: str = key("scrape.imsdb.url")
    shows: tuple[str, ...] = key("scrape.imsdb.shows")
    movies: str = key("scrape.imsdb.movies")
    movie_limit: int = key("scrape.imsdb.movie_limit")


@dataclass(frozen=True)
class LivesinaboxSettings:
    url: str = key("scrape.livesinabox.url")


@dataclass(frozen=True)
class TextSettings:
    path: str = key("scrape.text.path")
    pattern: str = key("scrape.text.pattern")


@dataclass(frozen=True)
class ScrapeSettings:
    source: str = key("scrape.source")
    sites: tuple[str, ...] = key("scrape.sites")
    delay: float = key("scrape.delay")
    timeout: float = key("scrape.timeout")
    retries: int = key("scrape.retries")
    max_page_bytes: int = key("scrape.max_page_bytes")
    limit: int = key("scrape.limit")
    max_failed_fraction: float = key("scrape.max_failed_fraction")
    deadline: float = key("scrape.deadline")
    max_host_failures: int = key("scrape.max_host_failures")
    refresh: bool = key("scrape.refresh")
    imsdb: ImsdbSettings = group(ImsdbSettings)
    livesinabox: LivesinaboxSettings = group(LivesinaboxSettings)
    text: TextSettings = group(TextSettings)

    def site(self, name: str):
        """The settings of one site: `imsdb` or `livesinabox`."""
        return getattr(self, name)


@dataclass(frozen=True)
class CleanSettings:
    source: str = key("scrape.source")
    ascii: bool = key("clean.ascii")
    min_char_count: int = key("clean.min_char_count")
    val_fraction: float = key("clean.val_fraction")
    max_skipped_fraction: float = key("clean.max_skipped_fraction")


@dataclass(frozen=True)
class WindowSettings:
    section_length: int = key("train.section_length")
    step: int = key("train.step")
    compression: str = key("window.compression")


@dataclass(frozen=True)
class TrainSettings:
    section_length: int = key("train.section_length")
    objective: str = key("train.objective")
    hidden_units: int = key("train.hidden_units")
    layers: int = key("train.layers")
    embedding: int = key("train.embedding")
    dropout: float = key("train.dropout")
    optimizer: str = key("train.optimizer")
    learning_rate: float = key("train.learning_rate")
    lr_schedule: str = key("train.lr_schedule")
    warmup_steps: int = key("train.warmup_steps")
    final_lr_fraction: float = key("train.final_lr_fraction")
    clipnorm: float = key("train.clipnorm")
    batch_size: int = key("train.batch_size")
    epochs: int = key("train.epochs")
    shuffle_buffer: int = key("train.shuffle_buffer")
    seed: int = key("train.seed")
    sample_every: int = key("train.sample_every")
    sample_temperatures: tuple[float, ...] = key("train.sample_temperatures")
    sample_length: int = key("train.sample_length")
    strategy: str = key("train.strategy")
    mixed_precision: bool | str = key("train.mixed_precision")  # false, true (= float16), float16, bfloat16
    jit_compile: bool = key("train.jit_compile")
    deterministic: bool = key("train.deterministic")


@dataclass(frozen=True)
class SampleSettings:
    section_length: int = key("train.section_length")
    temperatures: tuple[float, ...] = key("sample.temperatures")
    length: int = key("sample.length")
    top_k: int = key("sample.top_k")
    prime: str = key("sample.prime")
    seed: int = key("sample.seed")


STAGE_SETTINGS = {"scrape": ScrapeSettings, "clean": CleanSettings, "window": WindowSettings,
                  "train": TrainSettings, "sample": SampleSettings}


def settings_from(cls, params: dict):
    """The settings object `cls` with every field taken from checked `params`."""
    values = {}
    for item in fields(cls):
        if "group" in item.metadata:
            values[item.name] = settings_from(item.metadata["group"], params)
        else:
            value = lookup(params, item.metadata["key"])
            values[item.name] = tuple(value) if isinstance(value, list) else value
    return cls(**values)


def load_settings(cls, path: str | Path = PARAMS_FILE):
    """Read and check the whole params file, then return the settings object `cls`."""
    return settings_from(cls, load_params(path))


def keys_of(cls) -> list[str]:
    """The dotted params.yaml keys the settings object `cls` reads, nested groups included."""
    keys = []
    for item in fields(cls):
        nested = item.metadata.get("group")
        keys += keys_of(nested) if nested is not None and is_dataclass(nested) else [item.metadata["key"]]
    return keys


def json_ready(settings) -> dict:
    """The settings object as a plain dict of JSON values (tuples as lists), e.g. for a fingerprint."""
    return {name: list(value) if isinstance(value, tuple) else value for name, value in asdict(settings).items()}
