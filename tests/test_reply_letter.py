"""The reply letter 答复函 (GB/T 9704-2012 信函格式): every generated .docx is read back with python-docx
and checked against the standard's figures — page, grid, fonts and sizes per element, texts — for the
built-in layout, an administrator's template with {{placeholders}}, the command line and the service
topic run by the worker."""
import io
from datetime import date

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from sqlalchemy import select

from tests.support import topics
from tests.support.helpers import deploy, instance_data, open_tasks, refresh_user
from webapp.documents import gbt9704 as std
from webapp.documents.letter import (LetterError, ReplyLetter, body_blocks, format_chinese_date, format_doc_number,
                                     render_reply_letter, render_template, sample_letter)
from webapp.models import Incident, Job, StoredFile, TextBlob

MM = 0.2  # tolerance: python-docx keeps lengths in EMU, Word rounds to twips


def read(data: bytes):
    return Document(io.BytesIO(data))


def letter_doc(**changes):
    item_type = changes.pop("item_type", "suggestion")
    letter = sample_letter(item_type, changes.pop("is_co_unit", False), changes.pop("position", "top_right"))
    for name, value in changes.items():
        setattr(letter, name, value)
    return read(render_reply_letter(letter))


def paragraph(doc, text):
    """The body paragraph whose text (line breaks removed) is `text` or, with a trailing '…', starts so."""
    for p in doc.paragraphs:
        flat = p.text.replace("\n", "")
        if flat == text or (text.endswith("…") and flat.startswith(text[:-1])):
            return p
    raise AssertionError(f"no paragraph {text!r} in {[p.text for p in doc.paragraphs]}")


def position(doc, p) -> int:
    return [q._p for q in doc.paragraphs].index(p._p)


def fonts(run) -> tuple[str, str]:
    """(East Asian, western) font names set on the run."""
    rfonts = run._r.rPr.find(qn("w:rFonts"))
    return rfonts.get(qn("w:eastAsia")), rfonts.get(qn("w:ascii"))


def ppr(p, tag):
    pPr = p._p.pPr
    return None if pPr is None else pPr.find(qn(f"w:{tag}"))


def border(p, side):
    edge = ppr(p, "pBdr").find(qn(f"w:{side}"))
    return {k: edge.get(qn(f"w:{k}")) for k in ("val", "sz", "space", "color")}


def assert_runs(p, east_asia, size, western=std.WESTERN):
    assert p.runs, p.text
    for run in p.runs:
        assert fonts(run) == (east_asia, western), (p.text, run.text)
        assert run.font.size == Pt(size), (p.text, run.text)


# --- small formatting rules ------------------------------------------------------------------------

@pytest.mark.parametrize("prefix, year, number, expected", [
    ("交函", 2026, 12, "交函〔2026〕12号"),
    ("交函", "2026", "012", "交函〔2026〕12号"),  # no leading zeros
    ("教提函", 2025, 7, "教提函〔2025〕7号"),
    (" 交函 ", 2026, 1000, "交函〔2026〕1000号"),
])
def test_doc_number_has_no_di_and_no_leading_zeros(prefix, year, number, expected):
    assert format_doc_number(prefix, year, number) == expected
    assert "第" not in expected


@pytest.mark.parametrize("args, message", [
    (("", 2026, 12), "机关代字"), (("交函", 26, 12), "四位数"), (("交函", 2026, 0), "正整数"),
    (("交函", 2026, "十二"), "数字"),
])
def test_doc_number_refuses_what_is_not_a_number(args, message):
    with pytest.raises(LetterError, match=message):
        format_doc_number(*args)


def test_chinese_date_has_no_leading_zeros():
    assert format_chinese_date(date(2026, 7, 1)) == "2026年7月1日"
    assert format_chinese_date(date(2026, 12, 31)) == "2026年12月31日"


def test_body_headings_are_found_by_their_numbering():
    assert body_blocks("一、基本情况\n\n（一）线网优化。今年以来，新开线路3条。\n　　(二)站点建设\n1.第三层") == [
        [("一、基本情况", std.HEITI)],
        [("（一）线网优化。", std.KAITI), ("今年以来，新开线路3条。", None)],
        [("(二)站点建设", std.KAITI)],
        [("1.第三层", None)],
    ]


