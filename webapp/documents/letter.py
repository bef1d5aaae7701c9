"""The reply letter 答复函 (and a co-unit's 协办意见) as a Word document in the GB/T 9704-2012 letter
format 信函格式.

    letter = ReplyLetter(unit_name="示范市交通运输局", doc_number=format_doc_number("交函", 2026, 12), …)
    data = render_reply_letter(letter)                       # the built-in layout
    data = render_reply_letter(letter, "letter.docx")        # an administrator's template

Two ways to lay the letter out
------------------------------

1. The built-in layout (`template_path=None`) is built by code from the figures in gbt9704.py; every
   font, size, indent and spacing of each element is set in the `ELEMENTS` table below, the one place
   to change them. How it is built:

   - page A4, margins 37/35/28/26 mm, the section's `w:docGrid type="linesAndChars"` gives 22 lines of
     28 characters; every text line is set to exactly the grid's line pitch, so the 22 lines hold even
     where a font is substituted (方正小标宋简体 and the _GB2312 fonts are often missing);
   - the letterhead (unit name, red 方正小标宋简体, as large as fits up to 小初) is the first page's
     header, whose distance from the top edge is the standard's 30 mm. The red double rule under it is
     the header paragraph's bottom border (上粗下细, `thickThinSmallGap`), 4 mm below the text
     (`w:space`); the paragraph's indents are -7 mm on both sides, so the border is 170 mm long,
     centred on the type area (the type area itself sits 1 mm right of the page's centre);
   - the second red double rule (上细下粗) is the bottom border of an empty 1 pt paragraph in a frame
     (`w:framePr`) placed on the first page itself: 170 mm wide, centred on the page, the border's lower
     edge 20 mm above the bottom edge. Both rules are paragraph borders, not drawn shapes;
   - the result-class mark (A/B/C…) is a framed paragraph (`w:framePr`) at 20 mm from the top edge,
     aligned to the type area's right (default, national rule) or left edge;
   - 抄送 with the 版记 rules (thick rules above and below, as wide as the type area) is a one-cell
     table with top and bottom borders, floating (`w:tblpPr tblpYSpec="bottom"`) to the bottom of the
     type area on the page where the letter ends. GB/T 9704 §10.1 leaves the rules out in the letter
     format; we keep them because the offices asked for them (`gbt9704.IMPRINT_THICK_PT`);
   - pages after the first carry page numbers "— 2 —" in 4号 宋体 (odd pages right, even pages left,
     one character in); the first page has none, as the letter format requires.

   Checked by rendering with LibreOffice 7.4, not with Word. Two things LibreOffice shows differently
   from what the XML asks for Word: it gives each 3号 character two cells of the 28-character grid (its
   cell, 15.79 pt, is narrower than the 16 pt character; Word fits 28 characters a line, which is what
   the grid is for), and it leaves the floating 抄送 table where it is anchored, after the 附注, instead
   of at the bottom of the page.

2. A template (`template_path`, from `Settings.letter_template_path`, environment variable
   `LETTER_TEMPLATE_PATH`) is any .docx an administrator edits in Word or WPS; `flask --app webapp
   letter template OUT.docx` writes the built-in layout with placeholders as a starting point. Text
   `{{name}}` in any paragraph — body, tables, headers, footers, frames and text boxes — is replaced
   by the letter's value and keeps the formatting of the run the placeholder starts in:

       {{unit_name}}      承办单位名称（红头）          {{sign_unit}}      落款单位
       {{doc_number}}     发文字号 交函〔2026〕12号     {{sign_date}}      成文日期 2026年7月1日
       {{class_mark}}     办理结果类别 A               {{publication}}    公开属性 主动公开
       {{title}}          标题                         {{contact}}        （联系人：张三，联系电话：…）
       {{addressee}}      主送 张三代表：               {{contact_person}} 联系人
       {{proposer_name}}  代表/委员姓名                {{contact_phone}}  联系电话
       {{body}}           正文                         {{cc}}             抄送单位，以“，”分隔，不含句号

   Rules: a paragraph whose text is `{{body}}` alone becomes one paragraph per line of the body, each
   with that paragraph's formatting; headings that start with "一、" get 黑体 and "（一）" 楷体_GB2312
   (the heading sentence only, when text follows it on the line). A paragraph in which every
   placeholder is empty is dropped (no "抄送：。" when nothing is copied). The paragraph holding
   `{{class_mark}}` is aligned (and its frame, if it has one) to the configured corner. An unknown
   name is an error that names it, so a typo cannot reach a letter.
"""
import copy
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, Twips

