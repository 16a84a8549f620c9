"""The clean stage's building blocks: decoding, the HTML event reader, the uniform format, and the
parsing rules of each site that the fixture pages (test_clean_fixtures.py) do not pin down alone."""
import re

import pytest

from format_check import format_problems
from pipeline.clean.ascii import fold_to_ascii, to_ascii
from scrapers.imsdb import parse as parse_imsdb
from scrapers.livesinabox import parse as parse_livesinabox
from scrapers.decode import decode_page, repair_mojibake
from scrapers.markup import END, START, TEXT, html_events
from common.script import format_cue, render_script, speaker_name, tidy_script

C1_OR_MOJIBAKE = re.compile("[\x80-\x9f]|\u00e2\u20ac|\u00c3[\u0080-\u00bf]")


def friends_page(body: str) -> bytes:
    # Latin-1 turns "\x92" in a test string into the raw byte 0x92, as a cp1252 page holds it.
    return f"<html><body><p>Written by: A. Writer</p><hr>{body}<p>End</p></body></html>".encode("latin-1")


def imsdb_page(pre: str) -> bytes:
    return (f'<html><body><table><tr><td class="scrtext"><pre>{pre}</pre><table><tr><td>Writers : A'
            f'</td></tr></table>Back to IMSDb</td></tr></table></body></html>').replace("\n", "\r\n").encode("latin-1")


# ---- decoding --------------------------------------------------------------------------------

@pytest.mark.parametrize("data, text", [
    (b"It\x92s Caf\xe9 \x93ok\x94\x85", "It\u2019s Caf\u00e9 \u201cok\u201d\u2026"),      # cp1252
    (b"a\x81b\x8dc\r\nd\re", "a\x81b\x8dc\nd\ne"),              # undefined cp1252 bytes read as Latin-1
    ("It\u2019s Caf\u00e9".encode("utf-8"), "It\u2019s Caf\u00e9"),   # UTF-8 whatever the meta says
    (b'<meta charset="windows-1252">\xc3\xa9', '<meta charset="windows-1252">\u00e9'),
    (b"\xc3\xa9 and a stray \xe9", "\u00c3\u00a9 and a stray \u00e9"),   # not valid UTF-8: cp1252
    (b"\xef\xbb\xbfBOM", "BOM"),
    ("\ufeffwide".encode("utf-16-le"), "wide"),
    (b"plain ascii\r\n", "plain ascii\n"),
])
def test_decode_page(data, text):
    assert decode_page(data) == text


@pytest.mark.parametrize("broken, fixed", [
    ("it\u00e2\u20ac\u2122s", "it\u2019s"),                      # ’ read as cp1252
    ("\u00e2\u20ac\u0153hi\u00e2\u20ac\x9d", "\u201chi\u201d"),  # ” has the undefined byte 0x9D
    ("Caf\u00c3\u00a9 na\u00c3\u00afve", "Caf\u00e9 na\u00efve"),
    ("caf\u00c3\u0192\u00c2\u00a9", "caf\u00e9"),                # mojibake of mojibake
    ("Caf\u00e9\u2026\u201d and \u00c9\u00c9", "Caf\u00e9\u2026\u201d and \u00c9\u00c9"),  # real text stays
])
def test_repair_mojibake(broken, fixed):
    assert repair_mojibake(broken) == fixed


@pytest.mark.parametrize("page", [
    # Mojibake through references, and a cp1252 page with one UTF-8 sequence in it.
    friends_page("<p>Gus: It&#226;&#128;&#153;s caf&#195;&#169; time&#129;.</p>"),
    friends_page("<p>Gus: It\x92s caf\xe9 time.</p>")[:-30] + "\u2019".encode("utf-8") + friends_page("")[-30:],
])
def test_pages_never_yield_c1_controls_or_mojibake(page):
    text = parse_livesinabox.transcript_text(page)
    assert text.startswith("GUS\nIt\u2019s caf\u00e9 time") or text.startswith("GUS\nIt\u2019s caf")
    assert not C1_OR_MOJIBAKE.search(text)


# ---- the HTML event reader -------------------------------------------------------------------

