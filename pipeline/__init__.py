"""scriptlm's DVC stages, one package each: `python -m pipeline.<stage>` runs `pipeline/<stage>/__main__.py`.

What only one stage uses sits in that stage's package; what several share is in `common/`; the
sites (crawling and parsing) are in `scrapers/`; the `scriptlm` command and the workspace builder,
which run the stages but are none, are in `app/`. No stage imports another stage.
"""
import common  # noqa: F401  (quiets TensorFlow's start-up chatter before any stage imports it)
