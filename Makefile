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

# Two workers (most tests wait on a subprocess: TensorFlow's import, DVC), a file at a time, so a file's
# fixtures are built once; the slowest tests are listed at the end.
TEST_WORKERS ?= 2
test: install
	PATH="$(abspath $(VENV))/bin:$$PATH" $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

clean-demo:
	rm -rf demo
