"""The reply letter as HTML: the task page's live preview of the letter the process will generate.

    html = render_letter_html(letter)        # markupsafe.Markup, an <article class="letter-page">

The same `ReplyLetter.parts()` the Word layout is built from (letter.py), so the wording — title,
addressee, 公开属性, contact line, 抄送 — is never written twice; the body is split into paragraphs and
its "一、"/"（一）" headings found by the same `body_blocks`. The page is laid out in
static/css/letter_preview.css to look like the A4 page (letterhead, red rules, class mark in its corner,
the fonts of GB/T 9704 with fallbacks). In a draft, placeholders of missing values (【答复正文】,
〔2026〕×号) are marked so they stand out.
"""
import re

from markupsafe import Markup, escape

from . import gbt9704 as std
from .layout import body_blocks
from .letter import ReplyLetter

FONT_CLASSES = {std.HEITI: "lp-heiti", std.KAITI: "lp-kaiti"}
_CLASSES = {"letterhead": "lp-letterhead", "class_mark": "lp-class-mark", "doc_number": "lp-doc-number",
            "title": "lp-title", "addressee": "lp-addressee", "sign_unit": "lp-sign-unit",
            "sign_date": "lp-sign-date", "publication": "lp-publication", "note": "lp-note", "cc": "lp-cc"}


def render_letter_html(letter: ReplyLetter) -> Markup:
    """The letter as one HTML <article>, each element with `data-part` naming it (see `letter_parts`)."""
    marks = sorted(set(letter.missing.values()), key=len, reverse=True)
    text = lambda value: _marked(value, marks)  # noqa: E731
    out = [f'<article class="letter-page{" is-draft" if letter.draft else ""}" lang="zh-CN" '
           f'aria-label="{escape(letter.title)}">']
    for kind, value in letter.parts():
        if kind == "letterhead":
            out.append(f'<header class="lp-head"><p class="lp-letterhead" data-part="letterhead">{text(value)}</p>'
                       '<div class="lp-rule lp-rule-top" aria-hidden="true"></div></header>')
        elif kind == "class_mark":
            side = "left" if letter.class_mark_position == "top_left" else "right"
            out.append(f'<p class="lp-class-mark lp-{side}" data-part="class_mark" '
                       f'title="办理结果类别">{text(value)}</p>')
        elif kind == "title":
            lines = Markup("<br>").join(text(line) for line in value.split("\n"))
            out.append(f'<h2 class="lp-title" data-part="title">{lines}</h2>')
        elif kind == "body":
            out.append('<div class="lp-body" data-part="body">')
            for block in body_blocks(value):
                runs = "".join(f'<span class="{FONT_CLASSES[font]}">{text(run)}</span>' if font in FONT_CLASSES
                               else str(text(run)) for run, font in block)
                out.append(f"<p>{runs}</p>")
            out.append("</div>")
        elif kind == "cc":
            out.append(f'<footer class="lp-imprint"><p class="lp-cc" data-part="cc">{text(value)}</p></footer>')
        else:
            out.append(f'<p class="{_CLASSES[kind]}" data-part="{kind}">{text(value)}</p>')
    out.append('<div class="lp-rule lp-rule-bottom" aria-hidden="true"></div></article>')
    return Markup("".join(out))


def render_error_html(message: str) -> Markup:
    """What the preview box shows when the letter cannot be made: the reason, in words for the user."""
    return Markup('<div class="letter-preview-error" role="alert"><strong>无法预览答复函</strong>'
                  f'<p>{escape(message)}</p></div>')


def _marked(value: str, marks: list[str]) -> Markup:
    """`value` escaped, each placeholder text in `marks` wrapped in <mark class="lp-missing">."""
    if not marks or not value:
        return escape(value)
    pattern = re.compile("|".join(re.escape(m) for m in marks))
    pieces, at = [], 0
    for m in pattern.finditer(value):
        pieces.append(escape(value[at:m.start()]))
        pieces.append(Markup('<mark class="lp-missing" title="尚未填写">{}</mark>').format(m.group(0)))
        at = m.end()
    pieces.append(escape(value[at:]))
    return Markup("").join(pieces)
