"""DVC stage `window`: `python -m pipeline.window CORPUS_DIR WINDOWS_DIR METRICS_FILE` (dvc.yaml passes the paths).

In:  `CORPUS_DIR/{train,val}.txt` and `vocab.json`; params `train.section_length`, `train.step`,
     `window.compression`.
Out: `WINDOWS_DIR/{train,val}-NNNNN-of-NNNNN.tfrecord` and `meta.json` (the format is in
     `common/windows.py`), and METRICS_FILE (window counts, for `dvc metrics diff`).
"""
import argparse
import sys
from pathlib import Path

from common.params import ParamsError, load_settings
from common.settings import WindowSettings
from common.vocab import VocabError
from common.windows import WindowError
from pipeline.window.write import make_windows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.window", description=__doc__.splitlines()[0])
    parser.add_argument("corpus_dir", type=Path, help="the corpus (train.txt, val.txt, vocab.json)")
    parser.add_argument("windows_dir", type=Path, help="where the TFRecord shards and meta.json go")
    parser.add_argument("metrics_file", type=Path, help="the window counts, a DVC metric")
    args = parser.parse_args(argv)
    try:
        meta = make_windows(args.corpus_dir, args.windows_dir, args.metrics_file, load_settings(WindowSettings))
    except (ParamsError, WindowError, VocabError) as error:
        sys.exit(f"window: {error}")
    for split, info in meta["splits"].items():
        print(f"{split}: {info['windows']:,} windows of {meta['section_length'] + 1} ids "
              f"from {info['chars']:,} characters in {len(info['shards'])} shard(s)")


if __name__ == "__main__":
    main()
