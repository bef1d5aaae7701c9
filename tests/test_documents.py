"""The documents besides the reply letter: a key item's work plan and situation report, a unit's annual
summary and the office's annual report (GB/T 9704 layout without 版头), read back with python-docx;
and their service topics, which keep them as files of the instance."""
import io
from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from sqlalchemy import select

from tests.support.bpmn import linear
from tests.support.helpers import deploy, instance_data
from webapp.documents import gbt9704 as std
from webapp.documents.annual_report import AnnualReport, render_annual_report
from webapp.documents.layout import chinese_numeral
from webapp.documents.report import DocumentError, ItemRef, Report, Table, render_report
from webapp.documents.situation_report import SituationReport, render_situation_report
from webapp.documents.unit_summary import UnitSummary, render_unit_summary
from webapp.documents.work_plan import WorkPlan, render_work_plan
from webapp.models import Job, StoredFile, TextBlob, Unit

ITEM = ItemRef(item_type="suggestion", session_label="十七届人大五次", item_no=123, title="关于改善城区公交线路的建议",
               proposer_name="刘代表")
STATISTICS = {"year": 2026, "received": 3, "registered": 2, "not_registered": 1, "by_type": {"人大建议": 2},
              "by_category": {"交通运输": 1, "教育科技": 1}, "by_unit": {"jyj": 1, "jtj": 2}, "key_items": 1,
              "replies_finished": 2, "on_time_rate": 50.0, "satisfaction_rate": 100.0, "satisfied": 1,
              "basically_satisfied": 1, "unsatisfied": 0, "class_shares": {"A": 50.0, "C": 50.0},
              "face_to_face_rate": None}


def read(data: bytes):
    return Document(io.BytesIO(data))


def texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def paragraph(doc, text):
    return next(p for p in doc.paragraphs if p.text == text)


def fonts(run) -> tuple[str, str]:
    rfonts = run._r.rPr.find(qn("w:rFonts"))
    return rfonts.get(qn("w:eastAsia")), rfonts.get(qn("w:ascii"))


def work_plan(**changes) -> WorkPlan:
    values = dict(unit_name="市交通运输局", item=ITEM, plan="成立专班。\n（一）调研客流。先摸清高峰时段的客流。",
                  timetable="12月调研，1月方案", lead="陈局长", approved_on=date(2026, 12, 1), co_units=["市教育局"])
    return WorkPlan(**{**values, **changes})


# --- the shared layout -------------------------------------------------------------------------------

def test_chinese_numerals_for_headings():
    assert [chinese_numeral(n) for n in (1, 4, 10, 11, 20, 23)] == ["一", "四", "十", "十一", "二十", "二十三"]


def test_report_page_grid_fonts_and_signature():
    doc = read(render_work_plan(work_plan()))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert abs(section.top_margin.mm - 37) < 0.2 and abs(section.left_margin.mm - 28) < 0.2
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:linePitch")) == str(std.LINE_PITCH_TWIPS)
    assert not section.different_first_page_header_footer  # page numbers from the first page on
    assert "PAGE" in section.footer._element.xml and "PAGE" in section.even_page_footer._element.xml
    title = paragraph(doc, "市交通运输局关于市十七届人大五次会议第123号建议的办理工作方案")
    assert fonts(title.runs[0]) == ("方正小标宋简体", "Times New Roman") and title.runs[0].font.size == Pt(22)
    assert texts(doc)[:2] == ["", ""]  # the title two lines below the top of the type area
    heading = paragraph(doc, "一、工作任务和措施")
    assert fonts(heading.runs[0])[0] == "黑体"
    kaiti, rest = paragraph(doc, "（一）调研客流。先摸清高峰时段的客流。").runs
    assert fonts(kaiti)[0] == "楷体_GB2312" and fonts(rest)[0] == "仿宋_GB2312" and rest.font.size == Pt(16)
    body = paragraph(doc, "成立专班。")
    assert body._p.pPr.find(qn("w:ind")).get(qn("w:firstLineChars")) == "200"
    date_line = paragraph(doc, "2026年12月1日")
    assert date_line._p.pPr.find(qn("w:ind")).get(qn("w:rightChars")) == "400"
    sign = paragraph(doc, "市交通运输局")
    assert texts(doc).index("市交通运输局") + 1 == texts(doc).index("2026年12月1日")
    assert int(sign._p.pPr.find(qn("w:ind")).get(qn("w:rightChars"))) > 400  # centred over the date
    assert doc.core_properties.title == "市交通运输局关于市十七届人大五次会议第123号建议的办理工作方案"


def test_work_plan_sections_and_co_units():
    lines = texts(read(render_work_plan(work_plan())))
    assert lines[lines.index("一、工作任务和措施") + 1] == "成立专班。"
    assert lines[lines.index("二、时间表和施工图") + 1] == "12月调研，1月方案"
    assert "三、组织领导" in lines and "四、协办单位" in lines and "市教育局按照协办职责积极配合。" in lines
    assert "四、协办单位" not in texts(read(render_work_plan(work_plan(co_units=[]))))
    intro = lines[4]  # two blank lines, the title, a blank line
    assert intro.startswith("刘代表提出的《关于改善城区公交线路的建议》（市十七届人大五次会议第123号建议）已列为重点建议")


