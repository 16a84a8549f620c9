#!/usr/bin/env python3
"""Write the bundled offline site: offline_site/imsdb/ and offline_site/livesinabox/.

imsdb/        robots.txt; "TV/South Park.html" (show page: 3 series, 22 invented episodes);
              "TV Transcripts/South Park - <Title> Script.html" (episode detail pages);
              "transcripts/South-Park-<Hyphenated-Title>.html" (td.scrtext > pre, cues in <b>, Latin-1, CRLF).
livesinabox/  robots.txt; friends/scripts.shtml (index, one <ul> per season); friends/season1/*.htm,
              friends/season2/*.htm, friends/10NN.shtml (episode pages: cp1252 bytes, LF, varied speaker markup).

This file holds the episode lists, lays out each script and writes the pages. Every name, title and
line is invented: dialogue comes from the phrase grammar in phrases.py with a random.Random seeded
per page, and the HTML around it from templates.py, so two runs write byte-identical files (no
timestamps anywhere). Both output directories are deleted and rewritten.
Stdlib only:  python offline_site/write_site.py
"""
import html
import random
import re
import shutil
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

# phrases.py and templates.py sit next to this script, so Python finds them on sys.path[0]. No
# __pycache__ is written: offline_site/ is a DVC dependency of the scrape stage.
sys.dont_write_bytecode = True
from phrases import DIRECTIONS, FLAT_SHOW, PARENTHETICALS, TOWN_SHOW, fill_slots, random_speech  # noqa: E402
from templates import (imsdb_detail_page, imsdb_show_page, imsdb_transcript_page,  # noqa: E402
                       livesinabox_index_page, livesinabox_plain_page, livesinabox_site_page)

HERE = Path(__file__).resolve().parent
SEED = "scriptlm-sample-1"   # its old name, kept: a new seed would write other pages