def test_a_letter_without_its_essentials_is_refused():
    good = dict(unit_name="示范市教育局", doc_number="教函〔2026〕3号", item_type="suggestion",
                session_label="十七届人大五次", item_no=7, proposer_name="王明远", body="正文",
                sign_date=date(2026, 7, 1))
    ReplyLetter(**good)
    for change, message in (({"body": " "}, "正文"), ({"item_type": "motion"}, "suggestion"),
                            ({"item_no": 0}, "正整数"), ({"publication": "公开"}, "公开属性"),
                            ({"class_mark_position": "bottom"}, "top_right")):
        with pytest.raises(LetterError, match=message):
            ReplyLetter(**{**good, **change})


# --- the built-in layout ---------------------------------------------------------------------------

def test_page_is_a4_with_the_standards_margins_and_line_grid():
    doc = letter_doc()
    [section] = doc.sections
    assert section.page_width.mm == pytest.approx(210, abs=MM)
    assert section.page_height.mm == pytest.approx(297, abs=MM)
    assert section.top_margin.mm == pytest.approx(37, abs=MM)
    assert section.bottom_margin.mm == pytest.approx(35, abs=MM)
    assert section.left_margin.mm == pytest.approx(28, abs=MM)
    assert section.right_margin.mm == pytest.approx(26, abs=MM)
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    pitch = int(grid.get(qn("w:linePitch")))
    assert pitch / 20 == pytest.approx(29, abs=0.1)  # 22 lines in the 225 mm type area
    assert 22 * pitch <= std.TYPE_AREA_HEIGHT_TWIPS < 23 * pitch
    # 28 characters of 3号 (16 pt, the document default) fill the 156 mm line.
    char_space = int(grid.get(qn("w:charSpace")))
    assert char_space == -842
    assert 28 * (16 + char_space / 4096) == pytest.approx(156 / 25.4 * 72, abs=0.3)
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:sz")).get(qn("w:val")) == "32"
    assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsia")) == std.FANGSONG
    # Body lines are exactly one grid line high, so 22 of them fill the page whatever font is substituted.
    spacing = ppr(paragraph(doc, "您提出的…"), "spacing")
    assert (spacing.get(qn("w:line")), spacing.get(qn("w:lineRule"))) == (str(pitch), "exact")


def test_letterhead_is_red_on_the_first_page_with_a_double_rule_4mm_below_and_170mm_long():
    doc = letter_doc()
    section = doc.sections[0]
    assert section.different_first_page_header_footer
    assert section.header_distance.mm == pytest.approx(30, abs=MM)  # 上边缘至上页边 30 mm
    [head] = section.first_page_header.paragraphs
    assert head.text == "示范市交通运输局"
    assert head.alignment == WD_ALIGN_PARAGRAPH.CENTER
    [run] = head.runs
    assert fonts(run)[0] == "方正小标宋简体"
    assert run.font.color.rgb == std_red()
    assert run.font.size == Pt(36)  # 8 characters: 小初 fits
    rule = border(head, "bottom")
    assert rule["val"] == "thickThinSmallGap" and rule["color"] == "FF0000"  # 上粗下细
    assert int(rule["space"]) == pytest.approx(4 / 25.4 * 72, abs=0.5)  # 4 mm below the name, in points
    fmt = head.paragraph_format
    assert fmt.left_indent.mm == pytest.approx(-7, abs=MM) and fmt.right_indent.mm == pytest.approx(-7, abs=MM)
    assert 156 - fmt.left_indent.mm - fmt.right_indent.mm == pytest.approx(170, abs=MM)
    # No header on the other pages: nothing pushes their text down.
    assert section.header.is_linked_to_previous


def test_a_long_unit_name_gets_a_smaller_letterhead_that_fits_one_line():
    name = "示范市人民政府国有资产监督管理委员会"
    doc = letter_doc(unit_name=name)
    [run] = doc.sections[0].first_page_header.paragraphs[0].runs
    assert run.font.size.pt * len(name) <= 156 / 25.4 * 72
    assert run.font.size.pt >= 22


