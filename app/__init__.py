"""What runs the pipeline rather than being part of it: the `scriptlm` command (`app/cli.py`), the
models' page of `scriptlm serve` (`app/server.py`, with `catalog.py`, `runfiles.py`, `generation.py` and
the page's files in `static/`), the isolated workspace of `make demo` and the tests (`app/workspace.py`),
and the writer of the offline plots page (`app/plots_page.py`).

None of it is a DVC stage. `app` imports `common`, `scrapers` and `pipeline`; nothing in them imports
`app` (only the tests and the benchmarks do).
"""
