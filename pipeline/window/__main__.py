"""DVC stage `window`: `python -m pipeline.window`.

In:  `data/corpus/train.txt`, `data/corpus/val.txt`, `data/corpus/vocab.json`;
     params `train.section_length`, `train.step`, `window.compression`.
Out: `data/windows/{train,val}-NNNNN-of-NNNNN.tfrecord`, `data/windows/meta.json`,
     and `metrics/windows.json` (window counts, for `dvc metrics diff`).
"""
import sys
from pathlib import Path

from common.params import ParamsError, load_params
from common.vocab import VocabError
from common.windows import WindowError
from pipeline.window.write import make_windows


def main() -> None:
    try:
        params = load_params()
        train = params["train"]
        meta = make_windows(Path("data/corpus"), Path("data/windows"), Path("metrics/windows.json"),
                            section_length=train["section_length"], step=train["step"],
                            compression=params["window"]["compression"])
    except (ParamsError, WindowError, VocabError) as error:
        sys.exit(f"window: {error}")
    for split, info in meta["splits"].items():
        print(f"{split}: {info['windows']:,} windows of {meta['section_length'] + 1} ids "
              f"from {info['chars']:,} characters in {len(info['shards'])} shard(s)")


if __name__ == "__main__":
    main()