from . import gbt9704 as std
from . import layout
from .layout import DOCX_CONTENT_TYPE, Element, body_blocks, format_chinese_date, text_width  # noqa: F401 (re-exported)

SUGGESTION, PROPOSAL = "suggestion", "proposal"
ITEM_NOUNS = {SUGGESTION: "建议", PROPOSAL: "提案"}
ADDRESS_TITLES = {SUGGESTION: "代表", PROPOSAL: "委员"}
PUBLICATIONS = ("主动公开", "依申请公开", "不予公开")

PLACEHOLDERS = ("unit_name", "doc_number", "class_mark", "title", "addressee", "proposer_name", "body",
                "sign_unit", "sign_date", "publication", "contact", "contact_person", "contact_phone", "cc")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class LetterError(ValueError):
    """Data or a template the letter cannot be made from; the message is for the user."""


# --- small formatting rules --------------------------------------------------------------------------

def format_doc_number(prefix: str, year: int | str, number: int | str) -> str:
    """发文字号: 机关代字 + 〔年份〕 + 顺序号 + 号, e.g. 交函〔2026〕12号 (no 第, no leading zeros)."""
    prefix = (prefix or "").strip()
    if not prefix:
        raise LetterError("发文字号缺少机关代字（如“交函”）")
    try:
        year, number = int(str(year).strip()), int(str(number).strip())
    except ValueError:
        raise LetterError(f"发文字号的年份和顺序号应为数字：{year!r}、{number!r}") from None
    if not 1000 <= year <= 9999:
        raise LetterError(f"发文字号的年份应为四位数：{year}")
    if number < 1:
        raise LetterError(f"发文字号的顺序号应为正整数：{number}")
    return f"{prefix}〔{year}〕{number}号"


# --- the letter's data -------------------------------------------------------------------------------

