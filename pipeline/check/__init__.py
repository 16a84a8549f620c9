"""DVC stage `check`: the whole params.yaml against the schema, before any stage runs."""
