"""The `clean` stage: both transcript parsers, decoding, ASCII folding, and corpus assembly.

Fixtures are small original pages written here; the last tests also read the bundled sample site.
"""
import hashlib
import json
import re
from pathlib import Path

import pytest

from pipeline import clean, parse_imsdb, parse_livesinabox
from pipeline.text import decode_page, fold_to_ascii, format_cue

PROJECT = Path(__file__).resolve().parent.parent
SAMPLE_SITE = PROJECT / "sample_site"
C1 = re.compile("[\x80-\x9f]")


def imsdb_page(pre: str, *, after_pre: str = "") -> bytes:
    details = ('<br><table class="body"><tr><td><h1>Pie Night</h1>Writers : <a href="/writer.php?w=A">A</a>'
               '<a href="/">Back to IMSDb</a></td></tr></table>')
    html = (f'<html><head><title>x</title></head><body><table><tr><td class="body"><b>Genre</b>'
            f'<td><table><tr><td class="scrtext"><pre>{pre}</pre>{after_pre}{details}</td></tr></table>'
            f'</td></tr></table></body></html>')
    return html.replace("\n", "\r\n").encode("latin-1")  # "\x92" in a fixture is the raw byte


def friends_page(body: str, *, title: str = "The One With The Test") -> bytes:
    return (f'<html><head><title>{title}</title></head><body><h1 align="center">{title}</h1>'
            f'<p>Written by: Ann Writer<br>Transcribed by: Some Fan</p><hr>{body}'
            '</body></html>').encode("latin-1")


# ---- IMSDb ------------------------------------------------------------------------------------

CUE_SCRIPT = """
<b>EXT. BUS STOP - MORNING
</b>
     Snow falls on four kids who
     look bored.

<b>                         WALDO
</b>               (sniffing)
          My nose is frozen solid,
          which is new.
<b>                         pip
</b>          Told you so.
     A bus honks far away.

<b>                    CUT TO:
</b>"""


def test_imsdb_cues_speeches_directions_and_crlf():
    text = parse_imsdb.transcript_text(imsdb_page(CUE_SCRIPT))
    assert text == ("[Scene: EXT. BUS STOP - MORNING]\n\n"
                    "(Snow falls on four kids who look bored.)\n\n"
                    "WALDO (sniffing)\nMy nose is frozen solid, which is new.\n\n"
                    "PIP\nTold you so.\n\n"
                    "(A bus honks far away.)\n\n"
                    "CUT TO:\n")
    assert "\r" not in text and "Back to IMSDb" not in text and "Writers" not in text


def test_imsdb_nested_pre_and_frame_buster():
    junk = ('<html><head><script><b><!--</b>if (window!= top) top.location.href=location.href'
            '<b>// --></b></script><title>Pie Night - by A</title></head>')
    page = imsdb_page(f"{junk}<pre>\n<b>          GUS\n</b>     Pie?\n</pre>")
    assert parse_imsdb.transcript_text(page) == "GUS\nPie?\n"


def test_imsdb_frame_buster_outside_script_tag():
    page = imsdb_page('<b><!--</b>if (window!= top) top.location.href=location.href<b>// --></b>\n'
                      '<b>     GUS\n</b>     Pie?\n')
    assert parse_imsdb.transcript_text(page) == "GUS\nPie?\n"


def test_imsdb_falls_back_to_td_without_pre_then_first_pre():
    no_pre = imsdb_page("").replace(b"<pre></pre>", b"<b>  GUS\n</b>  Pie?\n")
    assert parse_imsdb.transcript_text(no_pre) == "GUS\nPie?\n"
    no_td = b"<html><body><div><pre><b>  GUS\r\n</b>  Pie?\r\n</pre></div></body></html>"
    assert parse_imsdb.transcript_text(no_td) == "GUS\nPie?\n"
    assert parse_imsdb.transcript_text(b"<html><body><p>Nothing here</p></body></html>") == ""


