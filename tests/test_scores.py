"""How much a text reads like the show (common/scores.py), against counts made by hand here.

The texts are original, in the uniform script format of common/script.py. The expected numbers are
counted in the comments below, not with the module's helpers."""
import pytest

from common.scores import Reference

TRAIN = "MAVIS\nThe kettle's on.\n\nBRUNO (shouting)\nIt isn't a kitchen!\n"
# words: mavis the kettle's on bruno shouting it isn't a kitchen; speakers: MAVIS, BRUNO

SAMPLE = ("xx\n"                        # first line: context only; "xx" touches the start: not a word
          "\n"
          "MAVIS (to Odo)\n"            # cue, well formed, known speaker
          "The kettle's on, Odo.\n"     # its dialogue, well formed
          "\n"
          "[Kitchen, night]\n"          # bracketed, well formed
          "\n"
          "ODO\n"                       # cue, well formed, unknown speaker
          "It isn't.\n"                 # dialogue, well formed
          "That's a third line.\n"      # a third line in a block: not well formed
          "\n"
          "shouting here\n"             # lower case at a block's start: not well formed
          "\n"
          "PELL\n"                      # a name with no dialogue under it: not well formed (and not a cue)
          "\n"
          "(Odo sits.)\n"               # bracketed, well formed
          "end")                        # last line: context only; "end" touches the end: not a word
# words (21): mavis to odo the kettle's on odo kitchen night odo it isn't that's a third line shouting here
# pell odo sits; known (9): mavis the kettle's on kitchen it isn't a shouting


def test_the_three_shares_match_a_count_by_hand():
    """Catches a word rule that splits "kettle's", keeps case ("Kitchen" vs "kitchen"), or counts the
    cut words at the ends; a cue counted without dialogue under it; a third line in a block, or a
    lower-case line at a block's start, taken as well formed; a cue's parenthetical kept in the speaker."""
    assert Reference(TRAIN).score(SAMPLE) == {
        "known_words": round(9 / 21, 4), "known_speakers": 0.5, "well_formed_lines": round(6 / 9, 4),
        "words": 21, "cues": 2, "lines": 9}


@pytest.mark.parametrize("middle, well_formed", [
    ("ODO\nHi.", 1.0),
    ("ODO (to Mavis)\nHi.", 1.0),
    ("ODO  (to Mavis)\nHi.", 0.5),       # a run of spaces: the cue is not tidy
    ("ODO \nHi.", 0.5),                  # a space at the end of the cue
    ("Odo\nHi.", 0.0),                   # not upper case: neither a cue nor its dialogue
    ("ODO (to Mavis\nHi.", 0.0),         # an unclosed parenthetical is no cue
    ("[COMMERCIAL BREAK]", 1.0),
    ("[Scene: a yard", 0.0),             # unclosed bracket
    ("(Odo nods.]", 0.0),                # mismatched brackets
    ("(Odo nods.)\nHi.", 0.5),           # a direction is a block of one line
    ("{transcriber's note}", 1.0),
])
def test_line_rules_follow_the_uniform_format(middle, well_formed):
    """Each case is one block between a context line and a last line (neither judged). Catches rules
    looser or stricter than the format: untidy lines, a lower-case name, unclosed or mismatched brackets,
    a second line under a direction."""
    assert Reference(TRAIN).score(f"x\n\n{middle}\n\ny")["well_formed_lines"] == well_formed


def test_nothing_to_count_is_null_not_zero():
    """Catches a division by zero, or a 0 that `dvc metrics diff` would show as a model that got worse."""
    assert Reference(TRAIN).score("ab") == {"known_words": None, "known_speakers": None,
                                            "well_formed_lines": None, "words": 0, "cues": 0, "lines": 0}
