"""DVC stage `check`: `python -m pipeline.check PARAMS_FILE CHECKED_FILE` (dvc.yaml passes the paths).

In:  the whole params file (a plain file dep of this stage, so any edit reruns it: a typo key added
     beside the real one, or `dvc exp run -S +train.dropuot=0.2`, is reported even when nothing else
     changed).
Out: CHECKED_FILE, whose content never changes: the scrape stage depends on it, which puts this stage
     first in every `dvc repro`, while a params edit still reruns only the stages that read the key.
     A bad params file fails here, with the message of `common.params`, before DVC has deleted any
     stage's outputs: the last good run's data, model and samples stay. So does a training setting
     whose memory (`common/costs.py`) exceeds this machine's: the corpus is not known yet, so the
     shuffle buffer is counted as full (train.shuffle_buffer windows) and the vocabulary as 256.
     A knob's old name or value (one release long) is renamed in PARAMS_FILE itself, every other byte
     kept (`rename.py`), and said on stdout: DVC reads the stages' params from the file after this
     stage has run, so the stages after it see the new names, and the same values.
"""
import argparse
import os
import sys
from pathlib import Path

from common.costs import gigabytes, machine_memory_bytes, memory_refusal, training_parts
from common.knobs import lookup
from common.params import UNTIL, ParamsError, load_params
from pipeline.check.rename import renamed

CHECKED = "params.yaml passed the schema check of common/params.py. This text never changes.\n"
MAX_VOCAB = 256   # uint8 ids (common/vocab.py)


def training_memory(params: dict) -> dict[str, int]:
    """The parts of the train stage's peak memory for checked `params`, before the corpus exists."""
    def train(key):
        return lookup(params, f"train.{key}")
    return training_parts(batch_size=train("batch_size"), section_length=train("section_length"),
                          hidden_units=train("hidden_units"), layers=train("layers"), embedding=train("embedding"),
                          vocab_size=MAX_VOCAB, objective=train("objective"),
                          shuffle_windows=train("shuffle_buffer"))


def check_costs(params: dict, memory: int, source: str = "params.yaml") -> int:
    """The train stage's estimated peak memory in bytes; ParamsError when it exceeds `memory`."""
    parts = training_memory(params)
    refusal = memory_refusal(parts, memory, "the train stage")
    if refusal:
        raise ParamsError(f"{source}: with these train.* settings {refusal}")
    return sum(parts.values())


def rename_in_place(path: Path) -> list[str]:
    """Rename the old names and values in the params file `path` (atomically); what was renamed."""
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return []  # load_params names the problem
    new, notes = renamed(text)
    if notes:
        temporary = path.with_name(f".{path.name}.renamed")
        temporary.write_bytes(new.encode("utf-8"))
        os.replace(temporary, path)
    return notes


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.check", description=__doc__.splitlines()[0])
    parser.add_argument("params_file", type=Path, help="the params file to check (params.yaml)")
    parser.add_argument("checked_file", type=Path, help="written when the file passes; its content is fixed")
    args = parser.parse_args(argv)
    for note in rename_in_place(args.params_file):
        print(f"check: renamed in {args.params_file}: {note} ({UNTIL}); commit the file.")
    memory = machine_memory_bytes()
    try:
        need = check_costs(load_params(args.params_file), memory, str(args.params_file))
    except ParamsError as error:
        sys.exit(f"check: {error}\nNothing was run or deleted: fix {args.params_file} and rerun.")
    print(f"check: the train stage will need at most about {gigabytes(need)} of this machine's {gigabytes(memory)}")
    args.checked_file.parent.mkdir(parents=True, exist_ok=True)
    args.checked_file.write_text(CHECKED, encoding="utf-8")


if __name__ == "__main__":
    main()