@dataclass(kw_only=True)
class ReplyLetter:
    unit_name: str  # 承办单位, the letterhead
    doc_number: str  # 发文字号, see format_doc_number
    item_type: str  # "suggestion" (人大代表建议) or "proposal" (政协提案)
    session_label: str  # 届次: "十七届人大五次" / "政协十一届四次"
    item_no: int  # 第123号
    proposer_name: str  # 领衔代表/委员
    is_co_unit: bool = False  # 协办单位: the title ends in 协办意见
    body: str  # one paragraph per line
    result_class: str = ""  # 办理结果类别 A/B/C…, the mark in the first page's corner ("" for none)
    class_mark_position: str = "top_right"  # or "top_left"
    publication: str = "主动公开"  # a co-unit's opinion to the lead unit may leave it empty (no line)
    publication_reason: str = ""  # why 不予公开 (or 依申请公开)
    sign_unit: str = ""  # 落款; the unit name when empty
    sign_date: date
    contact_person: str = ""
    contact_phone: str = ""
    cc: list[str] = field(default_factory=list)  # 抄送
    addressee: str = ""  # 主送 when not the proposer, e.g. the lead unit for a co-unit opinion
    session_prefix: str = "市"  # "关于市十七届人大五次会议…"; "县" for a county
    # A draft is a preview of values not yet complete (the task page's live preview, 预览稿): a missing
    # or invalid required value becomes a visible placeholder such as 【答复正文】 instead of an error.
    # `missing` maps each such field to the placeholder text put in its place.
    draft: bool = False
    missing: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        self.missing = dict(self.missing)
        for name in ("unit_name", "doc_number", "session_label", "proposer_name", "body"):
            setattr(self, name, str(getattr(self, name) or "").strip())
            if not getattr(self, name):
                self._missing(name, f"答复函缺少{_LABELS[name]}（{name}）")
        if self.item_type not in ITEM_NOUNS:
            raise LetterError(f"事项类型应为 suggestion（建议）或 proposal（提案），而不是“{self.item_type}”")
        if isinstance(self.item_no, bool) or not isinstance(self.item_no, int) or self.item_no < 1:
            self._missing("item_no", f"事项编号应为正整数：{self.item_no!r}")
        if self.class_mark_position not in std.CLASS_MARK_POSITIONS:
            raise LetterError(f"类别标记位置应为 top_right 或 top_left，而不是“{self.class_mark_position}”")
        self.publication = (self.publication or "").strip()
        if self.publication not in PUBLICATIONS and not (self.is_co_unit and not self.publication):
            self._missing("publication", f"公开属性应为{'、'.join(PUBLICATIONS)}之一，而不是“{self.publication}”")
        if not isinstance(self.sign_date, date):
            raise LetterError(f"成文日期应为日期：{self.sign_date!r}")
        if isinstance(self.sign_date, datetime):
            self.sign_date = self.sign_date.date()
        self.cc = [c.strip() for c in self.cc if c and c.strip()]
        self.result_class = (self.result_class or "").strip()
        self.sign_unit = (self.sign_unit or "").strip() or self.unit_name

    def _missing(self, name: str, error: str) -> None:
        """A required value is missing or invalid: an error, or in a draft its placeholder."""
        if not self.draft:
            raise LetterError(error)
        setattr(self, name, DRAFT_PLACEHOLDERS[name])
        self.missing[name] = DRAFT_PLACEHOLDERS[name]

    @property
    def title(self) -> str:
        noun = ITEM_NOUNS[self.item_type]
        ending = "协办意见" if self.is_co_unit else "答复"
        return f"关于{self.session_prefix}{self.session_label}会议第{self.item_no}号{noun}的{ending}"

    @property
    def addressee_line(self) -> str:
        if self.addressee:
            return self.addressee.rstrip("：:") + "："
        return f"{self.proposer_name}{ADDRESS_TITLES[self.item_type]}："

    @property
    def contact_line(self) -> str:
        if not (self.contact_person or self.contact_phone):
            return ""
        parts = [f"联系人：{self.contact_person}" if self.contact_person else "",
                 f"联系电话：{self.contact_phone}" if self.contact_phone else ""]
        return "（" + "，".join(p for p in parts if p) + "）"

    @property
    def publication_text(self) -> str:
        reason = self.publication_reason.strip()
        return f"{self.publication}（{reason}）" if reason else self.publication

    @property
    def filename(self) -> str:
        return f"{self.title}（预览稿）.docx" if self.draft else f"{self.title}.docx"

    def placeholders(self) -> dict[str, str]:
        """The values of the template placeholders (see the module docstring)."""
        return {
            "unit_name": self.unit_name, "doc_number": self.doc_number, "class_mark": self.result_class,
            "title": self.title, "addressee": self.addressee_line, "proposer_name": self.proposer_name,
            "body": self.body, "sign_unit": self.sign_unit, "sign_date": format_chinese_date(self.sign_date),
            "publication": self.publication_text, "contact": self.contact_line,
            "contact_person": self.contact_person, "contact_phone": self.contact_phone,
            "cc": "，".join(self.cc),
        }

    def parts(self) -> list[tuple[str, str]]:
        """The letter's lines as (element, text) in reading order; see `letter_parts`."""
        values = self.placeholders()
        values["title"] = _title_lines(values["title"])
        return letter_parts(values)


_LABELS = {"unit_name": "承办单位名称", "doc_number": "发文字号", "session_label": "届次",
           "proposer_name": "代表/委员姓名", "body": "正文"}