def test_second_rule_is_170mm_and_20mm_above_the_bottom_edge_of_the_first_page():
    doc = letter_doc()
    [rule] = [p for p in doc.paragraphs if ppr(p, "pBdr") is not None and ppr(p, "framePr") is not None]
    assert position(doc, rule) < position(doc, paragraph(doc, "交函〔2026〕12号"))  # page 1
    assert border(rule, "bottom")["val"] == "thinThickSmallGap"  # 上细下粗
    assert border(rule, "bottom")["color"] == "FF0000"
    frame = ppr(rule, "framePr")
    assert (frame.get(qn("w:vAnchor")), frame.get(qn("w:hAnchor")), frame.get(qn("w:xAlign"))) == \
        ("page", "page", "center")
    assert std.twips_to_mm(int(frame.get(qn("w:w")))) == pytest.approx(170, abs=MM)
    line = int(ppr(rule, "spacing").get(qn("w:line")))
    lower_edge = int(frame.get(qn("w:y"))) + line + int(border(rule, "bottom")["sz"]) / 8 * 20
    assert 297 - std.twips_to_mm(lower_edge) == pytest.approx(20, abs=MM)


def test_first_page_has_no_page_number_and_the_others_do():
    doc = letter_doc()
    section = doc.sections[0]
    assert "PAGE" not in section.first_page_footer._element.xml
    assert doc.settings.odd_and_even_pages_header_footer
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer,
                                                                        WD_ALIGN_PARAGRAPH.LEFT)):
        [p] = footer.paragraphs
        assert " PAGE " in p._p.xml and p.text.startswith("— ") and p.text.endswith(" —")
        assert p.alignment == align
        assert_runs(p, std.SONGTI, 14, western=std.SONGTI)


def test_doc_number_is_flush_right_under_the_rule():
    doc = letter_doc()
    p = paragraph(doc, "交函〔2026〕12号")
    assert p.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert_runs(p, std.FANGSONG, 16)


@pytest.mark.parametrize("item_type, co_unit, title, addressee", [
    ("suggestion", False, "关于市十七届人大五次会议第123号建议的答复", "王明远代表："),
    ("proposal", False, "关于市政协十一届四次会议第45号提案的答复", "李慧敏委员："),
    ("suggestion", True, "关于市十七届人大五次会议第123号建议的协办意见", "王明远代表："),
    ("proposal", True, "关于市政协十一届四次会议第45号提案的协办意见", "李慧敏委员："),
])
def test_title_and_addressee(item_type, co_unit, title, addressee):
    doc = letter_doc(item_type=item_type, is_co_unit=co_unit)
    p = paragraph(doc, title)
    assert p.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert_runs(p, "方正小标宋简体", 22)
    assert ppr(p, "snapToGrid").get(qn("w:val")) == "0"  # 2号 characters must not take two grid cells
    if "\n" in p.text:  # too wide for one line: broken before 第, words whole
        first, second = p.text.split("\n")
        assert second.startswith("第")
    # Two lines between the doc number and the title, one between the title and the addressee.
    number, p_index = position(doc, paragraph(doc, "交函〔2026〕12号")), position(doc, p)
    assert [q.text for q in doc.paragraphs[number + 1:p_index]] == ["", ""]
    a = paragraph(doc, addressee)
    assert position(doc, a) == p_index + 2 and doc.paragraphs[p_index + 1].text == ""
    assert_runs(a, "仿宋_GB2312", 16)
    assert a.paragraph_format.first_line_indent is None and a.paragraph_format.left_indent is None
    assert a.alignment == WD_ALIGN_PARAGRAPH.LEFT


def test_body_is_fangsong_with_two_character_indent_and_headings_in_heiti_and_kaiti():
    doc = letter_doc()
    opening = paragraph(doc, "您提出的…")
    assert_runs(opening, "仿宋_GB2312", 16)
    for p in (opening, paragraph(doc, "一、基本情况"), paragraph(doc, "（一）线网优化…")):
        assert p.paragraph_format.first_line_indent == Pt(32)  # two 3号 characters
        assert ppr(p, "ind").get(qn("w:firstLineChars")) == "200"
        assert p.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert_runs(paragraph(doc, "一、基本情况"), "黑体", 16)
    assert_runs(paragraph(doc, "二、下一步工作"), "黑体", 16)
    heading, rest = paragraph(doc, "（一）线网优化…").runs
    assert (heading.text, fonts(heading)) == ("（一）线网优化。", ("楷体_GB2312", std.WESTERN))
    assert fonts(rest) == ("仿宋_GB2312", std.WESTERN) and rest.text.startswith("今年以来")
    assert rest.font.size == heading.font.size == Pt(16)


@pytest.mark.parametrize("position, align", [("top_right", WD_ALIGN_PARAGRAPH.RIGHT),
                                             ("top_left", WD_ALIGN_PARAGRAPH.LEFT)])