def test_situation_report_to_the_office_with_the_four_ones():
    report = SituationReport(unit_name="市交通运输局", item=ItemRef(item_type="proposal", session_label="政协十一届四次",
                                                               item_no=45, title="关于公交的提案", proposer_name="吴委员"),
                             text="已完成调研和面商，正在实施。", sign_date=date(2026, 12, 9), plan_lead="陈局长",
                             investigation_date="2026-12-05", investigation_participants="吴委员、督查室",
                             investigation_findings="高峰时段运力不足", meeting_date="2026-12-08",
                             meeting_participants="吴委员", meeting_summary="商定增开两条线路。",
                             contact_person="李四", contact_phone="0359-2345678")
    lines = texts(read(render_situation_report(report)))
    assert lines[2] == "市交通运输局关于市政协十一届四次会议第45号提案办理情况的报告"
    assert lines[4] == "市政府办公室："
    assert "2026年12月5日，吴委员、督查室参加；高峰时段运力不足。" in lines
    assert "2026年12月8日，吴委员参加；商定增开两条线路。" in lines
    assert lines[lines.index("四、办理情况") + 1] == "已完成调研和面商，正在实施。"
    assert lines[-1] == "（联系人：李四，联系电话：0359-2345678）"


def test_unit_summary_has_the_four_parts():
    summary = UnitSummary(unit_name="市教育局", year=2026, practices="面商在先", results="按期办结", problems="",
                          improvements="加强督办", sign_date=date(2026, 12, 20))
    lines = texts(read(render_unit_summary(summary)))
    assert lines[2] == "市教育局2026年度建议提案办理工作总结" and lines[4] == "市政府办公室："
    # an empty part is left out and the numbering closes up
    assert [line for line in lines if line[:2] in ("一、", "二、", "三、", "四、")] == [
        "一、主要做法", "二、取得成效", "三、改进措施和对策建议"]


def test_annual_report_text_and_statistics_tables():
    doc = read(render_annual_report(AnnualReport(year=2026, text="一、基本情况\n全年共收到建议提案3件。", statistics=STATISTICS,
                                                 sign_unit="市人民政府办公室", sign_date=date(2027, 1, 10),
                                                 unit_names={"jtj": "市交通运输局", "jyj": "市教育局"})))
    lines = texts(doc)
    assert lines[2] == "关于2026年度人大代表建议和政协提案办理工作情况的报告"
    assert lines[4] == "市人大常委会、市政协常委会：" and "附：2026年度建议提案办理情况统计" in lines
    captions = [line for line in lines if line.startswith("表")]
    assert captions == ["表1　总体情况", "表2　按类型统计", "表3　按类别统计", "表4　按承办单位统计", "表5　办理质量"]
    tables = [[[c.text for c in r.cells] for r in t.rows] for t in doc.tables]
    assert tables[0][0] == ["项目", "件数"] and ["不予立案、并案或转为意见建议", "1"] in tables[0]
    assert tables[1] == [["类型", "立案件数", "占比"], ["人大建议", "2", "100.0%"]]
    assert tables[3][1:] == [["市交通运输局", "2"], ["市教育局", "1"]]  # most first
    assert ["面商率", "—"] in tables[4] and ["A类（已经解决或基本解决）占比", "50.0%"] in tables[4]
    header = doc.tables[0].rows[0]
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated on each page
    assert fonts(header.cells[0].paragraphs[0].runs[0])[0] == "黑体"
    number = doc.tables[0].rows[1].cells[1].paragraphs[0]
    assert number._p.pPr.find(qn("w:jc")).get(qn("w:val")) == "right"
    assert lines[-2:] == ["市人民政府办公室", "2027年1月10日"]


def test_missing_essentials_are_refused_in_chinese():
    with pytest.raises(DocumentError, match="工作方案缺少领办领导"):
        work_plan(lead=" ")
    with pytest.raises(DocumentError, match="事项编号应为正整数"):
        ItemRef(item_type="suggestion", session_label="十七届人大五次", item_no=0)
    with pytest.raises(DocumentError, match="没有内容"):
        UnitSummary(unit_name="市教育局", year=2026, practices="", results="", problems="", improvements="",
                    sign_date=date(2026, 12, 20))
    with pytest.raises(DocumentError, match="缺少正文"):
        Report(title="标题", blocks=["  "], sign_unit="单位", sign_date=date(2026, 1, 1))


def test_report_filename_is_safe():
    report = Report(title="关于A/B线路的报告", blocks=["正文"], sign_unit="单位", sign_date=date(2026, 1, 1))
    assert report.filename == "关于A_B线路的报告.docx"
    assert read(render_report(Report(title="表", blocks=[Table("表1", ["a", "b"], [["x", "1"]])], sign_unit="单位",
                                     sign_date=date(2026, 1, 1)))).tables[0].rows[1].cells[0].text == "x"


# --- the service topics --------------------------------------------------------------------------------