def test_events_drop_comments_scripts_titles_and_resolve_references():
    events = html_events("<HTML><head><title>T</title><script>if (a<b) x()</script><style>p{}</style></head>"
                         "<body><!-- c --><![if !x]><P CLASS=x>a&#146;b&amp;<B>c</B></p></br></body>")
    assert [e for e in events if e[0] is TEXT] == [(TEXT, "a\u2019b&", None), (TEXT, "c", None)]
    assert (START, "p", {"class": "x"}) in events and (END, "b", None) in events
    assert (START, "br", {}) in events  # a stray </br> is a line break, as in browsers


def test_an_unclosed_title_does_not_swallow_the_page():
    events = html_events("<html><head><title>Untitled<body><p>Gus: Hi.</p></body></html>")
    assert (TEXT, "Gus: Hi.", None) in events


# ---- the uniform format and ASCII folding ----------------------------------------------------

def test_fold_to_ascii_and_to_ascii():
    typographic = "\u2018Caf\u00e9\u2019 \u201cna\u00efve\u201d\u2026 a\u2014b a\u2013b\u00a0\u00bd \u00bfS\u00ed?"
    assert fold_to_ascii(typographic) == "'Cafe' \"naive\"... a--b a-b 1/2 ?Si?"
    text, dropped = to_ascii("GUS\nIt costs \u20ac5 \u2605 ok.\n\n[\u2605]\n")
    assert text == "GUS\nIt costs 5 ok.\n" and dropped == {"\u20ac": 1, "\u2605": 2}


def test_cues_and_rendering():
    assert format_cue("Ross (to Rachel):") == "ROSS (to Rachel)"
    assert format_cue("stan", "(O.S.)") == "STAN (O.S.)"
    assert speaker_name("ROSS (to Rachel)") == "ROSS"
    assert render_script(["GUS\n  Hi  there ", "[Scene: Roof", "MO\n", "", "(Waves.)"]) == \
        "GUS\nHi there\n\n[Scene: Roof]\n\n(Waves.)\n"
    assert tidy_script("GUS\n \n\n[a]\n") == "[a]\n"
    assert format_problems("GUS\nHi.\n\n(Waves.)\n") == []
    assert format_problems("gus\nHi.\n\nCommercial Break\n\n<b>\n")


# ---- IMSDb -----------------------------------------------------------------------------------

def test_imsdb_cue_then_blank_line_then_dialogue():
    pre = ("\n     A knock.\n\n<b>                    GUS\n</b>\n               Who is it?\n\n"
           "<b>                    ACT TWO\n</b>\n     The door opens.\n")
    assert parse_imsdb.transcript_text(imsdb_page(pre)) == \
        "(A knock.)\n\nGUS\nWho is it?\n\n[ACT TWO]\n\n(The door opens.)\n"


def test_imsdb_flush_left_script_and_dialogue_numbers():
    pre = "<b>GUS\n</b>How many pies?\n<b>MO\n</b>42.\n\n<b>THE END\n</b>\n<b>GUS\n</b>Not this.\n"
    assert parse_imsdb.transcript_text(imsdb_page(pre)) == "GUS\nHow many pies?\n\nMO\n42.\n"


def test_imsdb_action_resuming_without_a_blank_line_and_transitions():
    pre = ("<b>                    IRIS\n</b>               Hello?\n     She waits.\n\n"
           "<b>          DISSOLVE TO:\n</b>\n"
           "<b>                    IRIS\n</b>                    (V.O.)\n               Later.\n")
    assert parse_imsdb.transcript_text(imsdb_page(pre)) == \
        "IRIS\nHello?\n\n(She waits.)\n\n[DISSOLVE TO:]\n\nIRIS (V.O.)\nLater.\n"


def test_imsdb_odd_markup_around_the_script():
    page = b'<html><body><td class><td CLASS="body ScrText"><pre><b>  GUS\r\n</b>  Pie?\r\n</pre></td></body></html>'
    assert parse_imsdb.transcript_text(page) == "GUS\nPie?\n"


