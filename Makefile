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

# The fused CPU LSTM op (common/fused_lstm.py), compiled against the installed TensorFlow for this machine's
# CPU. Without g++, or if it fails, one line says so and training uses Keras's LSTM.
OP := common/_fused_lstm.so
TF_FLAGS = $(PY) -c "import tensorflow as tf; print(' '.join(tf.sysconfig.get_compile_flags() + tf.sysconfig.get_link_flags()))" 2>/dev/null
$(OP): common/fused_lstm_op.cc $(VENV)/.installed
	@if ! command -v $(CXX) >/dev/null 2>&1; then \
	  echo "make: no $(CXX), so the fused LSTM op is not built: training will use Keras's LSTM"; \
	elif echo "make: building the fused LSTM op, $@ (about a minute)" && $(CXX) -shared -fPIC -O3 -march=native -w $< -o $@ $$($(TF_FLAGS)) 2>$@.log; then rm -f $@.log; \
	else rm -f $@; echo "make: the fused LSTM op did not build ($@.log says why): training will use Keras's LSTM"; fi

install: $(VENV)/.installed $(OP)

demo: install
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/scriptlm demo --dir demo

# Two workers (most tests wait on a subprocess: TensorFlow's import, DVC), a file at a time, so a file's
# fixtures are built once; the slowest tests are listed at the end.
TEST_WORKERS ?= 2
test: install
	PATH="$(abspath $(VENV))/bin:$$PATH" $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

clean-demo:
	rm -rf demo
