#!/usr/bin/env python3
"""Write the bundled offline sample site: sample_site/imsdb/ and sample_site/livesinabox/.

imsdb/        robots.txt; "TV/South Park.html" (show page: 3 series, 22 invented episodes);
              "TV Transcripts/South Park - <Title> Script.html" (episode detail pages);
              "transcripts/South-Park-<Hyphenated-Title>.html" (td.scrtext > pre, cues in <b>, Latin-1, CRLF).
livesinabox/  robots.txt; friends/scripts.shtml (index, one <ul> per season); friends/season1/*.htm,
              friends/season2/*.htm, friends/10NN.shtml (episode pages: cp1252 bytes, LF, varied speaker markup).

Every name, title and line is invented: dialogue is built from the phrase templates below with a
random.Random seeded per page, so two runs write byte-identical files (no timestamps anywhere).
Both output directories are deleted and rewritten.  Stdlib only:  python sample_site/generate.py
"""
import html
import random
import re
import shutil
import textwrap
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = "scriptlm-sample-1"


# ------------------------------------------------------------------ phrase grammar shared by both shows
WORDS = {k: v.split("|") for k, v in {
    "thing": "a frozen burrito|a lucky mitten|the class hamster|a traffic cone|the science fair volcano"
             "|a broken toaster|a haunted snow globe|the karaoke machine|the remote control|a cardboard robot costume"
             "|the spare key|a suspicious envelope|a mystery casserole|the good scissors|a giant inflatable moose"
             "|somebody's retainer",
    "plural": "snowballs|pinecones|hamsters|tubas|lawn gnomes|pancakes|raccoons|mittens|walkie-talkies|scented candles"
              "|parking tickets|folding chairs|rubber ducks|board games|houseplants",
    "adj": "weird|awesome|ridiculous|suspicious|totally lame|gross|adorable|sticky|unacceptable|majestic|dramatic"
           "|terrifying|fancy|sweaty|heroic|unbelievable|cranky|brilliant|emotionally unavailable",
    "food": "cold pizza|maple pancakes|microwave burritos|tater tots|chili fries|hot cocoa|leftover meatloaf|tuna salad"
            "|jalapeño poppers|a day-old bagel|crème brûlée|banana bread|a whole rotisserie chicken|frozen peas"
            "|lemon meringue pie|garlic knots",
    "verb": "build a snow fort|apologize|sing in public|do the moonwalk|eat a whole pie|call the police|run for mayor"
            "|learn the accordion|go ice fishing|start a band|fake a cold|read the instructions|parallel park"
            "|cry during a commercial|win the science fair|dance at a wedding|talk to strangers|admit you were wrong",
    "time": "noon|six o'clock|midnight|dawn|lunch|half past four|seven sharp|sunset",
    "fancy": "café|naïve|déjà vu|piñata|fiancé|soufflé|façade|résumé|protégé",
}.items()}
INTERJECTIONS = ("What?|No!|Oh, come on!|Okay.|Hey!|Really?|Wait, what?|Ugh.|Seriously?|Whoa.|Uh-huh.|Nope.|Oh no."
                 "|Yes!|Fine.|Hmm.|Huh?|Shh!|Oh boy.|Well...|Sure, sure.|Excuse me?").split("|")