# What a draft shows for a missing value (the HTML preview marks these texts).
DRAFT_PLACEHOLDERS = {"unit_name": "【承办单位名称】", "doc_number": "【发文字号】", "session_label": "【届次】",
                      "proposer_name": "【代表/委员姓名】", "body": "【答复正文】", "item_no": "【编号】",
                      "publication": "【公开属性】"}
DRAFT_SERIAL = "×"  # the number of a letter not yet numbered: 交函〔2026〕×号


def draft_doc_number(prefix: str, year: int | str) -> str:
    """发文字号 of a letter not yet numbered, e.g. 交函〔2026〕×号 (〔2026〕×号 without 机关代字)."""
    return f"{(prefix or '').strip()}〔{year}〕{DRAFT_SERIAL}号"


def sample_letter(item_type: str = SUGGESTION, is_co_unit: bool = False,
                  class_mark_position: str = "top_right") -> ReplyLetter:
    """A letter with fictional demo data (示范市, 王明远代表), for previews and the command line."""
    proposal = item_type == PROPOSAL
    noun = ITEM_NOUNS[item_type]
    return ReplyLetter(
        unit_name="示范市交通运输局", doc_number=format_doc_number("交函", 2026, 12), item_type=item_type,
        session_label="政协十一届四次" if proposal else "十七届人大五次", item_no=45 if proposal else 123,
        proposer_name="李慧敏" if proposal else "王明远", is_co_unit=is_co_unit,
        body=(f"您提出的《关于加快城区公交线网优化的{noun}》收悉。我局高度重视，经认真研究，"
              f"现{'提出协办意见' if is_co_unit else '答复'}如下：\n"
              "一、基本情况\n"
              "近年来，我市持续推进公交优先发展，城区现有公交线路42条，日均客运量约15万人次。\n"
              "（一）线网优化。今年以来，我局委托第三方开展线网评估，新开通社区微循环线路3条。\n"
              "（二）站点建设。新建港湾式停靠站12处，改造候车亭30座。\n"
              "二、下一步工作\n"
              "我局将于2026年底前完成东部新区线路调整，并在办理过程中继续听取您的意见。\n"
              "感谢您对交通运输工作的关心和支持。"),
        result_class="A", class_mark_position=class_mark_position, publication="主动公开",
        sign_date=date(2026, 7, 1), contact_person="张三", contact_phone="0359-1234567",
        cc=["市政府办公室", "市政协提案委" if proposal else "市人大常委会代表工委"])


# --- rendering -------------------------------------------------------------------------------------

def render_reply_letter(letter: ReplyLetter, template_path: str | Path | None = None) -> bytes:
    """The letter as .docx bytes: the built-in layout, or the template at `template_path` filled in."""
    values = letter.placeholders()
    values["title"] = _title_lines(values["title"])
    if template_path is None:
        doc = _build(letter_parts(values), letter.class_mark_position, fit=True)
    else:
        path = Path(template_path)
        if not path.is_file():
            raise LetterError(f"答复函模板不存在：{path}")
        try:
            doc = Document(str(path))
        except Exception as e:  # a corrupt or non-.docx file
            raise LetterError(f"答复函模板无法打开（{path.name}）：{e}") from None
        fill_template(doc, values, class_mark_position=letter.class_mark_position)
    layout.set_properties(doc, title=letter.title, author=letter.sign_unit)
    return layout.to_bytes(doc)


def render_template() -> bytes:
    """The built-in layout with {{placeholders}} instead of values: a starting point for a template."""
    doc = _build(letter_parts({name: "{{" + name + "}}" for name in PLACEHOLDERS}), "top_right", fit=False)
    layout.set_properties(doc, title="答复函模板", author="")
    return layout.to_bytes(doc)


# --- the built-in layout: one entry per element ------------------------------------------------------

