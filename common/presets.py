"""Named sets of overrides of params.yaml, each written once: the offline scrape and `make demo`.

In:  nothing (dotted keys of the knobs declared in `common/settings.py`, and their values).
Out: `OFFLINE`: scrape the bundled site on 127.0.0.1 with no politeness delay (the server is our own);
     `DEMO`: `make demo`'s small offline run (the workspace of `app/workspace.py`). The tests' tiny
     workspace and the benchmarks start from `OFFLINE`; the README lists `DEMO` (`common/reference.py`).
"""

OFFLINE = {
    "scrape.source": "offline",
    "scrape.delay": 0.0,
}

# A 256-cell model trained for a few minutes on 2 CPU cores, with a preview every 10 of its 40 epochs.
DEMO = {
    **OFFLINE,
    "train.hidden_units": 256,
    "train.epochs": 40,
    "train.preview_every": 10,
    "sample.length": 600,
}