def test_class_mark_is_in_the_first_pages_top_corner(position, align):
    doc = letter_doc(position=position)
    mark = doc.paragraphs[0]
    assert mark.text == "A"
    assert mark.alignment == align
    assert_runs(mark, "黑体", 16)
    frame = ppr(mark, "framePr")
    assert frame.get(qn("w:xAlign")) == position.removeprefix("top_")
    assert frame.get(qn("w:vAnchor")) == "page"
    assert std.twips_to_mm(int(frame.get(qn("w:y")))) < 30  # above the letterhead


def test_no_class_mark_without_a_result_class():
    doc = letter_doc(result_class="")
    assert "A" not in [p.text for p in doc.paragraphs]
    assert doc.paragraphs[0].text == ""  # the framed second rule comes first now


def test_signature_date_publication_and_contact():
    doc = letter_doc()
    date_p = paragraph(doc, "2026年7月1日")
    assert date_p.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert ppr(date_p, "ind").get(qn("w:rightChars")) == "400"  # 右空四字
    assert date_p.paragraph_format.right_indent == Pt(64)
    assert_runs(date_p, "仿宋_GB2312", 16)
    index = position(doc, date_p)
    unit = doc.paragraphs[index - 1]
    assert unit.text == "示范市交通运输局" and unit.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    # The unit is centred over the date: 8 characters over 6, so one character less from the right.
    assert ppr(unit, "ind").get(qn("w:rightChars")) == "300"
    assert [p.text for p in doc.paragraphs[index - 3:index - 1]] == ["", ""]  # room for the seal
    publication, contact = doc.paragraphs[index + 1:index + 3]
    assert publication.text == "公开属性：主动公开"
    assert contact.text == "（联系人：张三，联系电话：0359-1234567）"
    for p in (publication, contact):
        assert ppr(p, "ind").get(qn("w:firstLineChars")) == "200"  # 居左空二字
        assert_runs(p, "仿宋_GB2312", 16)


def test_publication_with_a_reason():
    doc = letter_doc(publication="不予公开", publication_reason="涉及个人隐私")
    paragraph(doc, "公开属性：不予公开（涉及个人隐私）")


def test_cc_line_between_the_imprint_rules_at_the_bottom():
    doc = letter_doc()
    [table] = doc.tables
    [p] = table.cell(0, 0).paragraphs
    assert p.text == "抄送：市政府办公室，市人大常委会代表工委。"
    assert_runs(p, "仿宋_GB2312", 14)
    tblPr = table._tbl.tblPr
    rules = tblPr.find(qn("w:tblBorders"))
    for side in ("top", "bottom"):  # the first and last 版记 rules are thick
        edge = rules.find(qn(f"w:{side}"))
        assert (edge.get(qn("w:val")), edge.get(qn("w:sz"))) == ("single", "8")
    assert rules.find(qn("w:left")).get(qn("w:val")) == "nil"
    assert std.twips_to_mm(int(tblPr.find(qn("w:tblW")).get(qn("w:w")))) == pytest.approx(156, abs=MM)
    assert tblPr.find(qn("w:tblpPr")).get(qn("w:tblpYSpec")) == "bottom"
    ind = ppr(p, "ind")  # 左右各空一字; a second line aligns after "抄送："
    assert (ind.get(qn("w:leftChars")), ind.get(qn("w:hangingChars")), ind.get(qn("w:rightChars"))) == \
        ("400", "300", "100")


def test_no_cc_block_without_cc():
    assert letter_doc(cc=[]).tables == []


def test_every_run_names_east_asian_and_western_fonts():
    doc = letter_doc()
    parts = [doc.paragraphs, doc.sections[0].first_page_header.paragraphs, doc.tables[0].cell(0, 0).paragraphs]
    for paragraphs in parts:
        for p in paragraphs:
            for run in p.runs:
                east_asia, western = fonts(run)
                assert east_asia and western, (p.text, run.text)
    rfonts = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(
        qn("w:rFonts"))  # theme fonts would win over the names
    assert not [name for name in rfonts.attrib if "heme" in name]
    assert (rfonts.get(qn("w:eastAsia")), rfonts.get(qn("w:ascii"))) == (std.FANGSONG, std.WESTERN)


def std_red():
    from docx.shared import RGBColor
    return RGBColor.from_string(std.RED)


