"""The text of an official document (公文主体, GB/T 9704-2012 §7.3) as a Word file: the layout that the
work plan, the situation report, the unit summary and the annual report share.

    doc = Report(title="关于…的报告", addressee="市政府办公室", blocks=["一、…\\n正文…", Table(…)],
                 sign_unit="市交通运输局", sign_date=date(2026, 7, 1))
    data = render_report(doc)

The page, the 22 × 28 grid, the fonts and the indents are the reply letter's (gbt9704.py, layout.py):
title 2号 方正小标宋简体 centred two lines below the top of the type area, addressee 3号 仿宋 flush
left, body 3号 仿宋_GB2312 with a two-character indent and headings "一、" 黑体 / "（一）" 楷体,
signature and date right-indented four characters, 附注 indented two, page numbers "— 1 —" on every
page (odd right, even left). Tables are as wide as the type area, 4号 仿宋 with thin rules, the header
row in 黑体 repeated on each page.

No 版头 (letterhead, 发文字号, red rule): these documents are kept as files of the process and go to
the office with it; an office that sends one on paper prints it on its letterhead paper.
"""
from dataclasses import dataclass
from datetime import date

from docx import Document

from . import gbt9704 as std
from . import layout
from .layout import Element
from .letter import ADDRESS_TITLES, ITEM_NOUNS

ELEMENTS = {
    "title": Element(std.XIAOBIAOSONG, std.SIZE_2, "center", grid=False),
    "addressee": Element(std.FANGSONG, std.SIZE_3),
    "body": Element(std.FANGSONG, std.SIZE_3, "both", first_line_chars=std.BODY_FIRST_LINE_CHARS),
    "blank": Element(std.FANGSONG, std.SIZE_3),
    "caption": Element(std.HEITI, std.SIZE_3, "center"),
    "cell": Element(std.FANGSONG, std.SIZE_4, grid=False, exact_line=False),
    "table_note": Element(std.FANGSONG, std.SIZE_4, grid=False, exact_line=False),
    "sign_unit": Element(std.FANGSONG, std.SIZE_3, "right", right_chars=std.DATE_RIGHT_CHARS),
    "sign_date": Element(std.FANGSONG, std.SIZE_3, "right", right_chars=std.DATE_RIGHT_CHARS),
    "note": Element(std.FANGSONG, std.SIZE_3, first_line_chars=std.NOTE_FIRST_LINE_CHARS),
    "page_number": Element(std.SONGTI, std.SIZE_4, grid=False, exact_line=False, western=std.SONGTI),
}


class DocumentError(ValueError):
    """Data a document cannot be made from; the message is for the user."""


# --- what a document says about its item --------------------------------------------------------------

@dataclass(kw_only=True)
class ItemRef:
    """The suggestion or proposal a document is about, as documents name it."""
    item_type: str  # suggestion | proposal
    session_label: str  # 届次: "十七届人大五次" / "政协十一届四次"
    item_no: int
    title: str = ""  # 案由
    proposer_name: str = ""
    session_prefix: str = "市"

    def __post_init__(self):
        if self.item_type not in ITEM_NOUNS:
            raise DocumentError(f"事项类型应为 suggestion（建议）或 proposal（提案），而不是“{self.item_type}”")
        self.session_label = str(self.session_label or "").strip()
        if not self.session_label:
            raise DocumentError("缺少届次（session_label）")
        if isinstance(self.item_no, bool) or not isinstance(self.item_no, int) or self.item_no < 1:
            raise DocumentError(f"事项编号应为正整数：{self.item_no!r}")
        self.title = str(self.title or "").strip()
        self.proposer_name = str(self.proposer_name or "").strip()

    @property
    def noun(self) -> str:
        return ITEM_NOUNS[self.item_type]

    @property
    def reference(self) -> str:
        """市十七届人大五次会议第123号建议"""
        return f"{self.session_prefix}{self.session_label}会议第{self.item_no}号{self.noun}"

    @property
    def described(self) -> str:
        """刘代表提出的《关于改善城区公交线路的建议》（市十七届人大五次会议第123号建议）"""
        name, title_word = self.proposer_name, ADDRESS_TITLES[self.item_type]
        who = f"{name if name.endswith(title_word) else name + title_word}提出的" if name else ""
        title = f"《{self.title}》" if self.title else f"第{self.item_no}号{self.noun}"
        return f"{who}{title}（{self.reference}）"


# --- the document -----------------------------------------------------------------------------------------

