"""vocab.json is checked against the sha256 it carries wherever it is read.

Before: a vocab.json whose characters were reordered loaded as it was, and `scriptlm generate`
printed garbage with exit code 0 (issue 19): ids are positions in the list, so every id decoded to
another character. The reference here is hashlib over the characters, not the module's helper."""
import hashlib
import json
import os
import subprocess
import sys

import pytest

from common.vocab import VocabError, load_vocab
from conftest import write_corpus

TEXT = "KENNY\nThe bus is late again.\n\nMILO\nThen we walk.\n\n" * 20


def reordered(path, keep_sha: bool = True) -> list:
    """Reverse the characters of a vocab.json (keeping its recorded sha256, or dropping it)."""
    vocab = json.loads(path.read_text())
    vocab["chars"] = vocab["chars"][::-1]
    if not keep_sha:
        del vocab["sha256"]
    path.write_text(json.dumps(vocab))
    return vocab["chars"]


def test_an_intact_vocab_loads_and_its_sha256_is_that_of_its_characters(tmp_path):
    chars = write_corpus(tmp_path, TEXT, TEXT[:100])
    recorded = json.loads((tmp_path / "vocab.json").read_text())["sha256"]
    assert load_vocab(tmp_path / "vocab.json") == chars
    assert recorded == hashlib.sha256("".join(chars).encode("utf-8")).hexdigest()


@pytest.mark.parametrize("keep_sha, found", [(True, "does not match the sha256 it records"),
                                             (False, "records no sha256")])
def test_reordered_characters_are_refused_naming_the_file_and_the_fix(tmp_path, keep_sha, found):
    write_corpus(tmp_path, TEXT, TEXT[:100])
    reordered(tmp_path / "vocab.json", keep_sha)
    with pytest.raises(VocabError, match=rf"{tmp_path / 'vocab.json'}: its list of characters {found} .* "
                                         r"Run `dvc repro clean`"):
        load_vocab(tmp_path / "vocab.json")


def test_the_window_stage_refuses_a_reordered_corpus_vocab_before_writing(tmp_path, project_root):
    write_corpus(tmp_path / "corpus", TEXT, TEXT[:100])
    reordered(tmp_path / "corpus" / "vocab.json")
    (tmp_path / "params.yaml").write_text((project_root / "params.yaml").read_text())
    done = subprocess.run([sys.executable, "-m", "pipeline.window", "corpus", "windows", "windows.json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(project_root), "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert "window: corpus/vocab.json: its list of characters does not match the sha256" in done.stderr
    assert not (tmp_path / "windows").exists() and not (tmp_path / "windows.json").exists()