def write(path, text, encoding, newline="\n"):
    """Write `text` to `path` with the given encoding and line ends, creating parent directories."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode(encoding))


# ------------------------------------------------------------------ IMSDb-shaped site (Latin-1, CRLF)
IMSDB_SERIES = [  # one string per series: "Title=topic|Title=topic|..."
    "Snow Day Sabotage=the snow day|Who Stole the Mayor's Goat?=the goat|Tucker & the Ice Fishing Derby=the derby"
    "|Milo Gets Glasses=Milo's glasses|The Substitute: Part One=the substitute|The Substitute: Part Two=the substitute"
    "|Barnaby's Haunted Snow Globe=the snow globe|Fitz for Class President=the class election",
    "A Very Drift Hollow Thanksgiving=the turkey|Grandpa Oswald Goes Online=the internet|Pancakes & Punishment=pancakes"
    "|The Great Pinecone Shortage=pinecones|Are We There Yet?=the field trip|Officer Beane's Day Off=Officer Beane"
    "|Mittens of Doom=the cursed mittens",
    "Invasion of the Lawn Gnomes=the lawn gnomes|Milo's Pen Pal=Milo's pen pal|Snowplow Wars: The Reckoning=the plow"
    "|Why Is the Lake Purple?=the purple lake|Fitz Learns the Accordion=the accordion|The Mayor's Mustache=the mustache"
    "|Last Day of Winter=the spring thaw",
]
IMSDB_TITLES = [(s, *e.split("=")) for s, series in enumerate(IMSDB_SERIES, 1) for e in series.split("|")]
WRITERS = ["Hal Brimley", "Joanna Petrakis", "Devin Oduya"]


def town_transcript(rng, title, topic, writer, quirk):
    """The text inside <pre>: cues in <b> at column 30, dialogue at 15 wrapped at 60 columns, headings in <b>."""
    ctx = {"name": TOWN_SHOW["main"] + TOWN_SHOW["minor"], "place": TOWN_SHOW["place"], "topic": [topic]}
    esc = html.escape
    action = lambda pool=DIRECTIONS: textwrap.wrap(esc(fill_slots(rng, rng.choice(pool), ctx), False), 60,
                                                   initial_indent=" " * 5, subsequent_indent=" " * 5) + [""]
    out = [f"<b>{' ' * 30}SOUTH PARK\n</b>", f"{' ' * 24}\"{esc(title, False)}\"", f"{' ' * 24}Written by {writer}", ""]
    out += ["<b>EXT. DRIFT HOLLOW - ESTABLISHING\n</b>"] + action(TOWN_SHOW["opening"])
    target, heading, who = rng.randint(1000, 4300), False, None
    while sum(map(len, out)) + len(out) < target:  # a new scene every ~8 speeches
        out += [f"<b>{rng.choice(TOWN_SHOW['headings'])}\n</b>"] * heading + action() * (heading or rng.random() < 0.12)
        who, text, sctx = random_speech(rng, TOWN_SHOW, ctx, who)
        paren = [f"{' ' * 22}{fill_slots(rng, rng.choice(PARENTHETICALS), sctx)}"] if rng.random() < 0.15 else []
        lines = paren + textwrap.wrap(esc(text, False), 45, initial_indent=" " * 15, subsequent_indent=" " * 15)
        out += [f"<b>{' ' * 30}{who.upper()}\n</b>" + lines[0]] + lines[1:] + [""]
        heading = rng.random() < 0.12
    body = "\n".join(out) + f"\n<b>{' ' * 30}THE END\n</b>\n"
    if quirk == "framebuster":  # seen inside the <pre> of some real scripts
        body = "<b><!--</b>if (window!= top) top.location.href=location.href<b>// --></b>\n" + body
    return "<pre>\n" + body + "</pre>\n" if quirk == "nested" else body


def build_imsdb(root):
    """robots.txt, then per episode a detail page and a transcript page, then the show page listing them all."""
    write(root / "robots.txt", "User-agent: *\nDisallow: /search.php\n", "ascii")
    listing, day = ["<h1>South Park Transcripts</h1>"], date(1997, 8, 13)
    for i, (s, title, topic) in enumerate(IMSDB_TITLES):
        rng = random.Random(f"{SEED}-imsdb-{i}")
        if i == 0 or s != IMSDB_TITLES[i - 1][0]:  # a new series: a heading and a summer break
            listing.append(f"<h2>Series {s}</h2>")
            day += timedelta(weeks=30 * (i > 0))
        writer, et = WRITERS[i % 3], html.escape(title, quote=False)
        slug = title.replace(":", "").replace(" ", "-")  # the file on disk keeps ' ? & literally ...
        href = f"/transcripts/South-Park-{slug.replace('?', '%3F').replace('&', '%26')}.html"  # ... the href does not
        detail = f"/TV Transcripts/South Park - {title} Script.html"
        listing.append(f'<p><a href="{detail}" title="{title} Script">{et}</a> ({day.isoformat()})'
                       f'<br><i>Written by {writer}</i><br></p>')
        rating = rng.randint(50, 95) / 10
        write(root / detail.lstrip("/"), imsdb_detail_page(title, rating, writer, day, href), "latin-1", "\r\n")
        pre = town_transcript(rng, title, topic, writer, {3: "nested", 9: "framebuster"}.get(i))
        write(root / f"transcripts/South-Park-{slug}.html", imsdb_transcript_page(title, writer, pre, detail),
              "latin-1", "\r\n")
        day += timedelta(weeks=1)
    write(root / "TV/South Park.html", imsdb_show_page("\n".join(listing)), "latin-1", "\r\n")


# ------------------------------------------------------------------ livesinabox-shaped site (cp1252, LF)
FLAT_PAGES = [  # (number, href, title, topic, speaker markup); file names are mnemonics, as on the real site
    ("101", "season1/101lease.htm", "The One Where Dana Signs the Lease", "the lease", "b"),
    ("102", "season1/102quilt.htm", "The One With the Quilting Circle", "the quilt", "b"),
    ("103", "season1/103ferret.htm", "The One With the Ferret", "the ferret", "strong"),
    ("104", "season1/104karaoke.htm", "The One With Karaoke Night", "karaoke night", "b"),
    ("105", "season1/105bagel.htm", "The One With the Stale Bagels", "the bagels", "b"),
    ("106", "season1/106parka.htm", "The One With Theo's Parka", "the parka", "b_out"),
    ("107-108", "season1/107-108.htm", "The One With the Lighthouse Weekend", "the lighthouse", "b"),
    ("201", "season2/201gala.htm", "The One With the Gala Tickets", "the gala", "caps"),
    ("202", "season2/202moped.htm", "The One Where Owen Buys a Moped", "the moped", "caps"),
    ("203", "season2/203fondue.htm", "The One With the Fondue Disaster", "the fondue", "caps"),
    ("204", "season2/204tuba.htm", "The One With the Tuba", "the tuba", "caps"),
    ("205", "season2/205heist.htm", "The One With the Cookie Heist", "the cookies", "caps"),
    ("206", "season2/206ladder.htm", "The One Where Everybody Climbs the Ladder", "the ladder", "caps"),
    ("1001", "1001.shtml", "The One With Priya's Promotion", "the promotion", "strong_out"),
    ("1002", "1002.shtml", "The One With the Leaky Ceiling", "the ceiling", "b"),
    ("1003", "1003.shtml", "The One Where Lena Learns to Drive", "driving lessons", "b"),
    ("1004", "1004.shtml", "The One With the Last Box", "the last box", "plain"),
]
NO_CHARSET, RAW_BYTES = {"102", "205", "1003"}, "204"  # 204: raw 0x92-0x94 bytes although it declares iso-8859-1
SPEAKER_MARKUP = {"b": "<b>{}:</b> ", "b_out": "<b>{}</b>: ", "strong": "<strong>{}:</strong> ",
                  "strong_out": "<strong>{}</strong>: ", "plain": "{}: ", "caps": "{}: "}


def flat_show_script(rng, topic, target):
    """A list of (kind, speaker, text, blue) items (scene, speech, direction, marker) of about `target` characters."""
    ctx, items, scene = {"name": FLAT_SHOW["main"], "place": FLAT_SHOW["place"], "topic": [topic]}, [], 0
    while sum(len(x[2]) for x in items) < target:
        scene_line = "[Scene: " + fill_slots(rng, rng.choice(FLAT_SHOW["scenes"]), ctx) + ".]"
        items.append(("scene", None, scene_line, False))
        for _ in range(rng.randint(8, 15)):
            if rng.random() < 0.1:
                items.append(("direction", None, "(" + fill_slots(rng, rng.choice(DIRECTIONS), ctx) + ")", False))
                continue
            who, text, sctx = random_speech(rng, FLAT_SHOW, ctx, items[-1][1])
            if rng.random() < 0.05:  # several speakers at once
                pair = rng.sample(FLAT_SHOW["main"], 2)
                who = rng.choice(["All", " and ".join(pair), "/".join(pair)])
            if rng.random() < 0.2:  # a stage direction inside the speech
                direction = rng.choice(["(to {name}) ", "(sitting down) ", "(points at {name}) ", "(laughing) "])
                text = fill_slots(rng, direction, sctx) + text
            if rng.random() < 0.12:
                text = re.sub(r"(?<![MD]r)(?<!Mrs)(?<!Ms)\. ", "... ", text, 1).replace(", ", " -- ", 1)
            items.append(("speech", who, text, False))
        items.append(("marker", None, ["Opening Credits", "Commercial Break", "[Time Lapse]"][min(scene, 2)], False))
        scene += 1
    items[-1] = ("marker", None, "Closing Credits", False)
    return items


def cp1252_html(text, raw, rng):
    """Typographic punctuation, written as &#146;-style references (most pages) or raw cp1252 characters."""
    text = html.escape(text, quote=False).replace("...", "\u2026").replace(" -- ", "\u2014")
    text = re.sub(r'"([^"]*)"', "\u201c\\1\u201d", text)
    text = re.sub(r"'", lambda m: "'" if rng.random() < 0.08 else "\u2019", text)  # a few stay ASCII
    refs = {"\u2019": "&#146;", "\u2026": "&#133;", "\u2014": "&#151;", "\u201c": "&#147;", "\u201d": "&#148;"}
    refs = {} if raw else refs
    return "".join(refs.get(c, c) for c in text)


