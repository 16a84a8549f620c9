"""The window stage writes exactly the windows a plain numpy reference gives, and the reader checks them."""
import json

import numpy as np
import pytest

from conftest import write_corpus as write_corpus_files
from pipeline.train.data import Batching, Order, window_dataset
from common.vocab import VocabError
from common.windows import WindowError, count_windows
from common.settings import WindowSettings
from pipeline.window.write import make_windows

TEXT = ("MILO\nWe should not have climbed the water tower, Dexter.\n\n"
        "DEXTER\nIt was your plan! (points at the ladder) All of it.\n\n") * 6


def write_corpus(directory, train_text=TEXT, val_text=TEXT[:300]):
    return write_corpus_files(directory, train_text, val_text)


def reference_windows(text, chars, section_length, step):
    ids = np.array([chars.index(c) for c in text], dtype=np.int32)
    starts = range(0, len(ids) - section_length, step)  # the article's loop
    return np.array([ids[s:s + section_length + 1] for s in starts]).reshape(-1, section_length + 1)


def read_back(windows_dir, split, chars, section_length, batch_size=7):
    inputs, targets = [], []
    for x, y in window_dataset(windows_dir, split, Batching(section_length, chars, batch_size)):
        inputs.append(x.numpy())
        targets.append(y.numpy())
    if not inputs:
        return np.zeros((0, section_length + 1), dtype=np.int32)
    return np.concatenate([np.concatenate(inputs), np.concatenate(targets)[:, None]], axis=1)


@pytest.mark.parametrize("section_length, step", [(50, 10), (20, 1), (10, 37), (5, 5)])
@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_round_trip_equals_numpy_reference(tmp_path, section_length, step, compression):
    chars = write_corpus(tmp_path / "corpus")
    meta = make_windows(tmp_path / "corpus", tmp_path / "windows", tmp_path / "metrics.json",
                        WindowSettings(section_length, step, compression),
                        windows_per_shard=97, progress=False)
    for split, text in (("train", TEXT), ("val", TEXT[:300])):
        expected = reference_windows(text, chars, section_length, step)
        assert meta["splits"][split]["windows"] == len(expected) == count_windows(len(text), section_length, step)
        np.testing.assert_array_equal(read_back(tmp_path / "windows", split, chars, section_length), expected)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["train"]["windows"] == meta["splits"]["train"]["windows"]


def test_shards_split_at_the_requested_size(tmp_path):
    write_corpus(tmp_path / "corpus")
    meta = make_windows(tmp_path / "corpus", tmp_path / "w", tmp_path / "m.json", WindowSettings(8, 1, "none"),
                        windows_per_shard=100, progress=False)
    shards = meta["splits"]["train"]["shards"]
    total = meta["splits"]["train"]["windows"]
    assert len(shards) == -(-total // 100) > 1
    assert [s["windows"] for s in shards[:-1]] == [100] * (len(shards) - 1)
    assert sum(s["windows"] for s in shards) == total
    assert shards[0]["file"] == f"train-00000-of-{len(shards):05d}.tfrecord"


@pytest.mark.parametrize("split, texts, length", [("val", {"val_text": "SHORT\n"}, 6),
                                                   ("train", {"train_text": TEXT[:40], "val_text": TEXT[:45]}, 40)])
def test_a_split_with_text_but_no_window_is_refused_before_anything_is_written(tmp_path, split, texts, length):
    """Before: val.txt shorter than a window gave 0 validation windows, silently; with
    train.section_length 100000 the trainer then grew to 23 GB."""
    write_corpus(tmp_path / "corpus", **texts)
    with pytest.raises(WindowError, match=rf"train.section_length 50 leaves no window in {split}: "
                                          rf"{split}.txt has {length} characters, .* needs section_length \+ 1 = 51"):
        make_windows(tmp_path / "corpus", tmp_path / "w", tmp_path / "m.json", WindowSettings(50, 10, "none"),
                     progress=False)
    assert not (tmp_path / "w").exists() and not (tmp_path / "m.json").exists()


def test_an_empty_validation_text_still_gives_no_validation_windows(tmp_path):
    """clean.val_fraction 0 writes an empty val.txt: no validation, which is not an error."""
    chars = write_corpus(tmp_path / "corpus", val_text="")
    meta = make_windows(tmp_path / "corpus", tmp_path / "w", tmp_path / "m.json", WindowSettings(50, 10, "none"),
                        progress=False)
    assert meta["splits"]["val"]["windows"] == 0 and len(read_back(tmp_path / "w", "val", chars, 50)) == 0


def test_windows_that_cannot_fit_on_the_disk_are_refused_before_anything_is_written(tmp_path):
    """Every start of a 2,000,000-character text, each window half of it: about 10**12 bytes, more than
    the disk has free (shutil.disk_usage, the independent side). The windows' folder is to be made
    under a plain file, so that without the check the stage fails at once instead of filling the disk."""
    import shutil

    train = "ab" * 1_000_000
    write_corpus(tmp_path / "corpus", train_text=train, val_text="")
    (tmp_path / "file").write_text("not a folder")
    windows = len(train) - 1_000_000   # starts 0 .. n - (section_length + 1)
    assert windows * 1_000_001 > shutil.disk_usage(tmp_path).free
    with pytest.raises(WindowError, match=rf"{windows:,} windows of 1,000,001 characters .* need [\d,]+ bytes, and "
                                          r"the disk has [\d,]+ free. Raise train.step or lower train.section_length"):
        make_windows(tmp_path / "corpus", tmp_path / "file" / "w", tmp_path / "m.json",
                     WindowSettings(1_000_000, 1, "none"), progress=False)
    assert not (tmp_path / "m.json").exists()


def test_uncompressed_disk_is_about_one_byte_per_id(tmp_path):
    write_corpus(tmp_path / "corpus", train_text=TEXT * 20)
    meta = make_windows(tmp_path / "corpus", tmp_path / "w", tmp_path / "m.json", WindowSettings(50, 1, "none"),
                        progress=False)
    info = meta["splits"]["train"]
    assert sum(s["bytes"] for s in info["shards"]) < info["windows"] * 51 * 1.05


def test_reader_refuses_other_section_length_and_vocab(tmp_path):
    chars = write_corpus(tmp_path / "corpus")
    make_windows(tmp_path / "corpus", tmp_path / "w", tmp_path / "m.json", WindowSettings(20, 3, "none"),
                 progress=False)
    with pytest.raises(WindowError, match=r"meta.json: windows have section_length 20, but 50"):
        window_dataset(tmp_path / "w", "train", Batching(50, chars, 4))
    with pytest.raises(WindowError, match="another vocabulary"):
        window_dataset(tmp_path / "w", "train", Batching(20, chars + ["~"], 4))


@pytest.mark.parametrize("garbage", ["[]", '{"section_length": 20}'])
def test_reader_names_a_meta_json_of_another_shape(tmp_path, garbage):
    """Before: AttributeError ('list' has no 'get') or KeyError 'splits', not a message."""
    write_corpus(tmp_path / "corpus")
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "meta.json").write_text(garbage)
    with pytest.raises(WindowError, match=r"meta.json: not the window metadata.*dvc repro -f window"):
        window_dataset(tmp_path / "w", "train", Batching(20, ["a"], 4))


