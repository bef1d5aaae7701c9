"""The reply letter as HTML (the task page's live preview): the same lines as the Word letter, read back
with python-docx, from the one ReplyLetter; drafts mark what is missing; the diagrams' `letter_preview`
property is checked at deploy."""
import io
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from lxml import html as lxml_html

from service_tasks.documents import build_reply_letter
from webapp.documents import gbt9704 as std
from webapp.documents.letter import LetterError, ReplyLetter, render_reply_letter, sample_letter
from webapp.documents.letter_html import render_error_html, render_letter_html
from webapp.engine.repository import sources_from_dirs
from webapp.engine.validation import DefinitionSource, check_definitions

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 24)


def docx_lines(letter: ReplyLetter) -> list[str]:
    """Every text of the Word letter in reading order: letterhead (first page header), the body's
    non-empty paragraphs, 抄送 (the imprint table); line breaks removed."""
    doc = Document(io.BytesIO(render_reply_letter(letter)))
    lines = [p.text for p in doc.sections[0].first_page_header.paragraphs if p.text]
    lines += [p.text for p in doc.paragraphs if p.text]
    lines += [p.text for table in doc.tables for cell in table._cells for p in cell.paragraphs if p.text]
    return [line.replace("\n", "") for line in lines]


def html_tree(letter: ReplyLetter):
    return lxml_html.fragment_fromstring(str(render_letter_html(letter)))


def html_lines(letter: ReplyLetter) -> list[str]:
    lines = []
    for element in html_tree(letter).iter():
        part = element.get("data-part")
        if part == "body":
            lines += [p.text_content() for p in element.findall("p")]
        elif part:
            lines.append(element.text_content())
    return lines


@pytest.mark.parametrize("item_type,is_co_unit,position", [("suggestion", False, "top_right"),
                                                           ("proposal", True, "top_left")])
def test_the_html_has_the_same_lines_as_the_word_letter(item_type, is_co_unit, position):
    letter = sample_letter(item_type, is_co_unit, position)
    lines = html_lines(letter)
    assert lines == docx_lines(letter)
    assert lines[:4] == ["示范市交通运输局", "A", "交函〔2026〕12号", letter.title]
    assert "公开属性：主动公开" in lines and "（联系人：张三，联系电话：0359-1234567）" in lines
    assert lines[-1] == ("抄送：市政府办公室，市政协提案委。" if item_type == "proposal"
                         else "抄送：市政府办公室，市人大常委会代表工委。")
    mark = html_tree(letter).find(".//*[@data-part='class_mark']")
    assert mark.get("class") == f"lp-class-mark lp-{'left' if position == 'top_left' else 'right'}"


def test_optional_lines_are_left_out_in_both():
    letter = sample_letter()
    letter.result_class, letter.contact_person, letter.contact_phone, letter.cc = "", "", "", []
    lines = html_lines(letter)
    assert lines == docx_lines(letter)
    parts = {e.get("data-part") for e in html_tree(letter).iter() if e.get("data-part")}
    assert not parts & {"class_mark", "note", "cc"}


def test_body_headings_get_the_fonts_the_word_letter_gives_them():
    letter = sample_letter()
    doc = Document(io.BytesIO(render_reply_letter(letter)))
    word = {}
    for p in doc.paragraphs:
        for run in p.runs:
            word[run.text] = run._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))
    body = html_tree(letter).find(".//*[@data-part='body']")
    classes = {std.HEITI: "lp-heiti", std.KAITI: "lp-kaiti"}
    spans = body.findall(".//span")
    assert [s.text for s in spans] == ["一、基本情况", "（一）线网优化。", "（二）站点建设。", "二、下一步工作"]
    for span in spans:
        assert span.get("class") == classes[word[span.text]]
    first_line = body.findall("p")[0]
    assert first_line.text_content().startswith("您提出的《关于加快城区公交线网优化的建议》收悉")


def test_title_breaks_where_the_word_letter_breaks_it():
    letter = sample_letter()
    letter.session_label = "十七届人大五次会议联组"  # long enough to need two lines
    title = html_tree(letter).find(".//h2")
    doc = Document(io.BytesIO(render_reply_letter(letter)))
    word_title = next(p.text for p in doc.paragraphs if p.text.startswith("关于"))
    assert "\n" in word_title
    assert [title.text, title.find("br").tail] == word_title.split("\n")


def test_values_are_escaped():
    letter = sample_letter()
    letter.body = "一、<b>情况</b>\n请见 <script>alert(1)</script> & 附件"
    html = str(render_letter_html(letter))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 附件" in html
    assert "&lt;b&gt;情况&lt;/b&gt;" in html
    assert "<div" in str(render_error_html("<x>")) and "&lt;x&gt;" in str(render_error_html("<x>"))


# --- drafts: the preview of values not yet complete ---------------------------------------------------

