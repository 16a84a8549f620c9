"""The `sample` stage: new scripts written by the trained model, one per temperature
(`__main__.py` is the entry point, `samples.py` the writer; the generator is `common/generate.py`)."""