def render_flat_script(number, items, style, raw, rng):
    """The <p> paragraphs of an episode page, with speaker cues in the page's `style` of SPEAKER_MARKUP."""
    para, caps = [], style == "caps"
    for kind, who, text, blue in items:
        cue = SPEAKER_MARKUP[style].format(who.upper() if caps else who) if kind == "speech" else ""
        line = cue + cp1252_html(text, raw, rng)
        line = f'<font color="#0000FF">{line}</font>' if blue else line
        if caps and kind != "scene" and para:  # season 2: many speeches in one <p>, separated by <br><br>
            para[-1] = para[-1][:-4] + "<br><br>\n" + line + "</p>"
        else:
            para.append(f"<p>{line}</p>")
    para.append('<p align="center"><strong>THE END</strong></p>' if len(number) == 4 else "<p>End</p>")
    return "\n".join(para)


def build_livesinabox(root):
    """robots.txt, one page per episode (plus 104's uncut version), then the scripts.shtml index."""
    write(root / "robots.txt", "User-agent: *\nDisallow: /cgi-bin/\n", "ascii")
    seasons = {}
    for number, href, title, topic, style in FLAT_PAGES:
        rng = random.Random(f"{SEED}-flat-{number}")
        raw = number == RAW_BYTES
        charset = "iso-8859-1" if raw else None if number in NO_CHARSET else "windows-1252"
        items = flat_show_script(rng, topic, 7500 if "-" in number else rng.randint(3200, 5200))
        word = {"105": "Epsiode", "203": "Episdoe"}.get(number, "Episode")  # typos, as on the real index
        entries = [(f"{word} {number}", title, href)]
        if number == "107-108":  # a double episode: two index entries, one page
            entries = [("Episode 107", title + " (Part 1)", href), ("Episode 108", title + " (Part 2)", href)]
        authors = " &amp; ".join(rng.sample(["Carla Vos", "Benji Tran", "Ruth Okafor", "Sam Delacroix"], 2))
        fan = rng.choice(["kettle_girl", "Moped Fan 99", "J. Fernsby"])
        credits = f"<p>Written by: {authors}<br>\nTranscribed by: {fan}</p>"
        versions = [(href, title, items, credits)]
        if number == "104":  # a second "uncut" page: the same script plus extra speeches in blue
            extra = flat_show_script(random.Random(f"{SEED}-flat-104uncut"), topic, 900)
            extra = [x[:3] + (True,) for x in extra if x[0] == "speech"]
            uncut = list(items)
            for j, x in enumerate(extra):
                uncut.insert(3 + j * 4, x)
            versions.append(("season1/104uncut.htm", title + " (The Uncut Version)", uncut,
                             credits[:-4] + "<br>\n(Note: The uncut parts are in blue)</p>"))
            entries.append(("Episode 104", title + " (The Uncut Version)", "season1/104uncut.htm"))
        seasons.setdefault(number.split("-")[0][:-2], []).extend(entries)
        for path, ptitle, its, cred in versions:
            script_html = render_flat_script(number, its, style, raw, rng)
            content = f'<h1 align="center">{ptitle}</h1>\n{cred}\n<hr>\n{script_html}'
            if len(number) == 4:  # season 10 pages sit inside the full site template
                page = livesinabox_site_page(f"Crazy For Friends - {number} - {ptitle}", content, charset,
                                             closed=False)
            else:
                page = livesinabox_plain_page(ptitle, content, charset)
            write(root / "friends" / path, page, "cp1252")
    write(root / "friends/scripts.shtml", livesinabox_index_page(seasons), "cp1252")


if __name__ == "__main__":
    for name, build in (("imsdb", build_imsdb), ("livesinabox", build_livesinabox)):
        shutil.rmtree(HERE / name, ignore_errors=True)
        build(HERE / name)
    files = [p for name in ("imsdb", "livesinabox") for p in (HERE / name).rglob("*") if p.is_file()]
    print(f"{len(files)} files, {sum(p.stat().st_size for p in files)} bytes")
