"""GPU check: what TensorFlow sees here, whether the LSTM runs on cuDNN, and how fast it trains and samples.

In:  nothing: `bench/window.py`'s generated corpus (printable ASCII and newline) is windowed by the
     window stage's own `make_windows` in a temporary directory; the model is the train stage's
     (`compile_model`, params.yaml's recipe) with `--units` cells: by default 1024, the article's
     size, on a GPU, and a small 64 on a CPU.
Out: human-readable lines, then one JSON line: the devices; whether the LSTM runs on cuDNN, observed
     (a CudnnRNN op in the traced forward and backward pass, which then ran), and the jit_compile
     Keras kept when asked for XLA; the float32 matmul peak; predicted characters per second in
     float32 and mixed precision, each as a share of that float32 peak (mixed can exceed it where
     float16 matmuls are faster); hours for one epoch of the article's corpus at `step` 10 and 1;
     sampling speed (the stateful generator, one sample and a batch of 16).

A figure that was not measured is null in the JSON and "not measured" in the text, never estimated.
The projection assumes the article's corpus, 2.6 M characters: 2.6 M / step windows an epoch, each
predicting section_length characters (objective `all`), at the measured float32 rate.
Run: `.venv/bin/python bench/gpu_check.py [--units 1024] [--batches 20] [--chars 300]`.
"""
import argparse
import json
import tempfile
import warnings
from dataclasses import replace
from pathlib import Path

import keras
import tensorflow as tf

from common.arguments import number
from common.model import Stepper, precision
from common.params import load_settings
from common.settings import TrainSettings, WindowSettings
from pipeline.train.build import compile_model
from pipeline.train.checkpoint import Resume
from pipeline.window.write import make_windows
from sample import stateful_chars_per_second  # bench/ is this script's own folder, first on sys.path
from train import PROJECT, matmul_peak_gflops, throughput, train_flops_per_char
from window import generate_corpus

ARTICLE_CHARS = 2_600_000
SYNTHETIC_CHARS = 200_000  # enough windows for the timed batches (the dataset repeats)


def devices() -> tuple[list[str], dict | None]:
    """Every physical device's name, and the first GPU's details (None without a GPU)."""
    gpus = tf.config.list_physical_devices("GPU")
    gpu = None
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        gpu = {"name": details.get("device_name", gpus[0].name),
               "compute_capability": details.get("compute_capability"),
               "tensor_float_32": tf.config.experimental.tensor_float_32_execution_enabled()}
    return [d.name for d in tf.config.list_physical_devices()], gpu


