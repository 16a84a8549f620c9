"""Every knob of params.yaml, declared once on the field of the stage's settings that reads it.

In:  checked params (`common/params.py`, whose `load_settings(cls)` reads and checks params.yaml first).
Out: `ScrapeSettings`, `CleanSettings`, `WindowSettings`, `TrainSettings`, `SampleSettings`: one typed,
     frozen object per stage (`settings_from(cls, params)`); `KNOBS`, every declaration by key, from
     which the check, the commands' options, the resume rules and the README's params reference come;
     `keys_of(cls)`, the keys a stage reads: exactly its `params:` in dvc.yaml (`common/reference.py`).

A declaration says the key, its rule (common/knobs.py) and what it means in one line; training's flags
say whether a changed value resumes a run (`resumes`) or changes the model's shape (`shape`). A key read
by several stages is declared on one and `shared` by the others. No field has a default: a value is
written only in params.yaml. Lists become tuples, so settings stay immutable.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from common.knobs import (COUNT, FRACTION, NUMBER, POSITIVE, RATE, SECONDS, SHARE, SWITCH, TEMPERATURES, TEXT,
                          URL, DAY, MAX_RETRIES, Rule, group, key_of, keys_of, knob, knobs_in, lookup, one_of, shared)

__all__ = ["ScrapeSettings", "CleanSettings", "WindowSettings", "TrainSettings", "SampleSettings", "STAGE_SETTINGS",
           "KNOBS", "SITES", "keys_of", "settings_from", "json_ready"]

SITES = ("imsdb", "livesinabox")


def _names(value) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def _glob_inside(value) -> bool:
    # an absolute or `..` pattern would reach files outside the folder, and out of the store's pages/
    parts = value.replace("\\", "/").split("/")
    return value.strip() != "" and parts[0] != "" and ".." not in parts


@dataclass(frozen=True)
class ImsdbSettings:
    url: str = knob("scrape.imsdb.url", URL, "IMSDb's address")
    shows: tuple[str, ...] = knob("scrape.imsdb.shows", Rule(list, _names, "a list of show names"),
                                  "any of Futurama, Seinfeld, South Park, Stargate SG-1, Lost, The 4400")
    movies: str = knob("scrape.imsdb.movies", Rule(str, lambda v: v == v.strip() and v != "",
                                                   "none, all, or an IMSDb genre such as Comedy"),
                       "`none`: TV only; `all`: every movie script; a genre: its movie scripts")
    movie_limit: int = knob("scrape.imsdb.movie_limit", COUNT.noting("0 means no limit"),
                            "at most this many movie scripts")


@dataclass(frozen=True)
class LivesinaboxSettings:
    url: str = knob("scrape.livesinabox.url", URL, "the Friends index page")


@dataclass(frozen=True)
class TextSettings:
    path: str = knob("scrape.text.path",
                     Rule(str, lambda v: v.strip() != "", "a file or folder, relative to the project root"),
                     "with `source: text`: a plain-text file, or a folder of them (a dep of the scrape stage)")
    pattern: str = knob("scrape.text.pattern",
                        Rule(str, _glob_inside, "a glob inside the folder, such as *.txt or **/*.txt"),
                        "the files of that folder to take (`**/` looks into subfolders); hidden files are left out; "
                        "not used for a single file")


@dataclass(frozen=True)
class ScrapeSettings:
    source: str = knob("scrape.source", one_of("live", "offline", "text"),
                       "`live`: the sites below; `offline`: the bundled `offline_site/`, served on 127.0.0.1 (no "
                       "network); `text`: your own files, `scrape.text.*`", renamed_values={"sample": "offline"})
    sites: tuple[str, ...] = knob("scrape.sites", Rule(list, lambda v: _names(v) and set(v) <= set(SITES) and v,
                                                       f"a non-empty list drawn from {', '.join(SITES)}"),
                                  "which sites to scrape")
    delay: float = knob("scrape.delay", SECONDS, "seconds between two requests to one host, plus up to 50% jitter")
    timeout: float = knob("scrape.timeout",
                          Rule(NUMBER, lambda v: 0 < v <= DAY, f"> 0 and at most {DAY} (seconds; a day)"),
                          "seconds to connect, and to wait for data, per request")
    retries: int = knob("scrape.retries", Rule(int, lambda v: 0 <= v <= MAX_RETRIES, f"in [0, {MAX_RETRIES}] (each "
                                               "retry waits twice as long as the one before)"),
                        "extra attempts after a timeout, connection error, 5xx or 429 (never after a 404)")
    max_page_bytes: int = knob("scrape.max_page_bytes", POSITIVE, "larger responses are refused and recorded")
    limit: int = knob("scrape.limit", COUNT.noting("0 means no limit"), "at most this many episodes per site")
    max_failed_fraction: float = knob("scrape.max_failed_fraction", SHARE,
                                      "the stage fails when more of a site's pages than this failed (what was fetched "
                                      "is kept); pages of a host given up count as failed")
    deadline: float = knob("scrape.deadline", Rule(NUMBER, lambda v: 0 <= v <= DAY,
                                                   f"in [0, {DAY}] (seconds; at most a day; 0 means none)"),
                           "seconds for a whole page, retries and redirects included: a server dripping bytes is cut")
    max_host_failures: int = knob("scrape.max_host_failures", COUNT.noting("0 means never give up"),
                                  "after this many connection failures in a row, a host's remaining pages are "
                                  "skipped for this run")
    refresh: bool = knob("scrape.refresh", SWITCH, "fetch again the pages already stored; a stored page is "
                                                   "replaced only by a usable new copy")
    imsdb: ImsdbSettings = group(ImsdbSettings)
    livesinabox: LivesinaboxSettings = group(LivesinaboxSettings)
    text: TextSettings = group(TextSettings)

    def site(self, name: str):
        """The settings of one site: `imsdb` or `livesinabox`."""
        return getattr(self, name)


@dataclass(frozen=True)
class CleanSettings:
    source: str = shared("scrape.source")
    ascii: bool = knob("clean.ascii", SWITCH, "fold typographic punctuation and accents to ASCII")
    min_char_count: int = knob("clean.min_char_count", COUNT, "drop characters seen fewer times than this (reported)")
    val_fraction: float = knob("clean.val_fraction", FRACTION,
                               "share of whole episodes (or text files) held out for validation; with a single text "
                               "file, the share of its characters at its end, and the same across several files "
                               "when one of them would make more than twice this share of the text (the stage "
                               "warns, naming it)")
    max_skipped_fraction: float = knob("clean.max_skipped_fraction", SHARE,
                                       "the stage fails, writing nothing, when more of a site's pages than this yield "
                                       "no script text (the parser failed or found none; for your own text: empty "
                                       "files); `data/raw` is kept")


@dataclass(frozen=True)
class WindowSettings:
    section_length: int = shared("train.section_length")
    step: int = knob("train.step", POSITIVE, "a window starts every `step` characters (the article: 10)")
    compression: str = knob("window.compression", one_of("none", "gzip"), "compression of the TFRecord files")


@dataclass(frozen=True)
class TrainSettings:
    section_length: int = knob("train.section_length", POSITIVE,
                               "characters of context per window (the article: 50); the window stage refuses one that "
                               "leaves no window in a split that has text, or windows that would not fit on the disk")
    objective: str = knob("train.objective", one_of("all", "last"), "`all`: predict the next character at every "
                          "position; `last`: only the character after the window (the article)")
    hidden_units: int = knob("train.hidden_units", POSITIVE, "LSTM cells per layer", shape=True)
    layers: int = knob("train.layers", POSITIVE, "stacked LSTM layers", shape=True)
    embedding: int = knob("train.embedding", COUNT.noting("0 means one-hot"),
                          "0: one-hot inputs (the article); N: a learned N-dimensional embedding", shape=True)
    dropout: float = knob("train.dropout", FRACTION, "dropout after each LSTM layer, while training")
    input_dropout: float = knob("train.input_dropout", FRACTION, "dropout on the first LSTM layer's input (the "
                                "embedding or one-hot vectors), while training")
    optimizer: str = knob("train.optimizer", one_of("adam", "rmsprop", "sgd"), "the optimizer (the article: `sgd`)")
    learning_rate: float = knob("train.learning_rate", RATE, "the optimizer's learning rate")
    weight_decay: float = knob("train.weight_decay", FRACTION, "decoupled weight decay (as AdamW's): each step every "
                               "weight shrinks by `weight_decay` × the learning rate (biases too)")
    lr_schedule: str = knob("train.lr_schedule", one_of("constant", "cosine"),
                            "`cosine`: from `learning_rate` down to `final_lr_fraction` of it over the whole run "
                            "(then `epochs` is part of the run: changing it starts over)")
    warmup_steps: int = knob("train.warmup_steps", COUNT, "with `cosine`, batches over which the learning rate first "
                             "rises linearly from 0")
    final_lr_fraction: float = knob("train.final_lr_fraction", SHARE,
                                    "where the cosine schedule ends, as a fraction of `learning_rate`")
    clipnorm: float = knob("train.clipnorm", Rule(NUMBER, lambda v: v >= 0, ">= 0 (0 means no clipping)"),
                           "clip the gradients' global norm to this")
    batch_size: int = knob("train.batch_size", POSITIVE, "windows per training batch")
    carry_state: bool = knob("train.carry_state", SWITCH, "truncated backpropagation through time, as char-rnn "
                             "trains: the text is cut into `batch_size` streams, each batch row continues its "
                             "stream where the same row of the batch before stopped, with the LSTM state carried "
                             "(reset at each epoch's start); needs `step` = `section_length`; `shuffle_buffer` "
                             "is not used; one device only")
    epochs: int = knob("train.epochs", POSITIVE, "passes over the training windows; raising it continues a finished "
                       "run, but under `lr_schedule: cosine`, which spans the run, a new value starts over",
                       resumes=True)
    shuffle_buffer: int = knob("train.shuffle_buffer", COUNT.noting("0 keeps corpus order"),
                               "windows shuffled within this buffer (the check stage counts it as full, at "
                               "`section_length + 1` bytes and up to 512 of bookkeeping per window)")
    keep: str = knob("train.keep", one_of("best", "last"), "the model `models/` gets: `best`, the epoch's with the "
                     "lowest `eval/nats_per_char` (as nanoGPT keeps its best checkpoint); `last`, the final epoch's",
                     resumes=True)
    seed: int = knob("train.seed", COUNT, "seeds the weights, the shuffling and the dropout masks")
    preview_every: int = knob("train.preview_every", COUNT.noting("0 means never"),
                              "every N epochs, a short preview text per temperature in `dvclive/samples/`",
                              resumes=True, formerly="train.sample_every")
    preview_temperatures: tuple[float, ...] = knob("train.preview_temperatures", TEMPERATURES,
                                                   "the temperatures of those previews", resumes=True,
                                                   formerly="train.sample_temperatures")
    preview_length: int = knob("train.preview_length", POSITIVE, "characters per preview", resumes=True,
                               formerly="train.sample_length")
    strategy: str = knob("train.strategy", one_of("auto", "one_device", "mirrored", "multi_worker"),
                         "`tf.distribute`: `auto` takes all GPUs when there are several; `multi_worker`: several "
                         "machines (TF_CONFIG)", resumes=True)
    mixed_precision: bool | str = knob("train.mixed_precision",
                                       Rule((bool, str), lambda v: v in (False, True, "float16", "bfloat16"),
                                            "a precision: false, float16 or bfloat16 (true means float16)"),
                                       "the LSTM's compute type on GPUs")
    jit_compile: bool = knob("train.jit_compile", SWITCH, "XLA-compile the training step (CPU; on a GPU the cuDNN "
                             "kernel is used instead)", resumes=True)
    threads: str | tuple[int, ...] = knob(
        "train.threads", Rule((str, list), lambda v: v == "auto" or (
            isinstance(v, list) and len(v) == 2 and all(isinstance(n, int) and not isinstance(n, bool)
                                                        and 0 <= n <= 1024 for n in v)),
            "auto, or [inter_op, intra_op]: two whole numbers in [0, 1024] (0: TensorFlow's choice)"),
        "TensorFlow's thread pools, set by the stage before TensorFlow starts: `auto` leaves them to TensorFlow, "
        "which `bench/train.py` measured fastest", resumes=True)
    fused_lstm: bool | str = knob("train.fused_lstm",
                                  Rule((bool, str), lambda v: v in ("auto", True, False),
                                       "a choice: auto, true or false"),
                                  "`auto`: the fused LSTM op (`make install` builds it) on a CPU in float32 when it "
                                  "loads and `make install` did not measure Keras's LSTM faster on this machine, "
                                  "else Keras's LSTM; `true`: the op whenever it loads; `false`: always Keras's",
                                  resumes=True)
    deterministic: bool = knob("train.deterministic", SWITCH, "TensorFlow's deterministic kernels "
                               "(`tf.config.experimental.enable_op_determinism`), so a run on a GPU repeats bitwise; "
                               "a CPU run already does")


@dataclass(frozen=True)
class SampleSettings:
    section_length: int = shared("train.section_length")
    temperatures: tuple[float, ...] = knob("sample.temperatures", TEMPERATURES,
                                           "one sample per temperature; 0 is greedy")
    length: int = knob("sample.length", POSITIVE, "characters per sample")
    top_k: int = knob("sample.top_k", COUNT.noting("0 means no limit"),
                      "sample only among the k most likely characters")
    prime: str = knob("sample.prime", TEXT, "text to warm the model with; empty: a seeded random slice of `val.txt`")
    seed: int = knob("sample.seed", COUNT, "seeds the sampling (and the slice of `val.txt`): the same seed gives the "
                                           "same text")


STAGE_SETTINGS = {"scrape": ScrapeSettings, "clean": CleanSettings, "window": WindowSettings,
                  "train": TrainSettings, "sample": SampleSettings}
KNOBS = knobs_in(STAGE_SETTINGS.values())


def settings_from(cls, params: dict):
    """The settings object `cls` with every field taken from checked `params`."""
    values = {}
    for item in fields(cls):
        if "group" in item.metadata:
            values[item.name] = settings_from(item.metadata["group"], params)
        else:
            value = lookup(params, key_of(item))
            values[item.name] = tuple(value) if isinstance(value, list) else value
    return cls(**values)


def json_ready(settings) -> dict:
    """The settings object as a plain dict of JSON values (tuples as lists), e.g. for a fingerprint."""
    return {name: list(value) if isinstance(value, tuple) else value for name, value in asdict(settings).items()}