def documents_process():
    def task(id_, topic, params, output):
        inputs = "".join(f'<camunda:inputParameter name="{k}">{v}</camunda:inputParameter>' for k, v in params.items())
        return (f'<bpmn:serviceTask id="{id_}" name="{id_}" camunda:type="external" camunda:topic="{topic}">'
                f'<bpmn:extensionElements><camunda:inputOutput>{inputs}'
                f'<camunda:outputParameter name="{output}">${{{output}}}</camunda:outputParameter>'
                '</camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>')
    item = dict(unit_name="${unit_name('U1')}", item_type="suggestion", session_label="十七届人大五次",
                item_no="第0123号", item_title="关于改善城区公交线路的建议", proposer_name="刘代表")
    return linear(
        "documents",
        '<bpmn:userTask id="write" name="填写" camunda:assignee="clerk1"><bpmn:extensionElements><camunda:formData>'
        '<camunda:formField id="long_plan" label="方案" type="textarea" /></camunda:formData></bpmn:extensionElements>'
        '</bpmn:userTask>',
        task("plan", "work_plan_document", {**item, "work_plan": "${long_plan}", "timetable": "12月",
                                            "plan_lead": "陈局长", "co_units": "U1,UX", "sign_date": "2026-12-01"},
             "work_plan_document"),
        task("report", "situation_report_document", {**item, "report_text": "已完成调研。",
                                                     "meeting_date": "2026-12-08"}, "situation_report_document"),
        task("summaries", "unit_summary_documents",
             {"year": "2026", "summaries": "${[{'unit': 'U1', 'practices': long_plan, 'results': '按期办结'}]}"},
             "unit_summary_documents"),
        task("annual", "annual_report_document",
             {"year": "${2026}", "report_text": "全年办理情况良好。", "statistics": "${statistics}",
              "sign_unit": "市人民政府办公室"}, "annual_report_document"),
        '<bpmn:userTask id="after" name="后续" camunda:assignee="clerk1" />')


def test_document_topics_keep_each_document_as_a_file_of_the_instance(engine, people):
    from tests.support.helpers import open_tasks, refresh_user
    deploy(engine, documents_process())
    iid = engine.runtime.start("documents", "D-1", data={"statistics": {**STATISTICS, "by_unit": {"U1": 2}}})
    long_plan = "（一）调研客流。" + "详细措施" * 200
    engine.tasks.complete(open_tasks(engine, iid)["write"].id, refresh_user(engine, "clerk1"), {"long_plan": long_plan})
    engine.management.run_jobs()
    with engine.db.read() as s:
        jobs = s.scalars(select(Job).where(Job.instance_id == iid)).all()
        assert [(j.status, j.last_error) for j in jobs] == [("done", None)] * 4
    with engine.db.read() as s:
        rows = list(s.scalars(select(StoredFile).where(StoredFile.instance_id == iid).order_by(StoredFile.id)))
        assert s.scalars(select(TextBlob.id).where(TextBlob.instance_id == iid)).one()
        assert s.scalar(select(Unit.name).where(Unit.code == "U1")) == "市测试局"
    assert [r.filename for r in rows] == [
        "市测试局关于市十七届人大五次会议第123号建议的办理工作方案.docx",
        "市测试局关于市十七届人大五次会议第123号建议办理情况的报告.docx",
        "市测试局2026年度建议提案办理工作总结.docx",
        "关于2026年度人大代表建议和政协提案办理工作情况的报告.docx"]
    data = instance_data(engine, iid)
    assert data["work_plan_document"] == {"file_id": rows[0].id, "filename": rows[0].filename, "size": rows[0].size}
    assert data["unit_summary_documents"] == [{"file_id": rows[2].id, "filename": rows[2].filename,
                                               "size": rows[2].size, "unit": "U1"}]
    plan = texts(read(rows[0].content))
    # the long text entered in the form just before: the job gets its reference and reads the full text
    assert "（一）调研客流。" + "详细措施" * 200 in [p.replace("\n", "") for p in plan]
    assert "市测试局、UX按照协办职责积极配合。" in plan and plan[-1] == "2026年12月1日"
    summary = texts(read(rows[2].content))
    assert summary[summary.index("一、主要做法") + 1].startswith("（一）调研客流。")
    annual = read(rows[3].content)
    assert annual.tables[3].rows[1].cells[0].text == "市测试局"


def test_a_document_topic_with_bad_data_becomes_an_incident_and_stores_nothing(engine, people):
    from tests.support.helpers import open_tasks, refresh_user
    from webapp.models import Incident
    deploy(engine, documents_process())
    iid = engine.runtime.start("documents", "D-2", data={"statistics": STATISTICS})
    engine.tasks.complete(open_tasks(engine, iid)["write"].id, refresh_user(engine, "clerk1"), {"long_plan": ""})
    engine.management.run_jobs()
    with engine.db.read() as s:
        [incident] = s.scalars(select(Incident).where(Incident.instance_id == iid)).all()
        assert "工作方案缺少工作方案（plan）" in incident.message
        assert s.scalars(select(StoredFile).where(StoredFile.instance_id == iid)).all() == []
