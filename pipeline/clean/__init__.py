"""The `clean` stage: raw pages → one corpus in the uniform script format, split by whole episodes;
or your own text files, kept as they are (`__main__.py` is the entry point, `build.py` the core,
`corpus.py` the assembly rules, `text.py` what differs for plain text)."""