def test_imsdb_skips_title_block_and_stops_at_the_end():
    pre = ('\n<b>          DRIFT HOLLOW\n</b>       "Pie Night"\n       Written by A. Person\n\n'
           '<b>INT. KITCHEN - NIGHT\n</b>\n<b>     GUS\n</b>     Pie?\n\n<b>     THE END\n</b>\n'
           '<b>     GUS\n</b>     Not this.\n')
    assert parse_imsdb.transcript_text(imsdb_page(pre)) == "[Scene: INT. KITCHEN - NIGHT]\n\nGUS\nPie?\n"


def test_imsdb_bold_line_without_speech_stays_a_marker():
    pre = "\n<b>ACT ONE\n</b>\n     The lights come up.\n"
    assert parse_imsdb.transcript_text(imsdb_page(pre)) == "ACT ONE\n\n(The lights come up.)\n"


# ---- livesinabox ------------------------------------------------------------------------------

@pytest.mark.parametrize("markup", [
    "<p><b>Gus:</b> Pass the pie.</p>",
    "<p><b>Gus</b>: Pass the pie.</p>",
    "<p><strong>Gus:</strong> Pass the pie.</p>",
    "<p><strong><strong>Gus:</strong></strong> Pass the pie.</p>",
    "<p><strong>Gus</strong>: Pass the pie.</p>",
    "<p>GUS: Pass the pie.</p>",
    "<p>Gus: Pass the pie.</p>",
    '<p align="left"><font size="3"><b>Gus:</b> Pass the\n pie.</font></p>',
    '<p class=MsoNormal><b><span lang=EN-GB>Gus:</span></b><span lang=EN-GB> Pass the pie.</span></p>',
    "<b>\n\n<p>Gus</b>: Pass the pie.</p>",
    "<p>Gus </b>(to Mo): Pass the pie.</p>",
])
def test_livesinabox_speaker_markups(markup):
    cue = "GUS (to Mo)" if "to Mo" in markup else "GUS"
    assert parse_livesinabox.transcript_text(friends_page(markup)) == f"{cue}\nPass the pie.\n"


def test_livesinabox_parenthetical_beside_the_name_stays_with_the_cue():
    page = friends_page("<p><B>Gus</B> (<I>to Mo</I>): Pie.</p><p>Mo and Gus: Pie!</p>")
    assert parse_livesinabox.transcript_text(page) == "GUS (to Mo)\nPie.\n\nMO AND GUS\nPie!\n"


def test_livesinabox_speeches_split_at_double_br_and_joined_at_single_br():
    page = friends_page("<p>[Scene: A diner.]<br><br>GUS: Pie is good.<br>Cake is fine.<br><br>"
                        "(Mo sighs.)<br><br>MO: Sure.</p><p>Commercial Break</p>")
    assert parse_livesinabox.transcript_text(page) == (
        "[Scene: A diner.]\n\nGUS\nPie is good. Cake is fine.\n\n(Mo sighs.)\n\nMO\nSure.\n\n"
        "Commercial Break\n")


def test_livesinabox_season10_template_nav_credits_and_footer_are_dropped():
    nav = "".join(f'<table><tr><td><b>{word}</b></td></tr><tr><td><a href="x">{word}:</a> More</td></tr></table>'
                  for word in ("Friends", "Pictures", "Highlights", "Misc", "Donate"))
    page = (f'<html><head><title>Crazy For Friends - 1001</title></head><body bgcolor="#000000">'
            f'<table><tr><td>{nav}</td><td><p>Written by: Ann Writer<br>Transcribed by: Fan</p><hr>'
            f'<p><strong>Gus</strong>: Hi.</p><p align="center"><strong>THE END</strong></p>'
            f'<p>Mo: not a line</p><p>Crazy For Friends is best viewed at 800x600. &copy; 2004</p>'
            f'</td></tr></table></body></html>').encode("latin-1")
    assert parse_livesinabox.transcript_text(page) == "GUS\nHi.\n"


