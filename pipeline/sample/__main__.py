"""DVC stage `sample`: `python -m pipeline.sample MODEL_DIR VAL_TEXT SAMPLES_DIR` (dvc.yaml passes the paths).

In:  MODEL_DIR (`model.keras`, `vocab.json`), VAL_TEXT (the validation text, for priming);
     params `sample.*` and `train.section_length`.
Out: `SAMPLES_DIR/temperature-<T>.txt` and `SAMPLES_DIR/samples.md`; the start of each sample on stdout.
"""
import argparse
import sys
from pathlib import Path

from common.generate import SampleError
from common.params import ParamsError, load_settings
from common.settings import SampleSettings
from pipeline.sample.samples import write_samples


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.sample", description=__doc__.splitlines()[0])
    parser.add_argument("model_dir", type=Path, help="the trained model (model.keras, vocab.json)")
    parser.add_argument("val_text", type=Path,
                        help="the validation text, sliced for a prompt when sample.prime is empty")
    parser.add_argument("samples_dir", type=Path, help="where the samples go")
    args = parser.parse_args(argv)
    try:
        samples = write_samples(args.model_dir, args.val_text, args.samples_dir, load_settings(SampleSettings))
    except (ParamsError, SampleError) as error:
        sys.exit(f"sample: {error}")
    for temperature, text in samples.items():
        print(f"--- temperature {temperature} ---\n{text[:300]}")


if __name__ == "__main__":
    main()