def test_reader_names_a_truncated_shard(tmp_path):
    chars = write_corpus(tmp_path / "corpus")
    meta = make_windows(tmp_path / "corpus", tmp_path / "w", tmp_path / "m.json", WindowSettings(20, 3, "none"),
                        progress=False)
    shard = tmp_path / "w" / meta["splits"]["train"]["shards"][0]["file"]
    shard.write_bytes(shard.read_bytes()[:-10])
    with pytest.raises(WindowError, match=f"{shard.name}: .*truncated or corrupt"):
        window_dataset(tmp_path / "w", "train", Batching(20, chars, 4))


def test_character_outside_vocab_is_named(tmp_path):
    write_corpus(tmp_path / "corpus")
    (tmp_path / "corpus" / "val.txt").write_text("MILO \u00a7")
    with pytest.raises(VocabError, match=r"val.txt: character '\u00a7' is not in the vocabulary"):
        make_windows(tmp_path / "corpus", tmp_path / "w", tmp_path / "m.json", WindowSettings(5, 1, "none"),
                     progress=False)


def test_all_positions_objective_reads_the_shifted_window(tmp_path):
    chars = write_corpus(tmp_path / "corpus")
    make_windows(tmp_path / "corpus", tmp_path / "w", tmp_path / "m.json", WindowSettings(16, 5, "none"),
                 progress=False)
    expected = reference_windows(TEXT, chars, 16, 5)
    inputs, targets = [], []
    for x, y in window_dataset(tmp_path / "w", "train", Batching(16, chars, 9, "all")):
        assert y.shape[1] == 16
        inputs.append(x.numpy())
        targets.append(y.numpy())
    np.testing.assert_array_equal(np.concatenate(inputs), expected[:, :-1])
    np.testing.assert_array_equal(np.concatenate(targets), expected[:, 1:])


def test_reader_names_a_corrupted_shard_of_the_right_size(tmp_path):
    chars = write_corpus(tmp_path / "corpus")
    meta = make_windows(tmp_path / "corpus", tmp_path / "w", tmp_path / "m.json", WindowSettings(20, 3, "none"),
                        progress=False)
    shard = tmp_path / "w" / meta["splits"]["val"]["shards"][0]["file"]
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    with pytest.raises(WindowError, match=f"{shard.name}: its content does not match the sha256"):
        window_dataset(tmp_path / "w", "val", Batching(20, chars, 4))


def test_shuffled_reading_is_seeded_and_a_permutation(tmp_path):
    chars = write_corpus(tmp_path / "corpus")
    make_windows(tmp_path / "corpus", tmp_path / "w", tmp_path / "m.json", WindowSettings(10, 2, "none"),
                 progress=False)

    def read(seed):
        batches = window_dataset(tmp_path / "w", "train", Batching(10, chars, 16),
                                 Order(shuffle_buffer=1000, seed=seed))
        return np.concatenate([x.numpy() for x, _ in batches])

    expected = reference_windows(TEXT, chars, 10, 2)[:, :-1]
    first = read(3)
    np.testing.assert_array_equal(first, read(3))
    assert not np.array_equal(first, expected)
    assert sorted(map(bytes, first.astype(np.uint8))) == sorted(map(bytes, expected.astype(np.uint8)))