LINES = [
    "I can't believe you brought {thing} to {place}.", "Okay, nobody panic, but {thing} is missing.",
    "Why does everything always have to be about {topic}?", "{name}, you promised you would never {verb} again.",
    "That's the worst idea I've ever heard, and I've heard a lot of your ideas.", "That is so {adj}.",
    "Fine. But if this goes wrong, I'm telling everyone it was {name}'s fault.", "I'm not {adj}, I'm just tired.",
    "Wait, wait, wait. Go back to the part about {thing}.", "I'm going to pretend I didn't hear that.",
    "You know what? I don't even care anymore.", "We need {thing}, a flashlight, and at least three {plural}.",
    "Have you ever tried to {verb} while holding {thing}? It's harder than it looks.", "That's not how {plural} work!",
    "Oh, great. Now I smell like {food}.", "Whatever you do, don't tell {name}.",
    "It's not weird if you don't make it weird.", "Why is there {food} in my coat pocket?",
    "Listen to me. Some people are born {adj}, some people become {adj}, and some people just {verb}.",
    "Is this about {thing}? Because I already said I was sorry.", "Nobody leaves {place} until we figure this out.",
    "I read about this once. The French have a word for it. It's called {fancy}.",
    "Has anybody seen {thing}? It was right here a minute ago.", "I have a plan. It only involves a tiny bit of crime.",
    "Technically, that's not lying. It's just creative remembering.", "You want to {verb} at {place}? Seriously?",
    "We meet at {place} at {time}. Bring {food}.", "No. Absolutely not. Not in a million years... Okay, maybe.",
    "I just think we should give {topic} a second chance.", "You can't just {verb} whenever you feel like it!",
    "Everybody calm down. I've seen this on television and it always works out.", "Can I say something? Thank you.",
    "If I had known this was about {topic}, I would have stayed in bed.", "Do you feel like {topic} is following us?",
    "Step one, we find {thing}. Step two, we hide it at {place}. Step three, nobody asks any questions.",
    "Can we please talk about literally anything except {topic}?", "I was being {adj}! That's called sarcasm.",
    "Okay, new rule. Nobody is allowed to {verb} without asking me first.", "You're standing on my foot.",
    "Do you know how hard it is to find {food} at {time}?", "My horoscope said today would be {adj}. Not this.",
    "This is exactly like the time {name} tried to {verb}, and we all know how that ended.",
    "I'm sorry, did you just say {topic}? Out loud? At {place}?", "Nobody touch anything. Especially {thing}.",
]
DIRECTIONS = ("{name} walks in carrying {thing}.|Everyone stares at {name}.|A long, awkward pause.|The lights flicker."
              "|{name} sits down very slowly.|{name} grabs {thing} and runs off.|There is a knock at the door."
              "|{name} looks at the others, then back at {thing}.|{name} takes a big bite of {food}."
              "|Somewhere far away, a dog barks.|{name} opens the door. It is {name}.").split("|")
