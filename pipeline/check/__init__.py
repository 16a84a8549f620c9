"""DVC stage `check`: the whole params.yaml against the knobs' declarations, before any stage runs."""
