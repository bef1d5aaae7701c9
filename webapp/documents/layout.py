"""Building blocks of the GB/T 9704 layout in python-docx, shared by every document kind.

The figures come from gbt9704.py; each document kind describes its elements (font, size, alignment,
indents) as `Element`s and builds its paragraphs with these helpers: the page with its 22 × 28 grid,
paragraphs set to exactly the grid's line pitch, runs that name their East Asian and western fonts
explicitly, paragraph borders for rules, tables, page numbers "— 2 —", and body text whose "一、" and
"（一）" headings get 黑体 and 楷体. Word rejects properties out of schema order, so every property
element is placed with `set_child`.
"""
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timezone

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Twips
from lxml import etree

from . import gbt9704 as std

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# Structure levels of the body (GB/T 9704 §7.3.3): "一、" 黑体, "（一）" 楷体; "1." and "(1)" stay 仿宋.
_NUMERALS = "一二三四五六七八九十百零〇"
HEADING_FONTS = ((re.compile(rf"^[{_NUMERALS}]+、"), std.HEITI),
                 (re.compile(rf"^[（(][{_NUMERALS}]+[）)]"), std.KAITI))
CHINESE_NUMERALS = "一二三四五六七八九十"


# --- small formatting rules --------------------------------------------------------------------------

def format_chinese_date(day: date) -> str:
    """成文日期 in Arabic numerals without leading zeros: 2026年7月1日."""
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_numeral(n: int) -> str:
    """1 → 一 … 10 → 十, 11 → 十一 … 99 → 九十九: the numbering of headings "一、"."""
    if not 1 <= n <= 99:
        raise ValueError(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CHINESE_NUMERALS[tens - 1] + "十")
    return head + (CHINESE_NUMERALS[ones - 1] if ones else "")


def text_width(text: str) -> float:
    """Width in full-width characters: Chinese characters and punctuation 1, Latin letters and digits ½."""
    return sum(1 if unicodedata.east_asian_width(c) in "WFA" else 0.5 for c in text)


def body_blocks(text: str) -> list[list[tuple[str, str | None]]]:
    """The body's paragraphs (one per non-empty line), each a list of (text, East Asian font or None).

    A line starting with "一、" or "（一）" is a heading: the whole line in its font, or only the heading
    sentence (up to the first "。") when more text follows on the same line.
    """
    blocks = []
    for line in (text or "").splitlines():
        line = line.strip()  # indentation is the layout's business (str.strip takes the full-width space too)
        if not line:
            continue
        font = next((f for pattern, f in HEADING_FONTS if pattern.match(line)), None)
        head, stop, rest = line.partition("。")
        if font and stop and rest.strip():
            blocks.append([(head + stop, font), (rest, None)])
        else:
            blocks.append([(line, font)])
    return blocks


# --- elements ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Element:
    font: str  # East Asian font (w:eastAsia); w:ascii/w:hAnsi get gbt9704.WESTERN
    size: float  # points
    align: str = "left"  # left | center | right | both
    first_line_chars: float = 0  # indents in characters (w:firstLineChars …), twips derived from the size
    right_chars: float = 0
    left_chars: float = 0
    hanging_chars: float = 0
    grid: bool = True  # snap to the character grid; off where characters keep their own width (other
    #                    sizes would take two cells each, framed and table text is laid out on its own)
    exact_line: bool = True  # line height exactly the grid's pitch
    color: str | None = None
    western: str = std.WESTERN


SINGLE_LINE = 1.3  # a single line's height in Chinese fonts, as a multiple of the font size (about)
RULE_LINE_TWIPS = 20  # the 1 pt line of a paragraph that only carries a border


# --- the document --------------------------------------------------------------------------------------

def setup_page(doc, section, page_number: Element) -> None:
    """A4, the standard's margins, the 22 × 28 line grid; footers placed so that a page number in
    `page_number`'s size sits 7 mm under the type area; odd and even pages' footers apart."""
    section.page_width, section.page_height = std.PAGE_WIDTH, std.PAGE_HEIGHT
    section.top_margin, section.bottom_margin = Mm(std.MARGIN_TOP_MM), Mm(std.MARGIN_BOTTOM_MM)
    section.left_margin, section.right_margin = Mm(std.MARGIN_LEFT_MM), Mm(std.MARGIN_RIGHT_MM)
    section.gutter = Twips(0)
    # The footer's (page number's) line ends at the footer distance: its top 7 mm under the type area.
    line_mm = page_number.size * SINGLE_LINE * std.MM_PER_INCH / 72
    section.footer_distance = Mm(std.MARGIN_BOTTOM_MM - std.PAGE_NUMBER_BELOW_TYPE_AREA_MM - line_mm)
    doc.settings.odd_and_even_pages_header_footer = True  # page numbers right on odd, left on even pages
    sectPr = section._sectPr
    grid = sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sectPr.append(grid)
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(std.LINE_PITCH_TWIPS))
    grid.set(qn("w:charSpace"), str(std.CHAR_SPACE))


