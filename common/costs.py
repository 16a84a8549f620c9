"""What a setting costs before anything runs: the train stage's peak memory, this machine's memory.

In:  the train.* sizes (batch_size, section_length, hidden_units, layers, embedding), the vocabulary
     size, the objective, and how many windows the shuffle buffer holds.
Out: `training_parts(...)` -> {part: bytes}, each part named with the params.yaml keys that drive it;
     `training_peak_bytes(...)`, their sum: an upper bound, within a small factor, of the train
     stage's peak resident memory; `machine_memory_bytes()`; `memory_refusal(...)`, the message
     that refuses a setting that cannot fit, or None; `gigabytes(n)` for messages.

How the bound is built (tests/test_costs.py trains real models in child processes and checks that
their peak RSS is at most this, and more than a quarter of it):
- TensorFlow itself: a process that imports it and runs the whole stage on a tiny model peaks at
  0.81 GB on the reference machine (libraries, thread pools, traced graphs); counted as 1 GiB.
- The backward pass. On a CPU Keras runs the LSTM as a `tf.while_loop`, and TensorFlow keeps, for
  every step of every window of the batch, what the gradient needs: the loop's accumulators (read
  from the traced graph: h, c, the four gates and tanh(c), 7 vectors of `hidden_units` floats), the
  stacked output sequence and its transpose (2), dropout's mask and output (2), and the gradient of
  the sequence, dense, transposed and as a list (3): 14 floats per cell, per layer. TensorFlow's own
  allocator statistics (TF_CPU_ALLOCATOR_USE_BFC) put the live peak at 10.8 floats per cell for
  `all` and 7.3 for `last` (whose output sequence is stacked and gets a dense gradient too); peak RSS,
  which also holds what malloc's per-thread arenas keep of freed memory, at 11.7 and 10.5. Plus the
  first layer's input (embedding or one-hot) and its transpose, and with `all` the logits, the
  softmax's gradient and the logits' gradient, `vocab_size` floats each per position.
- Evaluation reads the validation text as EVAL_POSITIONS characters at a time, forward only (the
  output sequence, its transpose and the logits): counted instead of the backward pass when larger,
  since the two never hold memory at once.
- The parameters, 8 copies: weights, gradients, clipped gradients, Adam's two moments, the
  generator's twin and frozen copies (evaluation, samples), and the copy a checkpoint writes.
- The shuffle buffer: `shuffle_windows` windows of section_length + 1 uint8 each, plus tf.data's
  and malloc's per-element overhead (a Tensor, its buffer object, a 64-byte aligned allocation):
  measured (peak RSS with the buffer full, against the same reader without it) at 165 bytes a
  window of 21 characters, 187 at 51, 249 at 201, 196 at 1,001 and 14% of the data at 5,001;
  counted as the larger of ELEMENT_OVERHEAD and half the window.
- The reader: records of RECORD_WINDOWS windows read, parsed and decoded at once, measured at about
  4 records' worth with 30,001-character windows: READER_RECORDS of them.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

FLOAT = 4                       # bytes of a float32
BASELINE = 1 << 30              # TensorFlow and the stage around a tiny model (0.81 GB measured)
FLOATS_PER_CELL = 14            # kept per step, window and LSTM cell for the backward pass
ELEMENT_OVERHEAD = 512          # bytes of tf.data bookkeeping per window in the shuffle buffer, at least
RECORD_WINDOWS = 1024           # common/windows.py's WINDOWS_PER_RECORD (that module imports TensorFlow)
READER_RECORDS = 8              # records the tf.data reader holds at once, counted twice the 4 measured
PARAMETER_COPIES = 8
EVAL_POSITIONS = 16 * 1000      # pipeline/train/evaluate.py: STREAMS streams of CHUNK characters


def parameter_count(*, hidden_units: int, layers: int, embedding: int, vocab_size: int) -> int:
    """The model's trainable parameters (common/model.py): embedding, LSTM stack, the logits' Dense."""
    count = vocab_size * embedding
    width = embedding or vocab_size
    for _ in range(layers):
        count += (width + hidden_units + 1) * 4 * hidden_units
        width = hidden_units
    return count + hidden_units * vocab_size + vocab_size


def training_parts(*, batch_size: int, section_length: int, hidden_units: int, layers: int, embedding: int,
                   vocab_size: int, objective: str, shuffle_windows: int) -> dict[str, int]:
    """The parts of `training_peak_bytes`, each keyed by what it is and the keys that make it grow."""
    positions = batch_size * section_length
    per_position_logits = 3 * vocab_size if objective == "all" else 0
    backward = FLOAT * (positions * (FLOATS_PER_CELL * hidden_units * layers + 2 * (embedding or vocab_size)
                                     + per_position_logits) + batch_size * 3 * vocab_size)
    evaluation = FLOAT * EVAL_POSITIONS * (3 * hidden_units * layers + 3 * vocab_size)
    parameters = PARAMETER_COPIES * FLOAT * parameter_count(hidden_units=hidden_units, layers=layers,
                                                            embedding=embedding, vocab_size=vocab_size)
    return {
        "the backward pass through every step of a batch (train.batch_size x train.section_length x "
        "train.hidden_units x train.layers)": max(backward, evaluation),
        "the shuffle buffer (train.shuffle_buffer windows of train.section_length + 1 characters)":
            shuffle_windows * max(section_length + 1 + ELEMENT_OVERHEAD, (section_length + 1) * 3 // 2),
        "the reader's records (train.section_length)": READER_RECORDS * RECORD_WINDOWS * (section_length + 1),
        "the parameters, their gradients and the optimizer's state (train.hidden_units, train.layers, "
        "train.embedding)": parameters,
        "TensorFlow itself": BASELINE,
    }


def training_peak_bytes(*, batch_size: int, section_length: int, hidden_units: int, layers: int, embedding: int,
                        vocab_size: int, objective: str, shuffle_windows: int) -> int:
    """An upper bound, within a small factor, of the train stage's peak resident memory in bytes."""
    return sum(training_parts(batch_size=batch_size, section_length=section_length, hidden_units=hidden_units,
                              layers=layers, embedding=embedding, vocab_size=vocab_size, objective=objective,
                              shuffle_windows=shuffle_windows).values())


