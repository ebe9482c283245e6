#!/usr/bin/env python3
"""Writes the web pages of tests/pages/web/: 20 articles as five kinds of site publish them
(a news site, a WordPress blog, an NGO's guidance page in <div>s, a magazine with ads and a
paywall prompt, a small static site), each with the site's chrome around the article (header
menu, cookie banner, share bar, related articles, newsletter box, comments, footer), and beside
each page its article as `fieldpack extract` writes it in Markdown, in expected/NAME.txt.

The articles are the corpus's Brown news texts (their first paragraphs), with a heading, a
numbered list, a table and a figure with a caption added where the site would have them. Run
from the repository's root: `python3 tests/pages/web/generate.py`. The pages are committed; this
script says how they were made and makes them again the same (no randomness).
"""
import html
import os

ROOT = os.path.dirname(os.path.abspath(__file__))
BROWN = os.path.join(ROOT, '..', '..', '..', '..', 'shared', 'corpus', 'brown')

STEPS = ['Boil the water for at least one minute.', 'Let it cool in a covered container.',
         'Store it where children cannot reach it.']
TABLE = [('Age', 'Dose'), ('Under 2 years', '1/4 cup'), ('2 to 9 years', '1/2 cup'),
         ('10 years and over', 'As much as wanted')]


def paragraphs(name, n):
    text = open(os.path.join(BROWN, name), encoding='utf-8').read()
    ps = [' '.join(p.split()) for p in text.split('\n\n') if p.strip()]
    return ps[:n]


def e(s):
    return html.escape(s, quote=False)


def article(i, name):
    """The article: title, blocks in order as (kind, text or items)."""
    ps = paragraphs(name, 7)
    title = ps[0].split(',')[0].split('.')[0][:70].strip()
    blocks = [('p', ps[1]), ('p', ps[2]), ('h2', 'What happens next'), ('p', ps[3])]
    if i % 2 == 0:
        blocks.append(('ol', STEPS))
    blocks.append(('p', ps[4]))
    if i % 3 == 0:
        blocks.append(('table', TABLE))
    if i % 2 == 1:
        blocks.append(('figure', 'The council chamber, where the proposal will be heard.'))
    blocks += [('p', ps[5]), ('p', ps[6])]
    return title, blocks


def body_html(blocks):
    out = []
    for kind, v in blocks:
        if kind == 'p':
            out.append('<p>%s</p>' % e(v))
        elif kind == 'h2':
            out.append('<h2>%s</h2>' % e(v))
        elif kind == 'ol':
            out.append('<ol>%s</ol>' % ''.join('<li>%s</li>' % e(x) for x in v))
        elif kind == 'table':
            head, *rows = v
            out.append('<table><thead><tr>%s</tr></thead><tbody>%s</tbody></table>' % (
                ''.join('<th>%s</th>' % e(c) for c in head),
                ''.join('<tr>%s</tr>' % ''.join('<td>%s</td>' % e(c) for c in r) for r in rows)))
        elif kind == 'figure':
            out.append('<figure><img src="chamber.jpg" alt="" width="640" height="360">'
                       '<figcaption>%s</figcaption></figure>' % e(v))
    return '\n'.join(out)


def md(s, line_start=True):
    """`s` escaped as fieldpack's Markdown writer escapes it (host-tools/ingest/src/blocks.rs)."""
    out = ''
    if line_start and s[:1] in ('#', '>', '-', '+', '=', '|'):
        out = '\\'
    for c in s:
        if c in '\\`*_[]<>&|~!':
            out += '\\'
        out += c
    return out


def expected(title, blocks):
    """The article as `fieldpack extract` writes it, in Markdown: the title, then its blocks (a
    heading with ##, list items with their numbers, the table as a pipe table, the caption as
    <figcaption>), a line each."""
    lines = []
    for kind, v in blocks:
        if kind == 'p':
            lines.append(md(v))
        elif kind == 'h2':
            lines.append('## ' + md(v, False))
        elif kind == 'figure':
            lines.append('<figcaption>%s</figcaption>' % e(v))
        elif kind == 'ol':
            lines += ['%d. %s' % (n + 1, md(x, False)) for n, x in enumerate(v)]
        elif kind == 'table':
            head, *rows = v
            lines.append('|' + ''.join(' %s |' % md(c, False) for c in head))
            lines.append('|' + ' --- |' * len(head))
            lines += ['|' + ''.join(' %s |' % md(c, False) for c in r) for r in rows]
    return title, lines


RELATED = ['City budget talks stall again', 'School board names new superintendent',
           'Storm damage estimates rise', 'Harbor project wins federal grant']
COMMENTS = [('Jim P.', 'Finally someone is saying this. About time the council listened.'),
            ('Mary K.', 'I was at the meeting and it was not like this at all.'),
            ('R. Dobbs', 'Who pays for all of this? Not the people who voted for it.')]


