"""The `clean` stage: raw pages → one corpus in the uniform script format, split by whole episodes
(`__main__.py` is the entry point, `build.py` the core, `corpus.py` the assembly rules)."""