PARAMS = dict(unit_name="市交通运输局", doc_prefix=None, doc_serial=None, item_type="suggestion",
              session_label="十七届人大五次", item_no=123, proposer_name="刘明", body="", is_co_unit=False,
              result_class="B", publication=None, contact_person="李四", contact_phone="0359-2345678",
              cc=["市政府办公室", "市人大常委会代表工委"])


def text(value):
    return "" if value is None else str(value).strip()


def test_a_draft_shows_placeholders_for_what_is_missing():
    letter = build_reply_letter(PARAMS, text=text, today=TODAY, draft=True)
    assert letter.missing == {"doc_number": "〔2026〕×号", "body": "【答复正文】", "publication": "【公开属性】"}
    tree = html_tree(letter)
    marks = [m.text for m in tree.iter("mark")]
    assert marks == ["〔2026〕×号", "【答复正文】", "【公开属性】"]
    assert all(m.get("class") == "lp-missing" for m in tree.iter("mark"))
    assert "is-draft" in tree.get("class")
    lines = html_lines(letter)
    assert lines == docx_lines(letter)  # the Word 预览稿 says the same, placeholders included
    assert "公开属性：【公开属性】" in lines and "2026年11月24日" in lines
    assert letter.filename == "关于市十七届人大五次会议第123号建议的答复（预览稿）.docx"


def test_a_draft_numbered_with_a_prefix_but_no_serial_keeps_the_prefix():
    letter = build_reply_letter({**PARAMS, "doc_prefix": "交函", "doc_serial": "", "body": "正文。",
                                 "publication": "主动公开"}, text=text, today=TODAY, draft=True)
    assert letter.doc_number == "交函〔2026〕×号"
    assert [m.text for m in html_tree(letter).iter("mark")] == ["〔2026〕×号"]


def test_a_complete_draft_has_no_placeholders_and_the_real_letter_refuses_gaps():
    full = {**PARAMS, "doc_prefix": "交函", "doc_serial": "12", "body": "一、情况\n已办理。", "publication": "主动公开"}
    letter = build_reply_letter(full, text=text, today=TODAY, draft=True)
    assert letter.missing == {} and letter.doc_number == "交函〔2026〕12号"
    assert not list(html_tree(letter).iter("mark"))
    assert build_reply_letter(full, text=text, today=TODAY).filename.endswith("答复.docx")
    with pytest.raises(LetterError, match="发文顺序号应为数字"):
        build_reply_letter(PARAMS, text=text, today=TODAY)
    with pytest.raises(LetterError, match="事项编号|建议/提案编号"):
        build_reply_letter({**full, "item_no": None}, text=text, today=TODAY)


def test_a_draft_with_an_invalid_item_number_and_no_proposer_still_renders():
    letter = build_reply_letter({**PARAMS, "item_no": "", "proposer_name": None}, text=text, today=TODAY,
                                draft=True)
    assert letter.title == "关于市十七届人大五次会议第【编号】号建议的答复"
    assert html_lines(letter)[3] == letter.title.replace("\n", "")
    assert "【代表/委员姓名】代表：" in html_lines(letter)


def test_a_draft_still_refuses_what_no_one_can_fill_in_on_a_form():
    with pytest.raises(LetterError, match="事项类型"):
        build_reply_letter({**PARAMS, "item_type": "motion"}, text=text, today=TODAY, draft=True)


# --- the diagrams' letter_preview property ---------------------------------------------------------------

def _problems(replace_old: str, replace_new: str, filename: str) -> list[str]:
    sources = []
    for src in sources_from_dirs(ROOT / "bpmn", ROOT / "dmn"):
        content = src.content
        if src.filename == filename:
            assert replace_old in content
            content = content.replace(replace_old, replace_new, 1)
        sources.append(DefinitionSource(src.kind, src.filename, content))
    return [f"{p.element_id}: {p.reason}" for p in check_definitions(sources)[1] if "letter_preview" in p.reason]


def test_the_product_diagrams_declare_valid_previews():
    assert _problems("", "", "unit_handling.bpmn") == []
    text = (ROOT / "bpmn" / "unit_handling.bpmn").read_text(encoding="utf-8")
    assert text.count('<camunda:property name="letter_preview" value="generate_letter" />') == 6


def test_a_preview_naming_another_kind_of_task_or_topic_is_refused():
    old = '<camunda:property name="letter_preview" value="generate_co_opinion" />'
    assert _problems(old, old.replace("generate_co_opinion", "record_co_opinion"), "co_unit_handling.bpmn") == [
        "write_co_opinion: 扩展属性 letter_preview 应为本流程中生成答复函的服务任务的标识，"
        "而“record_co_opinion”不是本流程的服务任务"]
    assert _problems(old, old.replace("generate_co_opinion", "send_co_opinion"), "co_unit_handling.bpmn") == [
        "write_co_opinion: 扩展属性 letter_preview 指向的服务任务“send_co_opinion”的主题是“notify”，"
        "应为 reply_letter（生成答复函）"]