def setup_styles(doc, body: Element) -> None:
    """Document defaults: the body's font and size, Chinese, no spacing; the grid's char pitch refers
    to this size."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rPr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    run_properties(rPr, body)
    lang = rPr.find(qn("w:lang"))
    if lang is not None:
        lang.set(qn("w:val"), "en-US")
        lang.set(qn("w:eastAsia"), "zh-CN")
    pPr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    set_child(pPr, "spacing", before=0, after=0, line=240, lineRule="auto")


def clear_body(doc) -> None:
    """Remove the empty paragraph(s) a new python-docx document starts with."""
    body = doc.element.body
    for p in list(body.iterchildren(qn("w:p"))):
        body.remove(p)


def set_properties(doc, title: str, author: str) -> None:
    props = doc.core_properties
    now = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    props.title, props.author, props.last_modified_by = title, author, author
    props.created = props.modified = now
    props.revision, props.language = 1, "zh-CN"
    props.comments = props.keywords = props.subject = props.category = ""


def to_bytes(doc) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def first_paragraph(header_footer):
    """The header's or footer's first paragraph, emptied (and unlinked from the previous section)."""
    header_footer.is_linked_to_previous = False
    p = header_footer.paragraphs[0]._p
    for child in list(p):
        p.remove(child)
    return p


# --- paragraphs and runs ---------------------------------------------------------------------------------

def format_paragraph(p, e: Element, size: float | None = None) -> None:
    """Paragraph properties of element `e` on the w:p `p` (a frame it has stays)."""
    pPr = p.get_or_add_pPr()
    for child in list(pPr):
        if child.tag != qn("w:framePr"):
            pPr.remove(child)
    if not e.grid:
        set_child(pPr, "snapToGrid", val="0")
    if e.exact_line:
        set_child(pPr, "spacing", before=0, after=0, line=std.LINE_PITCH_TWIPS, lineRule="exact")
    else:
        set_child(pPr, "spacing", before=0, after=0, line=240, lineRule="auto")
    set_indent_chars(p, e)
    set_child(pPr, "jc", val=e.align)
    rPr = set_child(pPr, "rPr")  # the paragraph mark: same font, so an empty line is as high as a full one
    run_properties(rPr, e, size=size)


def set_indent_chars(p, e: Element, right_chars: float | None = None) -> None:
    right_chars = e.right_chars if right_chars is None else right_chars
    char = e.size * std.TWIPS_PER_PT  # twips of one character, for programs that ignore …Chars
    attrs = {}
    if e.first_line_chars:
        attrs.update(firstLine=round(e.first_line_chars * char), firstLineChars=round(e.first_line_chars * 100))
    if e.hanging_chars:
        attrs.update(hanging=round(e.hanging_chars * char), hangingChars=round(e.hanging_chars * 100))
    if e.left_chars:
        attrs.update(left=round(e.left_chars * char), leftChars=round(e.left_chars * 100))
    if right_chars:
        attrs.update(right=round(right_chars * char), rightChars=round(right_chars * 100))
    pPr = p.get_or_add_pPr()
    if attrs:
        set_child(pPr, "ind", **attrs)
    elif pPr.find(qn("w:ind")) is not None:
        pPr.remove(pPr.find(qn("w:ind")))


def set_indent(p, left: int, right: int) -> None:
    set_child(p.get_or_add_pPr(), "ind", left=left, right=right)


def add_run(p, text: str, e: Element, font: str | None = None, size: float | None = None):
    r = p.add_r()
    run_properties(r.get_or_add_rPr(), e, font=font, size=size)
    r.text = text  # "\n" becomes a line break
    return r


def add_paragraph(container, e: Element, text: str = ""):
    """A new paragraph of element `e` at the end of `container` (the document or a table cell)."""
    p = container.add_paragraph()
    format_paragraph(p._p, e)
    if text:
        add_run(p._p, text, e)
    return p


def add_body(container, e: Element, text: str) -> None:
    """One paragraph of element `e` per line of `text`, headings "一、" in 黑体 and "（一）" in 楷体."""
    for block in body_blocks(text):
        p = add_paragraph(container, e)
        for part, font in block:
            add_run(p._p, part, e, font=font)


def run_properties(rPr, e: Element, font: str | None = None, size: float | None = None) -> None:
    set_fonts(rPr, font or e.font, e.western)
    if e.color:
        set_child(rPr, "color", order=RPR_ORDER, val=e.color)
    half_points = round((size or e.size) * 2)
    set_child(rPr, "sz", order=RPR_ORDER, val=half_points)
    set_child(rPr, "szCs", order=RPR_ORDER, val=half_points)


def set_fonts(rPr, east_asia: str, western: str | None = None) -> None:
    """w:rFonts with explicit names (theme fonts would win over them, so those attributes go)."""
    fonts = rPr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = set_child(rPr, "rFonts", order=RPR_ORDER)
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    if western:
        for attr in ("ascii", "hAnsi", "cs"):
            fonts.set(qn(f"w:{attr}"), western)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")  # “” and — in the Chinese font, as full-width characters


def rule_paragraph(p) -> None:
    """An empty paragraph 1 pt high that only carries a border."""
    pPr = p.get_or_add_pPr()
    set_child(pPr, "snapToGrid", val="0")
    set_child(pPr, "spacing", before=0, after=0, line=RULE_LINE_TWIPS, lineRule="exact")
    rPr = set_child(pPr, "rPr")
    set_child(rPr, "sz", order=RPR_ORDER, val=2)


def border(p, side: str, style: str, width_pt: float, color: str, space_pt: int = 0) -> None:
    pPr = p.get_or_add_pPr()
    borders = pPr.find(qn("w:pBdr"))
    if borders is None:
        borders = set_child(pPr, "pBdr")
    edge = OxmlElement(f"w:{side}")
    for name, value in (("val", style), ("sz", round(width_pt * 8)), ("space", space_pt), ("color", color)):
        edge.set(qn(f"w:{name}"), str(value))
    borders.append(edge)  # top, left, bottom, right, between: only top and bottom are used, in that order


def page_number(p, e: Element, align: str) -> None:
    """— 2 — in element `e` (4号 宋体), one character in from the type area's edge."""
    format_paragraph(p, e)
    char = e.size * std.TWIPS_PER_PT
    side = {"right": dict(right=char, rightChars=100), "left": dict(left=char, leftChars=100)}[align]
    set_child(p.get_or_add_pPr(), "ind", **side)
    set_child(p.get_or_add_pPr(), "jc", val=align)
    add_run(p, "— ", e)
    for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None), ("text", "2"), ("end", None)):
        r = add_run(p, "", e)
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            r.append(instr)
        elif kind == "text":
            r.text = text
        else:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            r.append(fld)
    add_run(p, " —", e)