ELEMENTS = {
    "letterhead": Element(std.XIAOBIAOSONG, std.LETTERHEAD_MAX_SIZE, "center", grid=False, exact_line=False,
                          color=std.RED),
    "class_mark": Element(std.HEITI, std.SIZE_3, "right", grid=False),
    "doc_number": Element(std.FANGSONG, std.SIZE_3, "right"),
    "title": Element(std.XIAOBIAOSONG, std.SIZE_2, "center", grid=False),
    "addressee": Element(std.FANGSONG, std.SIZE_3),
    "body": Element(std.FANGSONG, std.SIZE_3, "both", first_line_chars=std.BODY_FIRST_LINE_CHARS),
    "blank": Element(std.FANGSONG, std.SIZE_3),
    "sign_unit": Element(std.FANGSONG, std.SIZE_3, "right", right_chars=std.DATE_RIGHT_CHARS),
    "sign_date": Element(std.FANGSONG, std.SIZE_3, "right", right_chars=std.DATE_RIGHT_CHARS),
    "publication": Element(std.FANGSONG, std.SIZE_3, first_line_chars=std.NOTE_FIRST_LINE_CHARS),
    "note": Element(std.FANGSONG, std.SIZE_3, first_line_chars=std.NOTE_FIRST_LINE_CHARS),
    # 抄送 in 4号 (§7.4.2), one character in on both sides; a second line aligns after "抄送：".
    "cc": Element(std.FANGSONG, std.SIZE_4, "both", left_chars=std.IMPRINT_SIDE_CHARS + 3, hanging_chars=3,
                  right_chars=std.IMPRINT_SIDE_CHARS, grid=False),
    "page_number": Element(std.SONGTI, std.SIZE_4, grid=False, exact_line=False, western=std.SONGTI),
}
PUBLICATION_LINE = "公开属性：{}"
CC_LINE = "抄送：{}。"


def letter_parts(values: dict[str, str]) -> list[tuple[str, str]]:
    """The letter's elements in reading order as (element, text) — the one place its wording is put
    together, for the Word layout (`_build`) and the HTML preview (letter_html.py) alike. `values` are
    a letter's `placeholders()` (title already broken into lines), or {{placeholder}} texts for a
    template. Left out when empty: the class mark, 公开属性, the contact line and 抄送. The element
    names are keys of `ELEMENTS`; "body" is the whole body (see `body_blocks`)."""
    parts = [("letterhead", values["unit_name"])]
    if values["class_mark"]:
        parts.append(("class_mark", values["class_mark"]))
    parts += [("doc_number", values["doc_number"]), ("title", values["title"]), ("addressee", values["addressee"]),
              ("body", values["body"]), ("sign_unit", values["sign_unit"]), ("sign_date", values["sign_date"])]
    if values["publication"]:
        parts.append(("publication", PUBLICATION_LINE.format(values["publication"])))
    if values["contact"]:
        parts.append(("note", values["contact"]))
    if values["cc"]:
        parts.append(("cc", CC_LINE.format(values["cc"])))
    return parts