PARENS = "(whispering)|(beat)|(yelling)|(sarcastic)|(under his breath)|(to {name})|(confused)|(sniffing)".split("|")
TOWN = {  # the IMSDb-shaped show: four kids and some adults in the snowy mountain town of Drift Hollow
    "main": ["Tucker", "Milo", "Barnaby", "Fitz"],
    "minor": ["Ms. Grunwald", "Mayor Plumley", "Officer Beane", "Grandpa Oswald"],
    "place": ["the bus stop", "the frozen lake", "the ski lodge", "the town hall", "the school cafeteria", "the diner",
              "Grandpa Oswald's garage", "the bowling alley", "the top of Widow's Ridge", "the Chalet Café"],
    "lines": ["The bus is late again. Maybe the driver got eaten by a bear.", "Mom! Mom! {name} is being {adj} again!",
              "Ms. Grunwald says if we don't finish our report on {topic} we get detention until spring.",
              "My grandpa says when he was a kid, the snow was so deep they had to {verb} just to get to school.",
              "Dude, the whole town is going crazy over {topic}.", "Officer Beane, you have to arrest {name}!",
              "We could sell {plural} to the tourists up at the ski lodge and get rich!",
              "This is the most {adj} thing that has ever happened in Drift Hollow.", "Dude. Dude. Dude. No.",
              "Children, please take your seats. Today we are learning about {topic}.", "My mom is going to kill me.",
              "As mayor of Drift Hollow, I hereby declare {topic} a public emergency!", "I'm telling Ms. Grunwald!",
              "You guys, I learned something today. {topic} isn't {adj}. It's just misunderstood.",
              "Back in my day we didn't have {plural}. We had snow, and we were grateful.", "Sweet! Let's do it!"],
    "opening": ["A quiet mountain town under a foot of fresh snow. Smoke curls from the chimney of the Chalet Café.",
                "Snow falls on a sign: WELCOME TO DRIFT HOLLOW, HOME OF THE FROZEN PIÑATA FESTIVAL.",
                "The sun rises over the mountains. Somewhere, a naïve squirrel is about to make a terrible mistake."],
    "headings": ["EXT. BUS STOP - MORNING", "INT. CLASSROOM - DAY", "INT. TUCKER'S KITCHEN - NIGHT",
                 "EXT. FROZEN LAKE - AFTERNOON", "INT. TOWN HALL - CONTINUOUS", "EXT. MAIN STREET - DAY",
                 "INT. SCHOOL CAFETERIA - LUNCH", "INT. MILO'S BEDROOM - NIGHT", "EXT. SKI LODGE - DUSK"],
}
FLAT = {  # the livesinabox-shaped show: six twenty-somethings sharing two flats across one hallway
    "main": ["Dana", "Marcus", "Priya", "Theo", "Lena", "Owen"], "minor": ["Mrs. Abernathy", "Waiter", "Gus"],
    "place": ["the coffee house", "the laundromat", "the roof", "the museum", "Marcus's office", "the farmers market",
              "the dry cleaner's", "the hallway", "the crêpe stand", "my cousin's wedding"],
    "lines": ["I'm not saying it's a date, I'm saying I ironed a shirt.", "You ate my {food}? That was labelled!",
              "Mrs. Abernathy slid a note under the door that says \"We need to talk about {topic}.\"",
              "I have an audition tomorrow for a commercial about {food}.", "I got promoted! Well, sideways.",
              "Okay, everybody out of my apartment. Except you, {name}. You live here.", "We share {plural}. It's the rule.",
              "Is this a date? Because if it's a date, I'm wearing the wrong socks.", "Gus, can I get another coffee?",
              "My mother called. She wants to know why I'm not married to {name} yet.", "Hi. Hello. Hey. Hi.",
              "I'm just saying, if {topic} was so important, you'd have written it on the fridge.",
              "He looked right at me and said \"{food}\" and I just walked out.", "I need a nap and a new life."],
    "scenes": ["The coffee house, everyone is there except {name}", "Dana and Lena's apartment, {name} is reading",
               "Marcus, Theo and Owen's apartment, the guys are playing cards", "The laundromat, {name} is folding",
               "A fancy restaurant, {name} is waiting for a date", "The hallway between the apartments",
               "Priya's office, she is on the phone", "The roof, it is getting dark"],
}


def fill(rng, text, ctx):
    """Replace every {slot} with a random choice from ctx or WORDS (a fresh choice per slot)."""
    return re.sub(r"\{(\w+)\}", lambda m: rng.choice(ctx.get(m.group(1)) or WORDS[m.group(1)]), text)


def speak(rng, show, ctx, last=None):
    """(speaker, speech, ctx without the speaker): one to four sentences, or a bare interjection."""
    who = last
    while who == last:
        who = rng.choice(show["main"]) if rng.random() < 0.82 else rng.choice(show["minor"])
    ctx = {**ctx, "name": [n for n in ctx["name"] if n != who]}
    n = rng.choice([0, 1, 1, 1, 2, 2, 3, 4])
    parts = [rng.choice(INTERJECTIONS)] if n == 0 or rng.random() < 0.2 else []
    parts += [fill(rng, rng.choice(LINES if rng.random() < 0.7 else show["lines"]), ctx) for _ in range(n)]
    return who, " ".join(parts), ctx


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
MONTHS = "January February March April May June July August September October November December".split()
TV_SHOWS = [("Futurama", "Futurama"), ("Seinfeld", "Seinfeld"), ("South Park", "South Park"),
            ("Stargate SG1", "Stargate SG-1"), ("Lost", "Lost"), ("The 4400", "The 4400")]
GENRES = ("Action Adventure Animation Comedy Crime Drama Family Fantasy Film-Noir Horror Musical Mystery Romance Sci-Fi"
          " Short Thriller War Western").split()