def page_numbers(section, e: Element) -> None:
    """Page numbers in the odd (right) and even (left) pages' footers of `section`."""
    for footer, align in ((section.footer, "right"), (section.even_page_footer, "left")):
        page_number(first_paragraph(footer), e, align)


# --- tables --------------------------------------------------------------------------------------------

TABLE_RULE_PT = 0.5


def add_table(doc, header: list[str], rows: list[list[str]], e: Element, widths_chars: list[float] | None = None,
              header_font: str | None = None):
    """A table as wide as the type area with thin rules around every cell, the header row in
    `header_font` and repeated on each page; cells hold text in element `e` (numbers right-aligned)."""
    width = std.TYPE_AREA_WIDTH_TWIPS
    columns = len(header)
    weights = widths_chars or [1.0] * columns
    col_widths = [round(width * w / sum(weights)) for w in weights]
    col_widths[-1] = width - sum(col_widths[:-1])
    table = doc.add_table(rows=1 + len(rows), cols=columns)
    tblPr = table._tbl.tblPr
    for child in list(tblPr):
        tblPr.remove(child)
    set_child(tblPr, "tblW", order=TBLPR_ORDER, w=width, type="dxa")
    set_child(tblPr, "jc", order=TBLPR_ORDER, val="center")
    borders = set_child(tblPr, "tblBorders", order=TBLPR_ORDER)
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        edge = OxmlElement(f"w:{side}")
        for name, value in (("val", "single"), ("sz", round(TABLE_RULE_PT * 8)), ("space", 0), ("color", "000000")):
            edge.set(qn(f"w:{name}"), str(value))
        borders.append(edge)
    set_child(tblPr, "tblLayout", order=TBLPR_ORDER, type="fixed")
    for col, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), col_widths):
        col.set(qn("w:w"), str(w))
    header_row = table.rows[0]
    trPr = header_row._tr.get_or_add_trPr()
    trPr.append(OxmlElement("w:tblHeader"))  # repeated at the top of each page
    for r, values in enumerate([header] + rows):
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            cell.width = Twips(col_widths[c])
            p = cell.paragraphs[0]._p
            format_paragraph(p, e)
            text = "" if value is None else str(value)
            numeric = r > 0 and c > 0 and _looks_numeric(text)
            set_child(p.get_or_add_pPr(), "jc", val="center" if r == 0 else ("right" if numeric else e.align))
            if text:
                add_run(p, text, e, font=header_font if r == 0 else None)
    return table


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[-+]?\d[\d,]*(\.\d+)?%?|—", text))


# --- ordered children (Word rejects a document whose properties are out of schema order) -----------

PPR_ORDER = ("pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr "
             "shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN "
             "bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc "
             "textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr "
             "pPrChange").split()
TBLPR_ORDER = ("tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc "
               "tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook").split()
RPR_ORDER = ("rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof "
             "snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd "
             "fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath").split()


def set_child(parent, tag: str, order=PPR_ORDER, **attrs):
    """Replace (or add) the child w:`tag` of `parent`, in schema order, with attributes `attrs`."""
    old = parent.find(qn(f"w:{tag}"))
    if old is not None:
        parent.remove(old)
    el = OxmlElement(f"w:{tag}")
    for name, value in attrs.items():
        el.set(qn(f"w:{name}"), str(value))
    rank = order.index(tag)
    for child in parent:
        name = etree.QName(child).localname
        if name in order and order.index(name) > rank:
            child.addprevious(el)
            return el
    parent.append(el)
    return el