def test_livesinabox_credits_without_rule_and_brackets_kept():
    page = (b"<html><body><p>Written by: Ann Writer</p><p>Transcribed by: Fan</p>"
            b"<p>[Scene: Roof.]</p><p>Gus: Hi.</p><p>(He waves.)</p><p>{Transcriber's Note: hi}</p>"
            b"<p>Note: no speaker</p><p>End</p></body></html>")
    assert parse_livesinabox.transcript_text(page) == (
        "[Scene: Roof.]\n\nGUS\nHi.\n\n(He waves.)\n\n{Transcriber's Note: hi}\n\nNote: no speaker\n")


# ---- decoding and text helpers ----------------------------------------------------------------

@pytest.mark.parametrize("parse, page", [
    (parse_livesinabox.transcript_text, friends_page("<p>Gus: It&#146;s Caf\xe9 \x92pie\x92\x81&#129;.</p>")),
    (parse_imsdb.transcript_text, imsdb_page("<b>  GUS\n</b>  It&#146;s Caf\xe9 \x92pie\x92\x81&#129;.\n")),
])
def test_decoding_cp1252_references_and_undefined_bytes(parse, page):
    text = parse(page)
    assert text == "GUS\nIt\u2019s Caf\u00e9 \u2019pie\u2019.\n"
    assert not C1.search(text)


def test_decode_page_maps_undefined_cp1252_bytes_to_latin1():
    assert decode_page(b"a\x92b\x81c\r\nd") == "a\u2019b\x81c\nd"  # the C1 goes at clean_line()


def test_fold_to_ascii():
    assert fold_to_ascii("\u2018Caf\u00e9\u2019 \u201cna\u00efve\u201d\u2026 a\u2014b a\u2013b\u00a0\u00bd") == \
        "'Cafe' \"naive\"... a--b a-b 1/2"
    assert format_cue("Ross (to Rachel):") == "ROSS (to Rachel)"
    assert format_cue("stan", "(O.S.)") == "STAN (O.S.)"


# ---- corpus assembly --------------------------------------------------------------------------

def speech_page(speaker: str, line: str) -> bytes:
    return friends_page(f"<p>[Scene: Somewhere.]</p><p><b>{speaker}:</b> {line}</p>")


def make_raw_store(raw: Path, pages: dict, site: str = "livesinabox", entries: list | None = None) -> Path:
    """pages: {file name: bytes}; entries default to one episode per page, numbered 101, 102, ..."""
    site_dir = raw / "sample" / site
    (site_dir / "pages").mkdir(parents=True, exist_ok=True)
    for name, data in pages.items():
        (site_dir / "pages" / name).write_bytes(data)
    if entries is None:
        entries = [{"site": site, "show": "Friends", "season": 1, "episodes": [101 + i], "title": name,
                    "url": f"http://x/{name}", "path": f"pages/{name}"} for i, name in enumerate(pages)]
    (site_dir / "episodes.json").write_text(json.dumps(entries), encoding="utf-8")
    return raw


def build(tmp_path: Path, **overrides) -> dict:
    options = {"source": "sample", "ascii": True, "min_char_count": 0, "val_fraction": 0.05, **overrides}
    return clean.build_corpus(tmp_path / "raw", tmp_path / "corpus", tmp_path / "metrics" / "corpus.json",
                              **options)