# --- a template with placeholders -----------------------------------------------------------------

def make_template(path):
    """A plain template: placeholders in the header, split across runs, in a table, and {{body}} alone."""
    doc = Document()
    doc.sections[0].header.paragraphs[0].text = "{{unit_name}}"
    mark = doc.add_paragraph("{{class_mark}}")
    mark.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    number = doc.add_paragraph()
    for piece in ("{{doc_", "number}", "}"):  # Word splits runs where it likes
        number.add_run(piece)
    doc.add_paragraph("{{title}}")
    doc.add_paragraph("尊敬的{{ addressee }}")
    body = doc.add_paragraph()
    run = body.add_run("{{body}}")
    run.font.size = Pt(16)
    run.font.name = "仿宋"
    doc.add_paragraph("{{sign_unit}}")
    doc.add_paragraph("{{sign_date}}")
    doc.add_paragraph("（联系人：{{contact_person}}；电话：{{contact_phone}}）")
    table = doc.add_table(rows=1, cols=1)
    table.cell(0, 0).paragraphs[0].text = "抄送：{{cc}}。"
    doc.add_paragraph("{{publication}}")
    doc.save(path)
    return path


def test_template_placeholders_are_replaced(tmp_path):
    template = make_template(tmp_path / "template.docx")
    letter = sample_letter(class_mark_position="top_left")
    doc = read(render_reply_letter(letter, template))
    assert doc.sections[0].header.paragraphs[0].text == "示范市交通运输局"
    texts = [p.text for p in doc.paragraphs]
    assert texts[:4] == ["A", "交函〔2026〕12号", "关于市十七届人大五次会议\n第123号建议的答复", "尊敬的王明远代表："]
    assert doc.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.LEFT  # the configured corner
    lines = [line for line in letter.body.splitlines()]
    assert texts[4:4 + len(lines)] == lines  # one paragraph per line of the body
    heading = paragraph(doc, "一、基本情况")
    assert heading.runs[0].font.size == Pt(16)  # the placeholder's formatting
    assert fonts(heading.runs[0])[0] == "黑体"
    kaiti, rest = paragraph(doc, "（一）线网优化…").runs
    assert fonts(kaiti)[0] == "楷体_GB2312" and rest.font.name == "仿宋"
    assert texts[4 + len(lines):] == ["示范市交通运输局", "2026年7月1日", "（联系人：张三；电话：0359-1234567）",
                                      "主动公开"]
    assert doc.tables[0].cell(0, 0).paragraphs[0].text == "抄送：市政府办公室，市人大常委会代表工委。"
    assert "{{" not in doc.element.xml


def test_template_paragraphs_whose_placeholders_are_all_empty_are_dropped(tmp_path):
    template = make_template(tmp_path / "template.docx")
    letter = sample_letter()
    letter.cc, letter.result_class = [], ""
    doc = read(render_reply_letter(letter, template))
    assert doc.paragraphs[0].text == "交函〔2026〕12号"
    assert doc.tables[0].cell(0, 0).paragraphs[0].text == ""  # a table cell keeps one (empty) paragraph
    assert "抄送" not in doc.element.xml


def test_template_with_an_unknown_placeholder_is_refused(tmp_path):
    doc = Document()
    doc.add_paragraph("{{unit}}：{{ sign_date }}")
    doc.save(tmp_path / "typo.docx")
    with pytest.raises(LetterError, match=r"未知的占位符：\{\{unit\}\}"):
        render_reply_letter(sample_letter(), tmp_path / "typo.docx")
    with pytest.raises(LetterError, match="模板不存在"):
        render_reply_letter(sample_letter(), tmp_path / "missing.docx")


def test_the_exported_template_gives_the_built_in_letter(tmp_path):
    """`letter template` writes the built-in layout with placeholders; filled, it reads like the built-in."""
    path = tmp_path / "exported.docx"
    path.write_bytes(render_template())
    exported = read(path.read_bytes())
    assert "{{unit_name}}" in exported.sections[0].first_page_header.paragraphs[0].text
    letter = sample_letter()
    built_in, filled = read(render_reply_letter(letter)), read(render_reply_letter(letter, path))
    assert [p.text for p in filled.paragraphs] == [p.text for p in built_in.paragraphs]
    assert filled.sections[0].first_page_header.paragraphs[0].text == "示范市交通运输局"
    assert_runs(paragraph(filled, "一、基本情况"), "黑体", 16)
    assert_runs(paragraph(filled, "王明远代表："), "仿宋_GB2312", 16)
    assert filled.tables[0].cell(0, 0).paragraphs[0].text == "抄送：市政府办公室，市人大常委会代表工委。"


