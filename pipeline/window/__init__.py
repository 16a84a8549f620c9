"""The `window` stage: the corpus cut into fixed-length windows of character ids, as TFRecords
(`__main__.py` is the entry point, `write.py` the writer; the format is `common/windows.py`)."""