def test_build_corpus_writes_split_vocab_and_metrics(tmp_path, capsys):
    pages = {f"{n}.htm": speech_page("Gus", f"Pie number {n}, caf\xe9 \x92ok&#146;.") for n in range(8)}
    pages["broken.htm"] = b"<html><body><p>Written by: A</p><hr><p>The End</p></body></html>"
    make_raw_store(tmp_path / "raw", pages)
    episode_list = tmp_path / "raw" / "sample" / "livesinabox" / "episodes.json"
    entries = json.loads(episode_list.read_text())
    entries.append({**entries[0], "episodes": [199], "path": "pages/missing.htm"})
    episode_list.write_text(json.dumps(entries))
    metrics = build(tmp_path)
    train = (tmp_path / "corpus" / "train.txt").read_text(encoding="utf-8")
    val = (tmp_path / "corpus" / "val.txt").read_text(encoding="utf-8")
    errors = capsys.readouterr().err
    assert "broken.htm: no transcript text" in errors and "missing.htm" in errors
    assert metrics["train"]["episodes"] + metrics["val"]["episodes"] == 8 and metrics["val"]["episodes"] >= 1
    assert metrics["skipped_pages"] == 2
    for text in (train, val):
        assert text.endswith("\n") and "\r" not in text and not re.search(r" $", text, re.M)
        assert "\n\n\n" not in text and text.isascii()
        assert text.count("[Scene: Somewhere.]") == text.count("GUS\nPie number")  # whole episodes
    assert "GUS\nPie number 0, cafe 'ok'.\n" in train + val
    vocab = json.loads((tmp_path / "corpus" / "vocab.json").read_text(encoding="utf-8"))
    assert vocab["chars"] == sorted(set(train + val))
    assert vocab["sha256"] == hashlib.sha256("".join(vocab["chars"]).encode()).hexdigest()
    saved = json.loads((tmp_path / "metrics" / "corpus.json").read_text())
    assert saved == metrics and saved["vocab_size"] == len(vocab["chars"])
    assert metrics["train"]["chars"] == len(train) and metrics["val"]["chars"] == len(val)


def test_rare_characters_are_dropped_and_reported(tmp_path, capsys):
    make_raw_store(tmp_path / "raw", {"a.htm": speech_page("Gus", "Pie pie ~ pie."),
                                      "b.htm": speech_page("Gus", "Pie &#8364; pie.")})
    metrics = build(tmp_path, min_char_count=2)
    corpus = "".join((tmp_path / "corpus" / name).read_text() for name in ("train.txt", "val.txt"))
    assert "~" not in corpus and "\u20ac" not in corpus and "  " not in corpus
    assert metrics["dropped"] == {"U+007E": 1, "U+20AC": 1} and metrics["dropped_chars"] == 2
    assert "U+007E" in capsys.readouterr().err
    build(tmp_path, ascii=False, min_char_count=0)
    assert "\u20ac" in "".join((tmp_path / "corpus" / n).read_text() for n in ("train.txt", "val.txt"))


def test_split_is_deterministic_and_keeps_both_sides_non_empty():
    keys = [f"livesinabox/Friends/1/{101 + i}" for i in range(40)]
    assert clean.validation_ids(keys, 0.2) == clean.validation_ids(list(reversed(keys)), 0.2)
    assert 0 < len(clean.validation_ids(keys, 0.2)) < 40
    for few in (keys[:2], keys[:3]):
        assert len(clean.validation_ids(few, 0.01)) == 1
        assert len(clean.validation_ids(few, 0.999)) == len(few) - 1
    assert clean.validation_ids(keys[:1], 0.5) <= set(keys[:1])
    assert clean.validation_ids(keys, 0) == set()


def test_dedupe_keeps_the_uncut_page_and_one_entry_per_page():
    def entry(path, episodes, title=""):
        return {"site": "livesinabox", "show": "Friends", "season": 4, "episodes": episodes,
                "title": title, "path": path, "site_dir": "d"}
    entries = [entry("423rowed.htm", [423, 424], "Ross's Wedding"), entry("422.htm", [422]),
               entry("423uncut.htm", [423, 424], "Ross's Wedding (The Uncut Version)"),
               entry("422.htm", [422])]
    assert [e["path"] for e in clean.dedupe_episodes(entries)] == ["423uncut.htm", "422.htm"]