def news(title, blocks, n):
    return f'''<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)} | The Daily Record</title>
<meta property="og:site_name" content="The Daily Record"><meta name="author" content="Staff Reporter">
<link rel="stylesheet" href="/s/site.css"></head>
<body>
<div class="cookie-banner" role="dialog"><p>We use cookies to improve your experience and to show you relevant advertising. By continuing to browse you agree to our use of cookies.</p><button>Accept all</button><button>Manage settings</button></div>
<header class="site-header"><a class="logo" href="/">The Daily Record</a>
<nav><ul><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li><li><a href="/business">Business</a></li><li><a href="/opinion">Opinion</a></li><li><a href="/weather">Weather</a></li></ul></nav>
<form class="search"><input name="q" placeholder="Search"></form></header>
<main><article>
<h1>{e(title)}</h1>
<p class="byline">By Staff Reporter · <time datetime="1961-05-0{n % 9 + 1}">May {n % 9 + 1}, 1961</time></p>
{body_html(blocks)}
</article>
<div class="share-bar"><span>Share this article</span> <a href="#">Facebook</a> <a href="#">Twitter</a> <a href="#">Email</a> <a href="#">Print</a></div>
<aside class="related"><h3>Related articles</h3><ul>{''.join('<li><a href="#">%s</a></li>' % e(r) for r in RELATED)}</ul></aside>
<div class="newsletter"><h3>Get the morning briefing</h3><p>The day's top stories in your inbox every morning.</p><form><input type="email" placeholder="Your email"><button>Sign up</button></form></div>
<section id="comments" class="comments"><h3>3 comments</h3>{''.join('<div class="comment"><p class="author">%s</p><p>%s</p></div>' % (e(a), e(c)) for a, c in COMMENTS)}</section>
</main>
<footer><p>© 1961 The Daily Record. All rights reserved.</p><ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li><li><a href="/privacy">Privacy policy</a></li></ul></footer>
</body></html>
'''


def blog(title, blocks, n):
    return f'''<!DOCTYPE html>
<html lang="en-US"><head><meta charset="UTF-8"><title>{e(title)} – Notes from the Field</title>
<meta property="og:title" content="{e(title)}"><meta property="og:site_name" content="Notes from the Field"></head>
<body class="post-template-default single single-post">
<div id="page" class="site">
<a class="skip-link screen-reader-text" href="#content">Skip to content</a>
<div class="site-header"><div class="site-branding"><p class="site-title"><a href="/">Notes from the Field</a></p><p class="site-description">A blog about civic life</p></div>
<div class="main-navigation"><ul class="menu"><li><a href="/">Home</a></li><li><a href="/about/">About</a></li><li><a href="/archive/">Archive</a></li><li><a href="/contact/">Contact</a></li></ul></div></div>
<div id="content" class="site-content"><div id="primary" class="content-area"><div id="main" class="site-main">
<div id="post-{n}" class="post type-post status-publish hentry">
<div class="entry-header"><h1 class="entry-title">{e(title)}</h1><div class="entry-meta">Posted on <a href="#">May {n % 9 + 1}, 1961</a> by <a href="#">editor</a></div></div>
<div class="entry-content">
{body_html(blocks)}
</div>
<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Share this:</h3><ul><li><a href="#">Twitter</a></li><li><a href="#">Facebook</a></li><li><a href="#">WhatsApp</a></li></ul></div>
<div class="entry-footer">Posted in <a href="#">Local</a>, <a href="#">Politics</a> | <a href="#">Leave a comment</a></div>
</div>
<div class="navigation post-navigation"><div class="nav-previous"><a href="#">Previous post: A walk along the harbor</a></div><div class="nav-next"><a href="#">Next post: What the budget means for you</a></div></div>
<div id="comments" class="comments-area"><h2 class="comments-title">2 thoughts on this post</h2><ol class="comment-list"><li class="comment"><div class="comment-author">Ann</div><div class="comment-content"><p>Thanks for writing this up, very useful.</p></div></li><li class="comment"><div class="comment-author">Tom</div><div class="comment-content"><p>I disagree with most of it, but well argued.</p></div></li></ol>
<div id="respond" class="comment-respond"><h3>Leave a Reply</h3><form><textarea></textarea><input type="submit" value="Post Comment"></form></div></div>
</div></div>
<div id="secondary" class="widget-area"><div class="widget"><h2 class="widget-title">Recent Posts</h2><ul>{''.join('<li><a href="#">%s</a></li>' % e(r) for r in RELATED)}</ul></div><div class="widget"><h2 class="widget-title">Archives</h2><ul><li><a href="#">May 1961</a></li><li><a href="#">April 1961</a></li></ul></div></div>
</div>
<div class="site-footer"><div class="site-info">Proudly powered by WordPress | Theme: Twenty Seventeen</div></div>
</div></body></html>
'''


