"""DVC stage `sample`: `python -m pipeline.sample MODEL_DIR VAL_TEXT SAMPLES_DIR [--train TRAIN_TEXT --scores SCORES]`
(dvc.yaml passes the paths).

In:  MODEL_DIR (`model.keras`, `vocab.json`), VAL_TEXT (the validation text, for priming and the
     scores' reference), TRAIN_TEXT (the training text the samples are scored against);
     params `sample.*` and `train.section_length`.
Out: `SAMPLES_DIR/temperature-<T>.txt` and `SAMPLES_DIR/samples.md`; with `--scores`, the samples'
     scores (`common/scores.py`) as JSON at SCORES; the start of each sample on stdout.
"""
import argparse
import sys
from pathlib import Path

from common.generate import SampleError
from common.params import ParamsError, load_settings
from common.settings import SampleSettings
from pipeline.sample.samples import write_samples, write_scores


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.sample", description=__doc__.splitlines()[0])
    parser.add_argument("model_dir", type=Path, help="the trained model (model.keras, vocab.json)")
    parser.add_argument("val_text", type=Path,
                        help="the validation text, sliced for a prompt when sample.prime is empty")
    parser.add_argument("samples_dir", type=Path, help="where the samples go")
    parser.add_argument("--train", type=Path, help="the training text the samples are scored against")
    parser.add_argument("--scores", type=Path, help="where the samples' scores go (a DVC metrics file)")
    args = parser.parse_args(argv)
    if (args.train is None) != (args.scores is None):
        parser.error("--train and --scores go together")
    try:
        samples = write_samples(args.model_dir, args.val_text, args.samples_dir, load_settings(SampleSettings))
    except (ParamsError, SampleError) as error:
        sys.exit(f"sample: {error}")
    for temperature, text in samples.items():
        print(f"--- temperature {temperature} ---\n{text[:300]}")
    if args.scores:
        scores = write_scores(samples, args.train, args.val_text, args.scores)
        for name, shares in scores.items():
            print(f"{name}: " + ", ".join(f"{key} {value}" for key, value in shares.items()))


if __name__ == "__main__":
    main()