def _build(parts: list[tuple[str, str]], class_mark_position: str, fit: bool):
    """The built-in layout of `parts` (see `letter_parts`). `fit`: they are a letter's, so the
    letterhead is sized to the name, the body split into paragraphs and the signature centred over the
    date; render_template passes placeholder texts and fit=False."""
    doc = Document()
    layout.setup_styles(doc, ELEMENTS["body"])
    section = doc.sections[0]
    _setup_page(doc, section)
    layout.clear_body(doc)
    layout.rule_paragraph(layout.first_paragraph(section.first_page_footer))  # no page number on the first page
    # Page numbers from page 2 on: odd pages right, even pages left, one character in.
    layout.page_numbers(section, ELEMENTS["page_number"])
    texts = dict(parts)

    for kind, text in parts:
        if kind == "letterhead":
            # Letterhead and first rule: the first page's header (see the module docstring).
            head_size = _letterhead_size(text) if fit else std.LETTERHEAD_MAX_SIZE
            head = layout.first_paragraph(section.first_page_header)
            _format(head, "letterhead", size=head_size)
            overhang = std.mm_to_twips(std.RULE_OVERHANG_MM)
            layout.set_indent(head, left=-overhang, right=-overhang)
            layout.border(head, "bottom", "thickThinSmallGap", std.RULE_WIDTH_PT, std.RED,
                          space_pt=round(std.mm_to_pt(std.RULE_BELOW_HEAD_MM)))
            _add_run(head, text, "letterhead", size=head_size)
        elif kind == "class_mark":
            mark = _paragraph(doc, "class_mark", text)
            layout.set_child(mark._p.get_or_add_pPr(), "framePr", wrap="around", vAnchor="page", hAnchor="margin",
                             xAlign="right", y=std.mm_to_twips(std.CLASS_MARK_TOP_MM))
            _align_class_mark(mark._p, class_mark_position)
        elif kind == "doc_number":
            # Second rule: an empty framed paragraph placed on the page (not in the flow), 170 mm wide,
            # centred, its bottom border's lower edge 20 mm above the bottom edge, anchored on page one.
            rule = doc.add_paragraph()._p
            layout.rule_paragraph(rule)
            layout.border(rule, "bottom", "thinThickSmallGap", std.RULE_WIDTH_PT, std.RED)
            rule_height = layout.RULE_LINE_TWIPS + round(std.RULE_WIDTH_PT * std.TWIPS_PER_PT)
            layout.set_child(rule.get_or_add_pPr(), "framePr", w=std.mm_to_twips(std.RULE_LENGTH_MM), wrap="around",
                             hAnchor="page", xAlign="center", vAnchor="page",
                             y=std.mm_to_twips(std.PAGE_HEIGHT_MM - std.RULE_ABOVE_PAGE_BOTTOM_MM) - rule_height)
            number = _paragraph(doc, "doc_number", text)
            # 发文字号 7/8 of a 3号 character's height under the rule (§10.1): the exact-height line already
            # puts half its leading above the characters; the paragraph adds the rest.
            leading_above = (std.LINE_PITCH_TWIPS / std.TWIPS_PER_PT - std.SIZE_3) / 2
            number.paragraph_format.space_before = Pt(round(std.SIZE_3 * 7 / 8 - leading_above, 1))
        elif kind == "title":
            for _ in range(std.TITLE_BLANK_LINES_BEFORE):
                _paragraph(doc, "blank", "")
            _paragraph(doc, "title", text)
            _paragraph(doc, "blank", "")
        elif kind == "body":
            if fit:
                for block in body_blocks(text):
                    p = _paragraph(doc, "body", "")
                    for run_text, font in block:
                        _add_run(p._p, run_text, "body", font=font)
            else:
                _paragraph(doc, "body", text)
            for _ in range(std.SEAL_BLANK_LINES):
                _paragraph(doc, "blank", "")
        elif kind == "sign_unit":
            sign_unit = _paragraph(doc, "sign_unit", text)
            if fit:  # 发文机关署名 centred over the date (§7.3.5.1): shift by half the difference of their widths
                shift = (text_width(texts["sign_date"]) - text_width(text)) / 2
                _set_ind_chars(sign_unit._p, "sign_unit", right_chars=max(0.0, std.DATE_RIGHT_CHARS + shift))
        elif kind == "cc":
            _imprint(doc, text)
        else:  # addressee, sign_date, publication, note
            _paragraph(doc, kind, text)
    return doc


def _letterhead_size(name: str) -> float:
    """Up to 小初, smaller for long names so the name stays on one line of the type area."""
    width = max(text_width(name), 1)
    fitting = math.floor(std.TYPE_AREA_WIDTH_TWIPS / std.TWIPS_PER_PT / width)
    return float(max(std.SIZE_2, min(std.LETTERHEAD_MAX_SIZE, fitting)))


def _title_lines(title: str) -> str:
    """A title wider than the type area breaks before "第" (two lines in a trapezoid, words kept whole).

    Half a character is kept in hand: a substituted font or the western digits may be a little wider."""
    per_line = std.TYPE_AREA_WIDTH_TWIPS / std.TWIPS_PER_PT / ELEMENTS["title"].size - 0.5
    at = title.find("第")
    if text_width(title) <= per_line or at <= 0:
        return title
    return title[:at] + "\n" + title[at:]