def ngo(title, blocks, n):
    return f'''<html><head><title>{e(title)} - Relief Network</title></head>
<body>
<div class="top-bar"><div class="container"><a href="/donate" class="btn">Donate now</a> <a href="/login">Staff login</a> <a href="/fr">Français</a></div></div>
<div class="menu"><div class="container"><a href="/">Home</a> | <a href="/where-we-work">Where we work</a> | <a href="/what-we-do">What we do</a> | <a href="/resources">Resources</a> | <a href="/news">News</a></div></div>
<div class="breadcrumbs"><a href="/">Home</a> &gt; <a href="/resources">Resources</a> &gt; Guidance</div>
<div class="container"><div class="row">
<div class="col-md-8 content-area">
<h1>{e(title)}</h1>
<div class="meta">Guidance note · Updated May 1961</div>
<div class="text">
{body_html(blocks)}
</div>
<div class="tags">Tags: <a href="#">water</a> <a href="#">health</a> <a href="#">local government</a></div>
</div>
<div class="col-md-4 sidebar"><div class="box"><h3>In this section</h3><ul><li><a href="#">Water and sanitation</a></li><li><a href="#">Emergency health</a></li><li><a href="#">Shelter</a></li></ul></div>
<div class="box donate-box"><h3>Help us reach more families</h3><p>A gift of $25 provides clean water for a family for a month.</p><a href="/donate" class="btn">Give today</a></div></div>
</div></div>
<div class="newsletter-signup"><div class="container"><h3>Stay informed</h3><p>Subscribe to our monthly update from the field.</p><input type="email"><button>Subscribe</button></div></div>
<div class="footer"><div class="container"><p>Relief Network is a registered charity. Registered office: 1 Main Street.</p><p><a href="/privacy">Privacy</a> · <a href="/cookies">Cookies</a> · <a href="/accessibility">Accessibility</a></p></div></div>
</body></html>
'''


def magazine(title, blocks, n):
    return f'''<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<meta property="og:title" content="{e(title)}"><meta property="og:site_name" content="Weekly Review"><meta property="article:published_time" content="1961-05-1{n % 9}"></head>
<body>
<div id="ad-top" class="ad-slot ad-leaderboard"><span>Advertisement</span></div>
<div class="masthead"><a href="/">Weekly Review</a><div class="sections"><a href="/politics">Politics</a> <a href="/culture">Culture</a> <a href="/science">Science</a> <a href="/books">Books</a></div><a class="subscribe-btn" href="/subscribe">Subscribe</a></div>
<div class="paywall-banner">You have 2 free articles left this month. <a href="/subscribe">Subscribe for full access</a>.</div>
<div class="story-wrapper">
<div class="story-header"><span class="kicker">Politics</span><h1 class="headline">{e(title)}</h1><div class="dek-byline">By a correspondent</div></div>
<div class="story-body">
{body_html(blocks)}
</div>
<div class="promo inline-promo"><a href="/subscribe">Enjoying this story? Get a year of Weekly Review for $1 a week.</a></div>
<div class="most-read"><h4>Most read</h4><ol>{''.join('<li><a href="#">%s</a></li>' % e(r) for r in RELATED)}</ol></div>
<div class="social-share"><a href="#">Share on Facebook</a> <a href="#">Share on Twitter</a> <a href="#">Copy link</a></div>
</div>
<div id="ad-bottom" class="ad-slot"><span>Advertisement</span></div>
<div class="site-footer">Weekly Review · <a href="/terms">Terms</a> · <a href="/privacy">Privacy</a> · <a href="/careers">Careers</a></div>
</body></html>
'''


def static(title, blocks, n):
    return f'''<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title></head>
<body>
<header><p><a href="/">County Bulletin</a></p><nav><a href="/">Home</a> <a href="/notices/">Notices</a> <a href="/meetings/">Meetings</a></nav></header>
<main>
<h1>{e(title)}</h1>
{body_html(blocks)}
<p class="back"><a href="/notices/">Back to all notices</a></p>
</main>
<footer><p>County Bulletin, published by the county clerk. Last updated May 1961.</p></footer>
</body></html>
'''


SITES = [('news', news), ('blog', blog), ('ngo', ngo), ('magazine', magazine), ('static', static)]


def main():
    texts = sorted(n for n in os.listdir(BROWN) if n.endswith('.txt'))
    out_exp = os.path.join(ROOT, 'expected')
    os.makedirs(out_exp, exist_ok=True)
    i = 0
    for site, make in SITES:
        for k in range(4):
            title, blocks = article(i, texts[i])
            name = '%s-%d' % (site, k + 1)
            with open(os.path.join(ROOT, name + '.html'), 'w', encoding='utf-8') as f:
                f.write(make(title, blocks, i))
            t, lines = expected(title, blocks)
            with open(os.path.join(out_exp, name + '.txt'), 'w', encoding='utf-8') as f:
                f.write(t + '\n\n' + '\n'.join(lines) + '\n')
            i += 1


if __name__ == '__main__':
    main()
