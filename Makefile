# Quick start: `make demo` (the whole pipeline offline, small model) and `make test`.
# Both create .venv and install the project into it first if that has not been done.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export DVC_NO_ANALYTICS := 1

.PHONY: install demo test bench clean-demo

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/scriptlm demo --dir demo

test: install
	PATH="$(abspath $(VENV))/bin:$$PATH" $(PY) -m pytest

clean-demo:
	rm -rf demo