# --- command line ----------------------------------------------------------------------------------

@pytest.fixture
def cli(tmp_path):
    from webapp import create_app
    from webapp.config import Settings
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'cli.db'}", secret_key="test"))
    runner = app.test_cli_runner()

    def run(*args):
        result = runner.invoke(args=["letter", *map(str, args)])
        assert result.exit_code == 0, (result.output, result.exception)
        return result
    return run


def test_cli_writes_a_sample_letter(cli, tmp_path):
    out = tmp_path / "sample.docx"
    assert "内置版式" in cli("sample", out).output
    doc = read(out.read_bytes())
    paragraph(doc, "关于市十七届人大五次会议第123号建议的答复")
    assert doc.paragraphs[0].text == "A"
    cli("sample", out, "--type", "proposal", "--co-unit", "--mark", "top_left")
    doc = read(out.read_bytes())
    paragraph(doc, "关于市政协十一届四次会议第45号提案的协办意见")
    assert doc.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.LEFT


def test_cli_writes_the_template_and_a_sample_from_it(cli, tmp_path):
    template = tmp_path / "template.docx"
    cli("template", template)
    assert "{{body}}" in [p.text for p in read(template.read_bytes()).paragraphs]
    out = tmp_path / "from-template.docx"
    assert "模板" in cli("sample", out, "--template", template).output
    paragraph(read(out.read_bytes()), "一、基本情况")


# --- the service topic, run by the worker -----------------------------------------------------------

LETTER_VARIABLES = dict(lead_unit_name="示范市交通运输局", letter_serial=12, item_type="suggestion",
                        session_label="十七届人大五次", item_no="第0123号", proposer_name="王明远", is_co_unit=False,
                        result_class="B", publication="主动公开", reply_date="2026-07-01", contact_person="张三",
                        contact_phone="0359-1234567")
BODY = "您提出的建议收悉。\n一、基本情况\n已经解决。"


def stored_files(engine, iid) -> list[StoredFile]:
    with engine.db.read() as s:
        return list(s.scalars(select(StoredFile).where(StoredFile.instance_id == iid).order_by(StoredFile.id)))


def start_letter(engine, key, body=BODY, **variables) -> int:
    """An instance of tests/diagrams/reply_letter.bpmn with the reply drafted in the form."""
    iid = engine.runtime.start("reply_letter", key, data={**LETTER_VARIABLES, **variables})
    engine.tasks.complete(open_tasks(engine, iid)["draft"].id, refresh_user(engine, "clerk1"), {"reply_body": body})
    return iid


def test_reply_letter_topic_stores_the_letter_as_a_file_of_the_instance(engine, people):
    deploy(engine, "reply_letter.bpmn")
    iid = start_letter(engine, "JY-123")
    assert engine.management.run_jobs() == 1
    [row] = stored_files(engine, iid)
    assert row.filename == "关于市十七届人大五次会议第123号建议的答复.docx"
    assert row.content_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert row.size == len(row.content)
    data = instance_data(engine, iid)
    assert data["reply_letter"] == {"file_id": row.id, "filename": row.filename, "size": row.size}
    assert data["reply_letter_file_id"] == row.id
    with engine.db.read() as s:
        job = s.scalars(select(Job).where(Job.instance_id == iid)).one()
        assert (job.status, job.result) == ("done", {"reply_letter": data["reply_letter"]})
    assert set(open_tasks(engine, iid)) == {"sign"}
    doc = read(row.content)
    assert doc.paragraphs[0].text == "B"
    paragraph(doc, "交函〔2026〕12号")
    paragraph(doc, "关于市十七届人大五次会议第123号建议的答复")
    paragraph(doc, "王明远代表：")
    assert_runs(paragraph(doc, "一、基本情况"), "黑体", 16)
    paragraph(doc, "2026年7月1日")
    assert doc.tables[0].cell(0, 0).paragraphs[0].text == "抄送：市政府办公室，市人大常委会代表工委。"


