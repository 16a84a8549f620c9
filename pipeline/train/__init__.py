"""The `train` stage: the character LSTM fitted on the windows, scored on held-out episodes
(`__main__.py` is the entry point, `fit.py` the run; the model itself is `common/model.py`)."""
