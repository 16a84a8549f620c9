"""HTML page skeletons for the offline site (imported by write_site.py); they return text, never write files.

IMSDb shape:        imsdb_page (header, sidebar of td.heading boxes, footer) and the three pages built
                    on it: imsdb_show_page, imsdb_detail_page, imsdb_transcript_page.
livesinabox shape:  livesinabox_site_page (the Crazy For Friends layout with its nav tables),
                    livesinabox_plain_page (the bare pages of seasons 1-2) and livesinabox_index_page.
"""
import html

# ------------------------------------------------------------------ IMSDb-shaped site
MONTHS = "January February March April May June July August September October November December".split()
TV_SHOWS = [("Futurama", "Futurama"), ("Seinfeld", "Seinfeld"), ("South Park", "South Park"),
            ("Stargate SG1", "Stargate SG-1"), ("Lost", "Lost"), ("The 4400", "The 4400")]
GENRES = ("Action Adventure Animation Comedy Crime Drama Family Fantasy Film-Noir Horror Musical Mystery Romance Sci-Fi"
          " Short Thriller War Western").split()
EPISODE_GENRE_LINKS = " ".join(f'<a href="/genre/{g}" title="{g} Scripts">{g}</a>&nbsp;'
                               for g in ("Comedy", "Animation"))  # on every episode's detail and transcript page


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


def imsdb_show_page(listing):
    """The show page: `listing` (series headings and one <p> per episode) inside the IMSDb template."""
    main = '<table width="100%" border="0"><tr><td valign="top">\n' + listing + "\n</td></tr></table>"
    return imsdb_page(main, "South Park Transcripts at IMSDb.")


def writer_link(writer):
    """The writer's name, linked to the site's list of their scripts."""
    return f'<a href="/writer.php?w={writer}" title="Scripts written by {writer}">{writer}</a>'


def imsdb_detail_page(title, rating, writer, air_date, transcript_href):
    """An episode's detail page: table.script-details with the "Read ... Script" link to the transcript."""
    et = html.escape(title, quote=False)
    return imsdb_page(f"""<table class="script-details" width="100%" border="0">
<tr><td colspan="2"><h1>{et} Script</h1>
<tr><td align="right" valign="top" width="15%"><img src="/posters/South-Park.jpg" border=0 width="101">
<td><b>IMSDb opinion</b><br>&nbsp;&nbsp;None available<br><br>
<b>IMSDb rating</b><br>&nbsp;&nbsp;Not available<br><br>
<b>Average user rating</b> (<a href="#comments">{rating} out of 10</a>)<br><br>
<b>Writers</b><br>&nbsp;&nbsp;{writer_link(writer)}<br><br>
<b>Genres</b><br>&nbsp;&nbsp;{EPISODE_GENRE_LINKS}<br><br>
<b>Episode Air Date</b> : {MONTHS[air_date.month - 1]} {air_date.day}, {air_date.year}<br><br>
<p align="center"><a href="{transcript_href}">Read "{et}" Script</a></p>
</table>""", f"{et} Script at IMSDb.")


def imsdb_transcript_page(title, writer, pre, detail_href):
    """An episode's transcript page: `pre` in td.scrtext, then a details table and "Back to IMSDb"."""
    et = html.escape(title, quote=False)
    return imsdb_page(f"""<table width="100%"><tr><td class="scrtext">
<pre>{pre}</pre><br>
<table width="85%" border="0" align="center" cellpadding="5" cellspacing="0" class="body" style="BORDER: #000000 1px solid;">
  <tr><td align=center>
    <td><h1>{et}</h1><br><br>
    <b>Writers</b> : &nbsp;{writer_link(writer)}&nbsp;<br>
    <b>Genres</b> : &nbsp;{EPISODE_GENRE_LINKS}<br><br><br>
    <a href="{detail_href}#comments" title="{title} comments">User Comments</a>
</table>
<br><br>
<a href="https://imsdb.com" title="Internet Movie Script Database"><img src="/images/lilbutton.gif" border=1><br>
Back to IMSDb</a>
</td>
</table>""")


# ------------------------------------------------------------------ livesinabox-shaped site
NAV = [("Friends", "Home News Cast Characters Episode-Guide Scripts Quotes Trivia Bloopers Music Timeline"),
       ("Pictures", "Cast-Photos Screencaps Wallpapers Avatars Promo-Shots Fan-Art"),
       ("Highlights", "Best-Moments Top-Ten Weddings Holidays Flashbacks Catchphrases Guest-Stars"),
       ("Misc", "Links Polls Guestbook Forum Quizzes Games Link-To-Us Awards Contact FAQ Site-Map"),
       ("Donate", "Donate Thanks")]


def charset_meta(charset):
    """The Content-Type <meta> line, or nothing for the pages that declare no charset."""
    return f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n' if charset else ""


# How the real season 10 episode pages end (docs/sites.md §3.2): after the footer, an image map
# and the closing table tags, with no </body> and no </html>.
SEASON10_END = """<table width="760" border="0" cellspacing="0" cellpadding="0" align="center"><tr><td>
<img src="/friends/images/bottom8.jpg" width="760" height="40" border="0" usemap="#bottom8">
<map name="bottom8">
<area shape="rect" coords="0,0,380,40" href="index.shtml">
<area shape="rect" coords="380,0,760,40" href="scripts.shtml">
</map>
</td></tr></table>
"""


def livesinabox_site_page(title, content, charset="windows-1252", closed=True):
    """The Crazy For Friends layout: fixed-width tables, ~40 nav links under <b> headings, footer;
    then `</body></html>`, or (`closed` false, as the real season 10 episode pages) an image map
    and the closing table tags only."""
    href = lambda w: "/cgi-bin/poll.cgi" if w == "Polls" else w.lower() + ".shtml"  # robots.txt disallows /cgi-bin/
    link = lambda w: f'<a href="{href(w)}">{w.replace("-", " ")}</a>'
    nav = "\n".join(f'<table width="150" border="0" cellpadding="2"><tr><td bgcolor="#333366"><b>{head}</b></td></tr>\n'
                     + "<tr><td>\n" + "".join(link(w) + "<br>\n" for w in words.split()) + "</td></tr></table>"
                     for head, words in NAV)
    return f"""<html>
<head>
<title>{title}</title>
{charset_meta(charset)}<META NAME="ROBOTS" CONTENT="index,follow">
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
""" + ("</body>\n</html>\n" if closed else SEASON10_END)


def livesinabox_plain_page(title, content, charset):
    """The bare page of a season 1-2 episode: no site layout at all."""
    head = f"<head>\n{charset_meta(charset)}<title>{title}</title>\n</head>"
    return f"<html>\n{head}\n<body>\n{content}\n</body>\n</html>\n"


def livesinabox_index_page(seasons):
    """friends/scripts.shtml: one <ul> per season of (label, title, href) entries, in the site layout."""
    lists = "".join(f'<p><font size="4"><b>Season {s}</b></font></p>\n<ul>\n'
                    + "".join(f'<li><a href="{h}">{label}: {t}</a></li>\n' for label, t, h in entries) + "</ul>\n"
                    for s, entries in seasons.items())
    intro = "<h2>Scripts</h2>\n<p>Here are all the transcripts we have so far. The other seasons are coming soon!</p>\n"
    return livesinabox_site_page("Crazy For Friends - Scripts", intro + lists)