def test_build_corpus_uses_the_uncut_page(tmp_path):
    pages = {"423rowed.htm": speech_page("Gus", "Short cut."), "423uncut.htm": speech_page("Gus", "Long uncut."),
             "422.htm": speech_page("Mo", "Other.")}
    entries = [{"site": "livesinabox", "show": "Friends", "season": 4, "episodes": episodes, "title": title,
                "url": "u", "path": f"pages/{name}"}
               for name, episodes, title in [("423rowed.htm", [423, 424], "Wedding"), ("422.htm", [422], "x"),
                                             ("423uncut.htm", [423, 424], "Wedding (Uncut)")]]
    make_raw_store(tmp_path / "raw", pages, entries=entries)
    metrics = build(tmp_path)
    corpus = "".join((tmp_path / "corpus" / n).read_text() for n in ("train.txt", "val.txt"))
    assert "Long uncut." in corpus and "Short cut." not in corpus
    assert metrics["train"]["episodes"] == metrics["val"]["episodes"] == 1


def test_empty_raw_store_is_a_clear_error(tmp_path):
    (tmp_path / "raw").mkdir()
    with pytest.raises(clean.CleanError, match="scrape"):
        build(tmp_path)
    make_raw_store(tmp_path / "raw", {"a.htm": b"<html></html>"})
    with pytest.raises(clean.CleanError, match="scrape"):
        build(tmp_path)


def test_main_reads_params_and_reports(tmp_path, monkeypatch, capsys):
    params = (PROJECT / "params.yaml").read_text().replace("source: live", "source: sample")
    (tmp_path / "params.yaml").write_text(params)
    monkeypatch.chdir(tmp_path)
    assert clean.main() == 1
    error = capsys.readouterr().err.strip()
    assert "scrape" in error and "\n" not in error and "Traceback" not in error
    make_raw_store(tmp_path / "data" / "raw", {"a.htm": speech_page("Gus", "Hi."),
                                               "b.htm": speech_page("Mo", "Yo.")})
    assert clean.main() == 0
    assert "train 1 episodes" in capsys.readouterr().out
    assert (tmp_path / "metrics" / "corpus.json").exists()


# ---- the bundled sample site ------------------------------------------------------------------

def sample_pages():
    imsdb = sorted((SAMPLE_SITE / "imsdb" / "transcripts").glob("*.html"))
    friends = sorted(path for path in (SAMPLE_SITE / "livesinabox" / "friends").rglob("*.*htm*")
                     if path.name != "scripts.shtml")
    return [(parse_imsdb, path) for path in imsdb] + [(parse_livesinabox, path) for path in friends]


@pytest.mark.skipif(not sample_pages(), reason="sample_site/ not generated")
def test_every_sample_transcript_page_parses():
    for parser, path in sample_pages():
        text = parser.transcript_text(path.read_bytes())
        cues = re.findall(r"(?m)^[A-Z][A-Z0-9 .'/&#-]*(?: \(.*\))?\n\S", text)
        assert len(cues) >= 3, path
        assert not re.search(r"<[a-zA-Z/!]", text) and not C1.search(text), path
        assert "Written by" not in text and "Back to IMSDb" not in text and "best viewed" not in text, path


@pytest.mark.skipif(not sample_pages(), reason="sample_site/ not generated")
def test_build_corpus_on_the_sample_site(tmp_path):
    for parser in (parse_imsdb, parse_livesinabox):
        site = parser.__name__.rsplit("_", 1)[-1]
        pages = {path.name: path.read_bytes() for page_parser, path in sample_pages() if page_parser is parser}
        make_raw_store(tmp_path / "raw", pages, site=site)
    metrics = build(tmp_path, min_char_count=5)
    assert metrics["train"]["episodes"] > metrics["val"]["episodes"] >= 1
    assert metrics["skipped_pages"] == 0
    assert (tmp_path / "corpus" / "train.txt").read_text(encoding="utf-8").isascii()
