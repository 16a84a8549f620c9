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
# For this CPU, but without AVX-512: TensorFlow's Eigen does not compile with AVX512-FP16 under g++ 12
# ("expected initializer before '<' token" in PacketMathFP16.h), and on an Intel Xeon with AVX-512 the op
# built without it trained 1.3-1.5x as fast as with it (BENCHMARKS.md). A build for this CPU that still fails is
# tried once more for any x86-64.
TF_FLAGS = $(PY) -c "import tensorflow as tf; print(' '.join(tf.sysconfig.get_compile_flags() + tf.sysconfig.get_link_flags()))" 2>/dev/null
NO_AVX512 = $$($(CXX) -mno-avx512f -E -x c++ /dev/null >/dev/null 2>&1 && echo -mno-avx512f)
BUILD_OP = $(CXX) -shared -fPIC -O3 -w $< -o $@ $$($(TF_FLAGS))
$(OP): common/fused_lstm_op.cc $(VENV)/.installed
	@if ! command -v $(CXX) >/dev/null 2>&1; then \
	  echo "make: no $(CXX), so the fused LSTM op is not built: training will use Keras's LSTM"; \
	elif echo "make: building the fused LSTM op, $@ (about a minute)" && $(BUILD_OP) -march=native $(NO_AVX512) 2>$@.log; then rm -f $@.log; \
	elif echo "make: the build for this CPU failed; building the op for any x86-64" && $(BUILD_OP) 2>>$@.log; then rm -f $@.log; \
	else rm -f $@; echo "make: the fused LSTM op did not build ($@.log says why): training will use Keras's LSTM"; fi

# Whether the op is faster than Keras's LSTM here, per model size: `train.fused_lstm: auto` follows it.
TIMING := common/_fused_lstm.json
$(TIMING): $(OP) common/fused_timing.py
	@if [ -f $(OP) ]; then echo "make: timing the fused LSTM op against Keras's LSTM on this machine (about a minute)"; \
	  if $(PY) -m common.fused_timing --out $@ 2>$@.log; then rm -f $@.log; \
	  else rm -f $@; echo "make: the timing failed ($@.log says why): train.fused_lstm auto will take the op"; fi; fi

install: $(VENV)/.installed $(OP) $(TIMING)

demo: install
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/scriptlm demo --dir demo

# Two workers (most tests wait on a subprocess: TensorFlow's import, DVC), a file at a time, so a file's
# fixtures are built once, the slowest files first (tests/conftest.py's SLOWEST_FIRST, kept in that order
# by --no-loadscope-reorder); the slowest tests are listed at the end.
TEST_WORKERS ?= 2
test: install
	PATH="$(abspath $(VENV))/bin:$$PATH" $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=15

clean-demo:
	rm -rf demo