def imsdb_page(main, title=None):
    """The IMSDb template: header, sidebar `td width=180` of td.heading boxes (tr/td left unclosed), footer."""
    alpha = "".join(f'<td><a href="/alphabetical/{c}">{c if c != "0" else "#"}</a>\n'
                    + '<tr align="center">\n' * (i % 9 == 8) for i, c in enumerate("0ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    genres = "".join(f'<tr><td><a href="/genre/{g}">{g}</a><td><a href="/genre/{h}">{h}</a>\n'
                     for g, h in zip(GENRES[::2], GENRES[1::2]))
    tv = "".join(f'<tr><td><a href="/TV/{f}.html">{t}</a>\n' for f, t in TV_SHOWS)
    box = '<br>\n<table width="100%" class="body">\n<tr><td colspan="{}" class="heading">{}\n{}</table>\n'
    sidebar = box.format(9, "Alphabetical", '<tr align="center">\n' + alpha) + box.format(2, "Genre", genres)
    sidebar += box.format(1, "TV Transcripts", tv)
    head = f"<title>{title}</title>\n" if title else ""
    return f"""<html>
<head>
{head}<meta http-equiv="content-type" content="text/html; charset=iso-8859-1">
<meta name=ROBOTS CONTENT="INDEX, FOLLOW">
<link href="/style.css" rel="stylesheet" type="text/css">
</head>
<body topmargin="0" bottommargin="0" id="mainbody">
<table width="99%" border="0" cellspacing="0" cellpadding="0" class="body">
  <tr><td valign="bottom" bgcolor="#FF0000"><a href="https://imsdb.com" title="The Internet Movie Script Database"><img src="/images/logo_top.gif" border="0"></a></td>
    <td bgcolor="#FF0000"><center><font color="#FFFFFF"><h1>The Internet Movie Script Database (IMSDb)</h1></font></center>
  <tr><td background="/images/reel.gif" height="13" colspan="2">
</table>
<table width="99%" border="0" cellspacing="0" cellpadding="0" class="body">
  <tr><td width="180" valign="top">
<table class=body border=0 cellspacing=0 cellpadding=2 width="100%">
<tr><td colspan="2" class=heading>Search IMSDb
<tr><td colspan="2"><form method="post" action="/search.php"><input type="text" name="search_query" maxlength="255" size="15">
<input type="submit" value="Go!" name="submit"></form>
</table>
{sidebar}<br>
<div align="center"><a href="https://imsdb.com/all-scripts.html">ALL SCRIPTS</a></div>
    </td>
    <td width="10"></td>
    <td valign="top">
{main}
    </td>
  </tr>
</table>
<table width="99%" border="0" cellspacing="0" cellpadding="0" class="body">
  <tr><td background="/images/reel.gif" height="13">
  <tr><td align="center" class="smalltxt"><a href="/submit.html">Submit</a> | <a href="/disclaimer.html">Disclaimer</a>
  | <a href="/privacy">Privacy policy</a> | <a href="/contact.html">Contact us</a>
</table>
</body>
</html>
"""


def town_transcript(rng, title, topic, writer, quirk):
    """The text inside <pre>: cues in <b> at column 30, dialogue at 15 wrapped at 60 columns, headings in <b>."""
    ctx, esc = {"name": TOWN["main"] + TOWN["minor"], "place": TOWN["place"], "topic": [topic]}, html.escape
    action = lambda pool=DIRECTIONS: textwrap.wrap(esc(fill(rng, rng.choice(pool), ctx), False), 60,
                                                   initial_indent=" " * 5, subsequent_indent=" " * 5) + [""]
    out = [f"<b>{' ' * 30}SOUTH PARK\n</b>", f"{' ' * 24}\"{esc(title, False)}\"", f"{' ' * 24}Written by {writer}", ""]
    out += ["<b>EXT. DRIFT HOLLOW - ESTABLISHING\n</b>"] + action(TOWN["opening"])
    target, heading, who = rng.randint(1000, 4300), False, None
    while sum(map(len, out)) + len(out) < target:  # a new scene every ~8 speeches
        out += [f"<b>{rng.choice(TOWN['headings'])}\n</b>"] * heading + action() * (heading or rng.random() < 0.12)
        who, text, sctx = speak(rng, TOWN, ctx, who)
        paren = [f"{' ' * 22}{fill(rng, rng.choice(PARENS), sctx)}"] if rng.random() < 0.15 else []
        lines = paren + textwrap.wrap(esc(text, False), 45, initial_indent=" " * 15, subsequent_indent=" " * 15)
        out += [f"<b>{' ' * 30}{who.upper()}\n</b>" + lines[0]] + lines[1:] + [""]
        heading = rng.random() < 0.12
    body = "\n".join(out) + f"\n<b>{' ' * 30}THE END\n</b>\n"
    if quirk == "framebuster":  # seen inside the <pre> of some real scripts
        body = "<b><!--</b>if (window!= top) top.location.href=location.href<b>// --></b>\n" + body
    return "<pre>\n" + body + "</pre>\n" if quirk == "nested" else body


def write(path, text, encoding, newline="\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode(encoding))


def build_imsdb(root):
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
        who = f'<a href="/writer.php?w={writer}" title="Scripts written by {writer}">{writer}</a>'
        genres = " ".join(f'<a href="/genre/{g}" title="{g} Scripts">{g}</a>&nbsp;' for g in ("Comedy", "Animation"))
        write(root / detail.lstrip("/"), imsdb_page(f"""<table class="script-details" width="100%" border="0">
<tr><td colspan="2"><h1>{et} Script</h1>
<tr><td align="right" valign="top" width="15%"><img src="/posters/South-Park.jpg" border=0 width="101">
<td><b>IMSDb opinion</b><br>&nbsp;&nbsp;None available<br><br>
<b>IMSDb rating</b><br>&nbsp;&nbsp;Not available<br><br>
<b>Average user rating</b> (<a href="#comments">{rng.randint(50, 95) / 10} out of 10</a>)<br><br>
<b>Writers</b><br>&nbsp;&nbsp;{who}<br><br>
<b>Genres</b><br>&nbsp;&nbsp;{genres}<br><br>
<b>Episode Air Date</b> : {MONTHS[day.month - 1]} {day.day}, {day.year}<br><br>
<p align="center"><a href="{href}">Read "{et}" Script</a></p>
</table>""", f"{et} Script at IMSDb."), "latin-1", "\r\n")
        pre = town_transcript(rng, title, topic, writer, {3: "nested", 9: "framebuster"}.get(i))
        write(root / f"transcripts/South-Park-{slug}.html", imsdb_page(f"""<table width="100%"><tr><td class="scrtext">
<pre>{pre}</pre><br>
<table width="85%" border="0" align="center" cellpadding="5" cellspacing="0" class="body" style="BORDER: #000000 1px solid;">
  <tr><td align=center>
    <td><h1>{et}</h1><br><br>
    <b>Writers</b> : &nbsp;{who}&nbsp;<br>
    <b>Genres</b> : &nbsp;{genres}<br><br><br>
    <a href="{detail}#comments" title="{title} comments">User Comments</a>
</table>
<br><br>
<a href="https://imsdb.com" title="Internet Movie Script Database"><img src="/images/lilbutton.gif" border=1><br>
Back to IMSDb</a>
</td>
</table>"""), "latin-1", "\r\n")
        day += timedelta(weeks=1)
    main = '<table width="100%" border="0"><tr><td valign="top">\n' + "\n".join(listing) + "\n</td></tr></table>"
    write(root / "TV/South Park.html", imsdb_page(main, "South Park Transcripts at IMSDb."), "latin-1", "\r\n")


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
MARKUP = {"b": "<b>{}:</b> ", "b_out": "<b>{}</b>: ", "strong": "<strong>{}:</strong> ",
          "strong_out": "<strong>{}</strong>: ", "plain": "{}: ", "caps": "{}: "}
NAV = [("Friends", "Home News Cast Characters Episode-Guide Scripts Quotes Trivia Bloopers Music Timeline"),
       ("Pictures", "Cast-Photos Screencaps Wallpapers Avatars Promo-Shots Fan-Art"),
       ("Highlights", "Best-Moments Top-Ten Weddings Holidays Flashbacks Catchphrases Guest-Stars"),
       ("Misc", "Links Polls Guestbook Forum Quizzes Games Link-To-Us Awards Contact FAQ Site-Map"),
       ("Donate", "Donate Thanks")]


def site_template(title, content, charset="windows-1252"):
    """The Crazy For Friends layout: fixed-width tables, ~40 nav links under <b> headings, footer."""
    href = lambda w: "/cgi-bin/poll.cgi" if w == "Polls" else w.lower() + ".shtml"  # robots.txt disallows /cgi-bin/
    link = lambda w: f'<a href="{href(w)}">{w.replace("-", " ")}</a>'
    nav = "\n".join(f'<table width="150" border="0" cellpadding="2"><tr><td bgcolor="#333366"><b>{head}</b></td></tr>\n'
                     + "<tr><td>\n" + "".join(link(w) + "<br>\n" for w in words.split()) + "</td></tr></table>"
                     for head, words in NAV)
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n' if charset else ""
    return f"""<html>
<head>
<title>{title}</title>
{meta}<META NAME="ROBOTS" CONTENT="index,follow">
<style>body {{ font-family: Tahoma, Verdana; font-size: 12px; }}</style>
</head>
<body bgcolor="#000000" text="#FFFFFF" link="#FFCC00" vlink="#CC9900">
<table width="760" border="0" cellspacing="0" cellpadding="0" align="center"><tr><td>
<table width="760" border="0"><tr><td><img src="/friends/images/banner.jpg" alt="Crazy For Friends"></td></tr></table>
<table width="760" border="0"><tr><td align="center"><a href="index.shtml">Home</a> | <a href="scripts.shtml">Scripts</a></td></tr></table>
<table width="760" border="0"><tr><td width="150" valign="top">
{nav}
</td><td width="610" valign="top"><table width="100%"><tr><td>
{content}
</td></tr></table></td></tr></table>
<p align="center"><font size="1">Crazy For Friends is best viewed at 800x600 with Internet Explorer 5 or higher.
&copy; 2004 Crazy For Friends.</font></p>
</td></tr></table>
</body>
</html>
"""


def flat_script(rng, topic, target):
    """A list of (kind, speaker, text, blue) items (scene, speech, direction, marker) of about `target` characters."""
    ctx, items, scene = {"name": FLAT["main"], "place": FLAT["place"], "topic": [topic]}, [], 0
    while sum(len(x[2]) for x in items) < target:
        items.append(("scene", None, "[Scene: " + fill(rng, rng.choice(FLAT["scenes"]), ctx) + ".]", False))
        for _ in range(rng.randint(8, 15)):
            if rng.random() < 0.1:
                items.append(("direction", None, "(" + fill(rng, rng.choice(DIRECTIONS), ctx) + ")", False))
                continue
            who, text, sctx = speak(rng, FLAT, ctx, items[-1][1])
            if rng.random() < 0.05:  # several speakers at once
                pair = rng.sample(FLAT["main"], 2)
                who = rng.choice(["All", " and ".join(pair), "/".join(pair)])
            if rng.random() < 0.2:  # a stage direction inside the speech
                text = fill(rng, rng.choice(["(to {name}) ", "(sitting down) ", "(points at {name}) ", "(laughing) "]),
                            sctx) + text
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


def render_flat(number, items, style, raw, rng):
    para, caps = [], style == "caps"
    for kind, who, text, blue in items:
        cue = MARKUP[style].format(who.upper() if caps else who) if kind == "speech" else ""
        line = cue + cp1252_html(text, raw, rng)
        line = f'<font color="#0000FF">{line}</font>' if blue else line
        if caps and kind != "scene" and para:  # season 2: many speeches in one <p>, separated by <br><br>
            para[-1] = para[-1][:-4] + "<br><br>\n" + line + "</p>"
        else:
            para.append(f"<p>{line}</p>")
    para.append('<p align="center"><strong>THE END</strong></p>' if len(number) == 4 else "<p>End</p>")
    return "\n".join(para)


def build_livesinabox(root):
    write(root / "robots.txt", "User-agent: *\nDisallow: /cgi-bin/\n", "ascii")
    seasons = {}
    for number, href, title, topic, style in FLAT_PAGES:
        rng = random.Random(f"{SEED}-flat-{number}")
        raw = number == RAW_BYTES
        charset = "iso-8859-1" if raw else None if number in NO_CHARSET else "windows-1252"
        items = flat_script(rng, topic, 7500 if "-" in number else rng.randint(3200, 5200))
        word = {"105": "Epsiode", "203": "Episdoe"}.get(number, "Episode")  # typos, as on the real index
        entries = [(f"{word} {number}", title, href)]
        if number == "107-108":  # a double episode: two index entries, one page
            entries = [("Episode 107", title + " (Part 1)", href), ("Episode 108", title + " (Part 2)", href)]
        authors = " &amp; ".join(rng.sample(["Carla Vos", "Benji Tran", "Ruth Okafor", "Sam Delacroix"], 2))
        fan = rng.choice(["kettle_girl", "Moped Fan 99", "J. Fernsby"])
        credits = f"<p>Written by: {authors}<br>\nTranscribed by: {fan}</p>"
        versions = [(href, title, items, credits)]
        if number == "104":  # a second "uncut" page: the same script plus extra speeches in blue
            extra = flat_script(random.Random(f"{SEED}-flat-104uncut"), topic, 900)
            extra = [x[:3] + (True,) for x in extra if x[0] == "speech"]
            uncut = list(items)
            for j, x in enumerate(extra):
                uncut.insert(3 + j * 4, x)
            versions.append(("season1/104uncut.htm", title + " (The Uncut Version)", uncut,
                             credits[:-4] + "<br>\n(Note: The uncut parts are in blue)</p>"))
            entries.append(("Episode 104", title + " (The Uncut Version)", "season1/104uncut.htm"))
        seasons.setdefault(number.split("-")[0][:-2], []).extend(entries)
        for path, ptitle, its, cred in versions:
            content = f'<h1 align="center">{ptitle}</h1>\n{cred}\n<hr>\n{render_flat(number, its, style, raw, rng)}'
            if len(number) == 4:  # season 10 pages sit inside the full site template
                page = site_template(f"Crazy For Friends - {number} - {ptitle}", content, charset)
            else:
                meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n' if charset else ""
                page = f"<html>\n<head>\n{meta}<title>{ptitle}</title>\n</head>\n<body>\n{content}\n</body>\n</html>\n"
            write(root / "friends" / path, page, "cp1252")
    lists = "".join(f'<p><font size="4"><b>Season {s}</b></font></p>\n<ul>\n'
                    + "".join(f'<li><a href="{h}">{label}: {t}</a></li>\n' for label, t, h in entries) + "</ul>\n"
                    for s, entries in seasons.items())
    intro = "<h2>Scripts</h2>\n<p>Here are all the transcripts we have so far. The other seasons are coming soon!</p>\n"
    write(root / "friends/scripts.shtml", site_template("Crazy For Friends - Scripts", intro + lists), "cp1252")


if __name__ == "__main__":
    for name, build in (("imsdb", build_imsdb), ("livesinabox", build_livesinabox)):
        shutil.rmtree(HERE / name, ignore_errors=True)
        build(HERE / name)
    files = [p for name in ("imsdb", "livesinabox") for p in (HERE / name).rglob("*") if p.is_file()]
    print(f"{len(files)} files, {sum(p.stat().st_size for p in files)} bytes")