@pytest.mark.parametrize("pre, text", [
    # the title, then credits (a names line after "Written by"), then the script: all of the title block goes
    ("<b>                         THE BELL TOWER\n</b>\n                           Written by\n\n"
     "                      Ann Lee &amp; Bo Park\n\n     Snow falls on the square.\n\n"
     "<b>               MIREILLE\n</b>          Hello.\n",
     "(Snow falls on the square.)\n\nMIREILLE\nHello.\n"),
    # a first bold line that speaks is a cue, not a title: flush left, or indented after a blank line
    ("<b>JERRY</b>\nWhat is the deal with bells?\n\n<b>GEORGE</b>\nNo idea.\n",
     "JERRY\nWhat is the deal with bells?\n\nGEORGE\nNo idea.\n"),
    ("<b>                    JERRY\n</b>\n               What is the deal?\n\n     He sits.\n",
     "JERRY\nWhat is the deal?\n\n(He sits.)\n"),
    # not capitals, or a heading: no title
    ("<b>                    Jerry's Bell\n</b>\n     He sits.\n", "[Jerry's Bell]\n\n(He sits.)\n"),
], ids=["title-and-credits", "flush-cue", "indented-cue-after-gap", "not-capitals"])
def test_imsdb_a_title_in_the_first_line_is_not_part_of_the_text(pre, text):
    assert parse_imsdb.transcript_text(imsdb_page(pre)) == text


def test_imsdb_page_without_script_is_empty():
    assert parse_imsdb.transcript_text(b"<html><body><p>Nothing here</p></body></html>") == ""
    assert parse_imsdb.transcript_text(b'<html><body><td class="scrtext"><pre>  \r\n</pre></td></body></html>') == ""


# ---- livesinabox -----------------------------------------------------------------------------

@pytest.mark.parametrize("line, cue", [
    ("Woman #1: Pie?", "WOMAN #1"),
    ("Mrs. Abernathy (to Gus): Pie?", "MRS. ABERNATHY (to Gus)"),
    ("Gus, Mo and Lena: Pie?", None),      # untagged with commas: not a name
    ("<b>Gus, Mo and Lena:</b> Pie?", "GUS, MO AND LENA"),
    ("GUS, MO AND LENA: Pie?", "GUS, MO AND LENA"),
    ("Look at this: pie?", None),
    ("Chandler's dad: Pie?", "CHANDLER'S DAD"),
    ("That's the thing: pie?", None),
    ("Commercial Break: pie?", None),
])
def test_livesinabox_speaker_names(line, cue):
    text = parse_livesinabox.transcript_text(friends_page(f"<p>Mo: Start.</p><p>{line}</p>"))
    if cue is None:
        assert text.count("\n\n") <= 1 and not re.search(r"\n\n[A-Z ,]+\nPie\?", text)
    else:
        assert text.endswith(f"\n\n{cue}\nPie?\n")


def test_livesinabox_cue_alone_on_its_line_and_wrapped_scene():
    page = friends_page("<p>[Scene: Central Perk, Gus,<br>Mo and Lena are there.]</p><p><b>Gus:</b></p>"
                        "<p>(to Mo) Pie?<br>Act natural.</p><p>[Scene: Never closed</p><p>Note: none.</p>"
                        "<p>Time Lapse</p><p>Act Two</p>")
    assert parse_livesinabox.transcript_text(page) == (
        "[Scene: Central Perk, Gus, Mo and Lena are there.]\n\nGUS\n(to Mo) Pie? Act natural.\n\n"
        "[Scene: Never closed]\n\n[Note: none.]\n\n[Time Lapse]\n\n[Act Two]\n")


def test_livesinabox_region_without_credits_starts_after_the_first_rule():
    page = (b"<html><body><p><b>Menu:</b> Home</p><hr><p>Gus: Hi.</p>"
            b"<p>Crazy For Friends is best viewed at 800x600</p><p>Mo: no.</p></body></html>")
    assert parse_livesinabox.transcript_text(page) == "GUS\nHi.\n"
    assert parse_livesinabox.transcript_text(b"<html><body><p>Gus: Hi.</p></body></html>") == "GUS\nHi.\n"
    assert parse_livesinabox.transcript_text(b"<html><body><p>Written by: A</p><hr></body></html>") == ""
