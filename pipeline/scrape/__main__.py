"""DVC stage `scrape`: `python -m pipeline.scrape`.

In: params `scrape.*` (the keys dvc.yaml lists for this stage).
Out: `data/raw/<source>/<site>/{pages/, manifest.jsonl, episodes.json}` (docs/contracts.md); a
summary per site on stdout; exit code 0, or 1 when a site yielded no usable page or more than
`scrape.max_failed_fraction` of its pages failed (what was fetched is kept), 130 when interrupted.
The work is done by `scrapers/run.py`.
"""
import sys

from common.params import load_params
from scrapers.run import run_main, scrape


def main() -> None:
    def run():
        params = load_params()
        return scrape(params), params["scrape"]["max_failed_fraction"]

    sys.exit(run_main("scrape", run))


if __name__ == "__main__":
    main()