def test_reply_letter_topic_reads_a_long_body_kept_apart_and_uses_the_configured_template(
        engine, settings, people, tmp_path):
    import dataclasses
    from webapp.engine import Engine
    template = make_template(tmp_path / "template.docx")
    deploy(engine, "reply_letter.bpmn")
    with_template = Engine(dataclasses.replace(settings, letter_template_path=template))
    try:
        long_body = "（一）关于线网。" + "正文" * 400
        iid = start_letter(with_template, "TA-45", body=long_body, item_type="提案", session_label="政协十一届四次",
                           item_no=45, is_co_unit=True)
        with with_template.db.read() as s:
            [blob] = s.scalars(select(TextBlob).where(TextBlob.instance_id == iid)).all()
            parameters = s.scalars(select(Job.parameters).where(Job.instance_id == iid)).one()
        assert parameters["body"]["text_id"] == blob.id  # the job gets the reference, not the text
        assert with_template.management.run_jobs() == 1
        [row] = stored_files(with_template, iid)
        assert row.filename == "关于市政协十一届四次会议第45号提案的协办意见.docx"
        doc = read(row.content)
        assert doc.sections[0].header.paragraphs[0].text == "示范市交通运输局"  # the template's header
        heading, rest = paragraph(doc, "（一）关于线网。…").runs
        assert (fonts(heading)[0], rest.text) == ("楷体_GB2312", "正文" * 400)
    finally:
        with_template.db.dispose()


def test_reply_letter_topic_with_bad_data_becomes_an_incident_and_stores_nothing(engine, people):
    deploy(engine, "reply_letter.bpmn")
    iid = start_letter(engine, "JY-9", publication="公开")
    engine.management.run_jobs()
    with engine.db.read() as s:
        [incident] = s.scalars(select(Incident).where(Incident.instance_id == iid)).all()
    assert "LetterError: 公开属性应为主动公开、依申请公开、不予公开之一" in incident.message
    assert stored_files(engine, iid) == []


def test_deploy_refuses_a_reply_letter_task_without_its_required_parameters(engine):
    from tests.support.bpmn import linear
    from webapp.engine.errors import DeployError
    source = linear("bad_letter", '<bpmn:serviceTask id="make" name="生成答复函" camunda:type="external" '
                    'camunda:topic="reply_letter"><bpmn:extensionElements><camunda:inputOutput>'
                    '<camunda:inputParameter name="unit_name">示范市交通运输局</camunda:inputParameter>'
                    '<camunda:inputParameter name="letterhead">红头</camunda:inputParameter>'
                    '</camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>')
    with pytest.raises(DeployError) as raised:
        deploy(engine, source)
    message = str(raised.value)
    assert "服务主题“reply_letter”没有参数“letterhead”" in message
    for required in ("doc_prefix", "doc_serial", "item_type", "session_label", "item_no", "proposer_name",
                     "body", "publication"):
        assert f"缺少必填参数“{required}”" in message


# --- JobContext.store_file: the file belongs to the job's outcome -----------------------------------

def store_file_process():
    from tests.support.bpmn import linear
    return linear("keep_file", '<bpmn:serviceTask id="keep" name="保存文件" camunda:type="external" '
                  'camunda:topic="test_store_file" />',
                  '<bpmn:userTask id="after" name="后续" camunda:assignee="clerk1" />')


@pytest.fixture
def no_failures():
    topics.FAILURES["remaining"] = 0
    topics.CALLS.clear()
    yield
    topics.FAILURES["remaining"] = 0


def test_a_file_stored_by_a_job_that_failed_and_was_retried_is_kept_once(engine, people, no_failures):
    deploy(engine, store_file_process())
    iid = engine.runtime.start("keep_file", "F-1")
    topics.FAILURES["remaining"] = 2
    assert engine.management.run_jobs() == 3
    assert topics.CALLS["test_store_file"] == 3
    [row] = stored_files(engine, iid)
    assert (row.filename, row.content, row.content_type) == ("附件.txt", "文件内容".encode(), "text/plain")
    assert row.sha256 and row.size == len(row.content)
    assert instance_data(engine, iid)["stored"] == {"file_id": row.id, "filename": "附件.txt", "size": row.size}


def test_a_job_that_ends_as_an_incident_stores_no_file(engine, people, no_failures):
    deploy(engine, store_file_process())
    iid = engine.runtime.start("keep_file", "F-1")
    topics.FAILURES["remaining"] = 100
    engine.management.run_jobs()
    assert topics.CALLS["test_store_file"] == 3
    assert stored_files(engine, iid) == []
