"""DVC stage `sample`: `python -m pipeline.sample`.

In:  `models/model.keras`, `models/vocab.json`, `data/corpus/val.txt` (for priming);
     params `sample.*` and `train.section_length`.
Out: `data/samples/temperature-<T>.txt` and `data/samples/samples.md`; the start of each sample on stdout.
"""
import sys
from pathlib import Path

from common.generate import SampleError
from common.params import ParamsError, load_params
from pipeline.sample.samples import write_samples


def main() -> None:
    try:
        params = load_params()
        samples = write_samples(Path("models"), Path("data/corpus/val.txt"), Path("data/samples"),
                                params["sample"], params["train"]["section_length"])
    except (ParamsError, SampleError) as error:
        sys.exit(f"sample: {error}")
    for temperature, text in samples.items():
        print(f"--- temperature {temperature} ---\n{text[:300]}")


if __name__ == "__main__":
    main()