def cudnn_check(settings: TrainSettings, vocab: int) -> tuple[keras.Model, dict]:
    """Trace the model's forward and backward pass, look for cuDNN's RNN ops in its graph and run it
    once: an op in the graph that cannot run here fails then. The model is compiled with
    jit_compile=True to read back what Keras kept: it turns XLA off for a LSTM that can use cuDNN."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras's "Proceeding with jit_compile=False": reported below
        model = compile_model(replace(settings, jit_compile=True), vocab, Resume(0, 0, ""), Path(), 1)

    @tf.function
    def forward_backward(ids):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(ids, training=True))
        return tape.gradient(loss, model.trainable_variables)

    ids = tf.zeros([settings.batch_size, settings.section_length], tf.int32)
    graph = forward_backward.get_concrete_function(ids).graph.as_graph_def()
    ops = {node.op for node in graph.node} | {node.op for f in graph.library.function for node in f.node_def}
    found = ", ".join(sorted(op for op in ops if op.startswith("CudnnRNN")))
    try:
        forward_backward(ids)
        failure = ""
    except tf.errors.OpError as error:
        if not found:
            raise
        failure = first_line(error)
    if found and not failure:
        reason = f"the forward and backward pass contains {found} and ran"
    elif found:
        reason = f"the forward and backward pass contains {found} but could not run: {failure}"
    elif not tf.config.list_physical_devices("GPU"):
        reason = "no GPU: Keras uses cuDNN only on a GPU, so the LSTM runs its generic step loop"
    else:
        reason = "no CudnnRNN op in the forward and backward pass: Keras fell back to its generic step loop"
    return model, {"cudnn": bool(found and not failure), "cudnn_reason": reason,
                   "jit_compile_kept": bool(model.jit_compile)}


def first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


def rate(windows: Path, chars: list[str], settings: TrainSettings, batches: int, mixed) -> tuple[float | None, str]:
    """Predicted chars/s with the `train.mixed_precision` value `mixed`; None and why if it cannot run here."""
    try:
        with precision(mixed):
            return throughput(windows, chars, replace(settings, mixed_precision=mixed), batches), ""
    except (tf.errors.OpError, NotImplementedError) as error:
        return None, f"could not run on this device: {first_line(error)}"


def precisions(gpu: dict | None) -> list[tuple[str, object, str]]:
    """(name, train.mixed_precision value, why it is not timed here or ""): bfloat16 only on GPUs
    of compute capability 8.0 up, where it has fast matmuls."""
    capability = tuple((gpu or {}).get("compute_capability") or (0, 0))
    skip = "" if capability >= (8, 0) else "needs a GPU of compute capability 8.0 or more" if gpu else "no GPU"
    return [("float32", False, ""), ("mixed_float16", "float16", ""), ("mixed_bfloat16", "bfloat16", skip)]


def figure(value) -> float | None:
    """Four significant digits: hours from a few timed batches are not more precise than that."""
    return None if value is None else float(f"{value:.4g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, help="LSTM cells (default: 1024 on a GPU, 64 on a CPU)")
    parser.add_argument("--batches", type=int, default=20, help="timed training steps per precision (default: 20)")
    parser.add_argument("--chars", type=int, default=300, help="characters generated per sampling measurement "
                        "(default: 300)")
    parser.add_argument("--peak-repeats", type=number(int, minimum=1), help="products per timing of the matmul peak (default: 10 on a GPU, "
                        "20 on a CPU; fewer for a quick check, e.g. the tests')")
    args = parser.parse_args()
    names, gpu = devices()
    units = args.units or (1024 if gpu else 64)
    settings = replace(load_settings(TrainSettings, PROJECT / "params.yaml"), hidden_units=units, objective="all")
    print(f"TensorFlow {tf.__version__} (built with CUDA: {tf.test.is_built_with_cuda()}); "
          f"devices: {', '.join(names)}")
    if gpu:
        print(f"GPU: {gpu['name']}, compute capability {gpu['compute_capability']}, float32 matmuls in TF32: "
              f"{gpu['tensor_float_32']}")
    else:
        print(f"No GPU: these are CPU figures, with a {units}-cell model; no GPU figure has been measured "
              "(mixed precision on a CPU only shows that it runs).")
    with tempfile.TemporaryDirectory() as tmp:
        corpus, windows = Path(tmp) / "corpus", Path(tmp) / "windows"
        chars = generate_corpus(corpus, SYNTHETIC_CHARS)
        make_windows(corpus, windows, Path(tmp) / "windows.json",
                     WindowSettings(settings.section_length, settings.section_length, "none"), progress=False)
        model, cudnn = cudnn_check(settings, len(chars))
        print(f"cuDNN LSTM kernel: {'used' if cudnn['cudnn'] else 'not used'} ({cudnn['cudnn_reason']}); "
              f"compiled with jit_compile=True, Keras kept jit_compile={cudnn['jit_compile_kept']}")
        peak = matmul_peak_gflops(8192 if gpu else 2048, args.peak_repeats or (10 if gpu else 20))
        print(f"float32 matmul peak: {peak:,.0f} GFLOP/s")
        flops = train_flops_per_char(settings, len(chars))
        rates, notes = {}, {}
        for name, mixed, skip in precisions(gpu):
            rates[name], notes[name] = (None, skip) if skip else rate(windows, chars, settings, args.batches, mixed)
            if rates[name] is None:
                print(f"{name}: not measured ({notes[name]})")
            else:
                print(f"{name}: {rates[name]:,.0f} predicted chars/s = {flops * rates[name] / 1e9:,.1f} GFLOP/s, "
                      f"{flops * rates[name] / 1e9 / peak:.0%} of the float32 peak ({units} cells, batch "
                      f"{settings.batch_size}, embedding {settings.embedding}, {args.batches} timed batches)")
        hours = {}
        for step in (10, 1):
            predicted = ARTICLE_CHARS / step * settings.section_length
            hours[step] = predicted / rates["float32"] / 3600 if rates["float32"] else None
            print(f"one epoch of the article's corpus at step {step} ({ARTICLE_CHARS:,} characters assumed, "
                  f"{predicted:,.0f} predicted), at the float32 rate of {units} cells: "
                  + (f"{hours[step]:.4g} hours" if hours[step] is not None else "not measured"))
        stepper = Stepper(model)
        single = stateful_chars_per_second(stepper, chars, args.chars, 1)
        batch16 = stateful_chars_per_second(stepper, chars, args.chars, 16)
        print(f"sampling ({units} cells, float32): {single:,.0f} chars/s one sample, "
              f"{batch16:,.0f} chars/s batch of 16")
    print(json.dumps({
        "tensorflow": tf.__version__, "devices": names, "gpu": gpu, "units": units, **cudnn,
        "matmul_peak_gflops": round(peak, 1),
        **{f"chars_per_s_{n}": None if r is None else round(r) for n, r in rates.items()},
        **{f"share_{n}": None if r is None else round(flops * r / 1e9 / peak, 3) for n, r in rates.items()},
        **{f"not_measured_{n}": note for n, note in notes.items() if rates[n] is None},
        "corpus_chars": ARTICLE_CHARS, "section_length": settings.section_length, "batch_size": settings.batch_size,
        "epoch_hours_step10": figure(hours[10]), "epoch_hours_step1": figure(hours[1]),
        "sample_chars_per_s": round(single, 1), "sample_batch16_chars_per_s": round(batch16, 1)}))


if __name__ == "__main__":
    main()