def _cgroup_limits() -> list[int]:
    """The memory limits of this process's cgroups (v1 and v2) that are set, in bytes."""
    limits = []
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return limits
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":                                   # v2: 0::/path
            candidates = [f"/sys/fs/cgroup{path}/memory.max", "/sys/fs/cgroup/memory.max"]
        elif "memory" in controllers.split(","):                # v1: N:memory:/path
            candidates = [f"/sys/fs/cgroup/memory{path}/memory.limit_in_bytes",
                          "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
        else:
            continue
        for candidate in candidates:
            try:
                text = Path(candidate).read_text().strip()
            except OSError:
                continue
            if re.fullmatch(r"\d+", text) and int(text) < 1 << 60:   # "max", or v1's "unlimited" 2**63 - 4096
                limits.append(int(text))
            break
    return limits


def machine_memory_bytes() -> int:
    """This machine's memory (MemTotal), or the memory limit of the cgroup this process runs in if lower."""
    total = None
    try:
        match = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
        total = int(match.group(1)) * 1024 if match else None
    except OSError:
        pass
    if total is None:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return min([total, *_cgroup_limits()])


def gigabytes(count: int) -> str:
    """A byte count as a message says it: '23.4 GB' (decimal gigabytes, as `free -g` rounds)."""
    return f"{count / 1e9:,.1f} GB" if count >= 1e8 else f"{count / 1e6:,.0f} MB"


def memory_refusal(parts: dict[str, int], memory: int, what: str = "the train stage") -> str | None:
    """None when the parts fit in `memory` bytes; else a message: what it would need, what the
    machine has, and the parts, largest first, with the keys that make them grow."""
    need = sum(parts.values())
    if need <= memory:
        return None
    listed = "; ".join(f"{name}: {gigabytes(size)}" for name, size in
                       sorted(parts.items(), key=lambda item: -item[1]))
    return (f"{what} would need about {gigabytes(need)} of memory, and this machine has {gigabytes(memory)}. "
            f"By part, largest first: {listed}. Lower the keys of the largest parts.")


def train_refusal(settings, windows: int, vocab_size: int) -> str | None:
    """`memory_refusal` for the train stage's settings (a `TrainSettings`) on the real data: `windows`
    training windows (the shuffle buffer holds at most those) and `vocab_size` symbols."""
    parts = training_parts(batch_size=settings.batch_size, section_length=settings.section_length,
                           hidden_units=settings.hidden_units, layers=settings.layers, embedding=settings.embedding,
                           vocab_size=vocab_size, objective=settings.objective,
                           # carry_state holds the whole split to cut it into streams: counted as a full shuffle
                           shuffle_windows=windows if settings.carry_state else min(settings.shuffle_buffer, windows))
    return memory_refusal(parts, machine_memory_bytes())
