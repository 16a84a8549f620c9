"""DVC stage `check`: `python -m pipeline.check PARAMS_FILE CHECKED_FILE` (dvc.yaml passes the paths).

In:  the whole params file (a plain file dep of this stage, so any edit reruns it: a typo key added
     beside the real one, or `dvc exp run -S +train.dropuot=0.2`, is reported even when nothing else
     changed).
Out: CHECKED_FILE, whose content never changes: the scrape stage depends on it, which puts this stage
     first in every `dvc repro`, while a params edit still reruns only the stages that read the key.
     A bad params file fails here, with the message of `common.params`, before DVC has deleted any
     stage's outputs: the last good run's data, model and samples stay.
"""
import argparse
import sys
from pathlib import Path

from common.params import ParamsError, load_params

CHECKED = "params.yaml passed the schema check of common/params.py. This text never changes.\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.check", description=__doc__.splitlines()[0])
    parser.add_argument("params_file", type=Path, help="the params file to check (params.yaml)")
    parser.add_argument("checked_file", type=Path, help="written when the file passes; its content is fixed")
    args = parser.parse_args(argv)
    try:
        load_params(args.params_file)
    except ParamsError as error:
        sys.exit(f"check: {error}\nNothing was run or deleted: fix {args.params_file} and rerun.")
    args.checked_file.parent.mkdir(parents=True, exist_ok=True)
    args.checked_file.write_text(CHECKED, encoding="utf-8")


if __name__ == "__main__":
    main()