def _paragraph(doc, kind: str, text: str):
    p = doc.add_paragraph()
    _format(p._p, kind)
    if text:
        _add_run(p._p, text, kind)
    return p


def _format(p, kind: str, size: float | None = None) -> None:
    """Paragraph properties of element `kind` on the w:p `p`."""
    layout.format_paragraph(p, ELEMENTS[kind], size=size)


def _set_ind_chars(p, kind: str, right_chars: float | None = None) -> None:
    layout.set_indent_chars(p, ELEMENTS[kind], right_chars=right_chars)


def _add_run(p, text: str, kind: str, font: str | None = None, size: float | None = None):
    return layout.add_run(p, text, ELEMENTS[kind], font=font, size=size)


def _imprint(doc, text: str) -> None:
    """抄送 in a one-cell table with thick rules above and below, as wide as the type area, floating at the
    bottom of the type area of the page where the letter ends (版记, §7.4)."""
    width = std.TYPE_AREA_WIDTH_TWIPS
    rule = {"val": "single", "sz": round(std.IMPRINT_THICK_PT * 8), "space": 0, "color": "000000"}
    table = doc.add_table(rows=1, cols=1)
    tbl = table._tbl
    tblPr = tbl.tblPr
    for child in list(tblPr):
        tblPr.remove(child)
    layout.set_child(tblPr, "tblpPr", order=layout.TBLPR_ORDER, leftFromText=0, rightFromText=0,
                     vertAnchor="margin", horzAnchor="margin", tblpXSpec="center", tblpYSpec="bottom")
    layout.set_child(tblPr, "tblW", order=layout.TBLPR_ORDER, w=width, type="dxa")
    borders = layout.set_child(tblPr, "tblBorders", order=layout.TBLPR_ORDER)
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        edge = OxmlElement(f"w:{side}")
        for name, value in (rule if side in ("top", "bottom") else {"val": "nil"}).items():
            edge.set(qn(f"w:{name}"), str(value))
        borders.append(edge)
    layout.set_child(tblPr, "tblLayout", order=layout.TBLPR_ORDER, type="fixed")
    margins = layout.set_child(tblPr, "tblCellMar", order=layout.TBLPR_ORDER)
    for side in ("left", "right"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:w"), "0")
        edge.set(qn("w:type"), "dxa")
        margins.append(edge)
    tbl.tblGrid.find(qn("w:gridCol")).set(qn("w:w"), str(width))
    cell = table.cell(0, 0)
    cell.width = Twips(width)
    p = cell.paragraphs[0]._p
    _format(p, "cc")
    _add_run(p, text, "cc")
    layout.rule_paragraph(doc.add_paragraph()._p)  # a table may not end the document: its anchor paragraph


def _align_class_mark(p, position: str) -> None:
    side = "left" if position == "top_left" else "right"
    pPr = p.get_or_add_pPr()
    layout.set_child(pPr, "jc", val=side)
    frame = pPr.find(qn("w:framePr"))
    if frame is not None:
        frame.attrib.pop(qn("w:x"), None)
        frame.set(qn("w:xAlign"), side)


def _setup_page(doc, section) -> None:
    layout.setup_page(doc, section, ELEMENTS["page_number"])
    section.header_distance = Mm(std.LETTERHEAD_TOP_MM)
    section.different_first_page_header_footer = True  # letterhead and rules on the first page only


# --- filling a template ----------------------------------------------------------------------------

def fill_template(doc, values: dict[str, str], class_mark_position: str | None = None) -> None:
    """Replace the {{placeholders}} of every paragraph of `doc` (see the module docstring)."""
    roots = [doc.element.body]
    roots += [rel.target_part.element for rel in doc.part.rels.values()
              if rel.reltype in (RT.HEADER, RT.FOOTER) and not rel.is_external]
    unknown = set()
    for root in roots:
        for p in list(root.iter(qn("w:p"))):
            unknown |= _fill_paragraph(p, values, class_mark_position)
    if unknown:
        names = "、".join("{{" + n + "}}" for n in sorted(unknown))
        known = "、".join("{{" + n + "}}" for n in PLACEHOLDERS)
        raise LetterError(f"答复函模板中有未知的占位符：{names}（可用：{known}）")


def _own_texts(p) -> list:
    """The w:t elements of paragraph `p` itself (not of paragraphs in text boxes inside it)."""
    return [t for t in p.iter(qn("w:t")) if next(t.iterancestors(qn("w:p")), None) is p]


def _fill_paragraph(p, values: dict[str, str], class_mark_position: str | None) -> set[str]:
    texts = _own_texts(p)
    full = "".join(t.text or "" for t in texts)
    matches = list(PLACEHOLDER.finditer(full))
    if not matches:
        return set()
    names = [m.group(1) for m in matches]
    unknown = {n for n in names if n not in values}
    if unknown:
        return unknown
    if "class_mark" in names and class_mark_position:
        _align_class_mark(p, class_mark_position)
    if all(not values[n] for n in names):
        _drop_paragraph(p, texts)
    elif len(matches) == 1 and names[0] == "body" and full.strip() == matches[0].group(0):
        _expand_body(p, texts, matches[0], values["body"])
    else:
        for m in reversed(matches):
            _replace_span(texts, m.start(), m.end(), values[m.group(1)])
        for t in texts:
            _split_breaks(t)
    return set()


def _locate(texts, offset: int):
    """(index of the w:t, offset in it) of character `offset` of the paragraph's joined text."""
    for i, t in enumerate(texts):
        n = len(t.text or "")
        if offset < n:
            return i, offset
        offset -= n
    return len(texts) - 1, len(texts[-1].text or "")


def _replace_span(texts, start: int, end: int, value: str) -> None:
    i, a = _locate(texts, start)
    j, b = _locate(texts, end - 1)
    b += 1
    first = texts[i].text or ""
    if i == j:
        texts[i].text = first[:a] + value + first[b:]
    else:
        texts[i].text = first[:a] + value
        for k in range(i + 1, j):
            texts[k].text = ""
        texts[j].text = (texts[j].text or "")[b:]
    texts[i].set(qn("xml:space"), "preserve")


def _split_breaks(t) -> None:
    """A value with line breaks inside a paragraph: w:t, w:br, w:t … in the same run."""
    if not t.text or "\n" not in t.text:
        return
    lines = t.text.split("\n")
    t.text = lines[0]
    anchor = t
    for line in lines[1:]:
        br = OxmlElement("w:br")
        anchor.addnext(br)
        nt = OxmlElement("w:t")
        nt.set(qn("xml:space"), "preserve")
        nt.text = line
        br.addnext(nt)
        anchor = nt


def _drop_paragraph(p, texts) -> None:
    parent = p.getparent()
    if len(parent.findall(qn("w:p"))) > 1 and p.find(".//" + qn("w:sectPr")) is None:
        parent.remove(p)
    else:  # a table cell or a text box needs one paragraph; a section break must stay
        for t in texts:
            t.text = ""


def _expand_body(p, texts, match, body: str) -> None:
    """One copy of `p` per body paragraph, with the run formatting the placeholder had."""
    run = next(texts[_locate(texts, match.start())[0]].iterancestors(qn("w:r")))
    rPr = run.find(qn("w:rPr"))
    for block in body_blocks(body):
        new = copy.deepcopy(p)
        for child in list(new):
            if child.tag != qn("w:pPr"):
                new.remove(child)
        for text, font in block:
            r = OxmlElement("w:r")
            if rPr is not None:
                r.append(copy.deepcopy(rPr))
            if font:
                layout.set_fonts(r.get_or_add_rPr(), font)
            t = OxmlElement("w:t")
            t.set(qn("xml:space"), "preserve")
            t.text = text
            r.append(t)
            new.append(r)
        p.addprevious(new)
    p.getparent().remove(p)