@dataclass
class Table:
    caption: str  # 表1 …, above the table
    header: list[str]
    rows: list[list[str]]
    widths: list[float] | None = None  # relative column widths
    note: str = ""  # under the table, e.g. "注：满意率含基本满意。"


@dataclass(kw_only=True)
class Report:
    title: str
    blocks: list  # text (one paragraph per line, headings by their numbering) or Table
    sign_unit: str
    sign_date: date
    addressee: str = ""  # 主送, without the colon
    note: str = ""  # 附注, e.g. "（联系人：张三，联系电话：…）"
    kind: str = "文稿"  # what it is, for messages: 工作方案, 情况报告 …

    def __post_init__(self):
        self.title = str(self.title or "").strip()
        self.sign_unit = str(self.sign_unit or "").strip()
        if not self.title:
            raise DocumentError(f"{self.kind}缺少标题")
        if not self.sign_unit:
            raise DocumentError(f"{self.kind}缺少署名单位")
        if not isinstance(self.sign_date, date):
            raise DocumentError(f"{self.kind}的成文日期应为日期：{self.sign_date!r}")
        if not any(isinstance(b, Table) or str(b or "").strip() for b in self.blocks):
            raise DocumentError(f"{self.kind}缺少正文")

    @property
    def filename(self) -> str:
        return safe_filename(self.title) + ".docx"


def safe_filename(name: str) -> str:
    """A title as a file name: no path separators or characters Windows refuses."""
    cleaned = "".join("_" if c in '\\/:*?"<>|\n\r\t' else c for c in name).strip(" .")
    return cleaned[:120] or "文稿"


def render_report(report: Report) -> bytes:
    doc = Document()
    layout.setup_styles(doc, ELEMENTS["body"])
    section = doc.sections[0]
    layout.setup_page(doc, section, ELEMENTS["page_number"])
    layout.page_numbers(section, ELEMENTS["page_number"])
    layout.clear_body(doc)

    for _ in range(std.TITLE_BLANK_LINES_BEFORE):
        layout.add_paragraph(doc, ELEMENTS["blank"])
    layout.add_paragraph(doc, ELEMENTS["title"], report.title)
    layout.add_paragraph(doc, ELEMENTS["blank"])
    if report.addressee:
        layout.add_paragraph(doc, ELEMENTS["addressee"], report.addressee.rstrip("：:") + "：")
    for block in report.blocks:
        if isinstance(block, Table):
            _table(doc, block)
        elif str(block or "").strip():
            layout.add_body(doc, ELEMENTS["body"], str(block))
    for _ in range(std.SEAL_BLANK_LINES):
        layout.add_paragraph(doc, ELEMENTS["blank"])
    sign_date = layout.format_chinese_date(report.sign_date)
    sign = layout.add_paragraph(doc, ELEMENTS["sign_unit"], report.sign_unit)
    # 署名 centred over the date (§7.3.5.1): shift by half the difference of their widths.
    shift = (layout.text_width(sign_date) - layout.text_width(report.sign_unit)) / 2
    layout.set_indent_chars(sign._p, ELEMENTS["sign_unit"], right_chars=max(0.0, std.DATE_RIGHT_CHARS + shift))
    layout.add_paragraph(doc, ELEMENTS["sign_date"], sign_date)
    if report.note:
        layout.add_paragraph(doc, ELEMENTS["note"], report.note)
    layout.set_properties(doc, title=report.title, author=report.sign_unit)
    return layout.to_bytes(doc)


def _table(doc, table: Table) -> None:
    layout.add_paragraph(doc, ELEMENTS["caption"], table.caption)
    layout.add_table(doc, table.header, table.rows, ELEMENTS["cell"], widths_chars=table.widths,
                     header_font=std.HEITI)
    if table.note:
        layout.add_paragraph(doc, ELEMENTS["table_note"], table.note)
    else:  # a paragraph between the table and what follows (two tables would otherwise merge)
        layout.add_paragraph(doc, ELEMENTS["blank"])


@dataclass
class Section:
    """A numbered part of a body: "一、heading" then its text."""
    heading: str
    text: str = ""


def numbered(sections: list[Section]) -> str:
    """The body text of `sections` numbered 一、二、… (empty ones left out)."""
    out, n = [], 0
    for s in sections:
        if not str(s.text or "").strip():
            continue
        n += 1
        out.append(f"{layout.chinese_numeral(n)}、{s.heading}")
        out.append(s.text)
    return "\n".join(out)
