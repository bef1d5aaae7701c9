"""The annual summary process (运城 六): unit summaries in parallel, statistics, the office's report."""
import io
from datetime import datetime

import pytest
import time_machine
from docx import Document

from tests.procedure.driver import accept, evaluate, register, to_reply
from webapp.clock import OFFICE_TZ


@pytest.fixture
def finished_year(proc):
    """Three items of 2026: one replied (A, satisfied) by jtj, one replied late (C) by jyj, one refused."""
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=OFFICE_TZ), tick=False) as clock:
        proc.start(item_no=1)
        register(proc, lead="jtj")
        accept(proc, "jtj")
        to_reply(proc, "jtj")
        evaluate(proc, "deputy", "satisfied")
        proc.do("publish_reply", "jtj_liaison", unit="jtj", contact_removed="confirmed")
        proc.do("post_reply_review", "jtj_handler", unit="jtj", problem_solved="solved", review_notes="已解决")
        proc.start(item_no=2, category="教育科技", is_key=True, key_source="unit")
        register(proc, lead="jyj", category="教育科技", is_key=True, key_source="unit")
        accept(proc, "jyj")
        clock.move_to(datetime(2026, 7, 1, 10, 0, tzinfo=OFFICE_TZ))  # past the 3 months: overdue
        proc.work()
        proc.do("dispatch", "jyj_liaison", unit="jyj", division="基教科", handler_name="周", leader_name="吴",
                responsible_head="郑", internal_due="2026-07-31", task_requirements="尽快办理")
        proc.do("consult_before", "jyj_handler", unit="jyj", consult_method="face_to_face", consult_date="2026-07-02",
                consult_participants="刘代表", consult_summary="面商")
        proc.do("draft_work_plan", "jyj_handler", unit="jyj", work_plan="制定校车线路优化方案，分步实施并跟踪评估效果。",
                plan_timetable="7月", plan_lead="郑局长")
        proc.do("approve_work_plan", "jyj_head", unit="jyj", plan_decision="approve")
        proc.do("joint_investigation", "jyj_handler", unit="jyj", investigation_date="2026-07-03",
                investigation_participants="刘代表", investigation_findings="条件不具备")
        proc.do("face_to_face_meeting", "jyj_handler", unit="jyj", meeting_date="2026-07-04", meeting_participants="刘代表",
                meeting_summary="说明原因")
        proc.do("situation_report", "jyj_handler", unit="jyj", situation_report_text="重点事项情况报告：经联合调研和面商，目前暂不具备实施条件，已向代表说明。")
        from tests.procedure.driver import draft, handle, office_and_reviewers, deliver, unit_review
        handle(proc, "jyj")
        draft(proc, "jyj", result_class="C", publication="not_public", no_publish_reason="涉及个人信息")
        unit_review(proc, "jyj")
        office_and_reviewers(proc)
        deliver(proc, "jyj")
        evaluate(proc, "deputy", "basically")
        proc.do("post_reply_review", "jyj_handler", unit="jyj", problem_solved="not_yet", review_notes="条件不具备")
        proc.start(item_no=3)
        proc.do("intake_review", "office", intake_decision="reject", category="交通运输", intake_reason="不属于本级职权")
        clock.move_to(datetime(2026, 12, 1, 10, 0, tzinfo=OFFICE_TZ))
        yield proc


def test_annual_summary(finished_year):
    proc = finished_year
    proc.instance_id = proc.engine.runtime.start("annual_summary", "summary-2026", "2026年度办理工作总结")
    proc.work()
    assert proc.claimants("launch_summary") == {"office", "office2"}
    proc.do("launch_summary", "office", year=2026, summary_units=["jtj", "jyj"], summary_due="2026-12-20")
    assert proc.open_summary() == [("write_unit_summary", "jtj"), ("write_unit_summary", "jyj")]
    assert proc.claimants("write_unit_summary", "jyj") == {"jyj_liaison"}
    assert "2026年度建议提案办理工作总结，请于 2026-12-20 前报送" in proc.notices("jyj_head")
    for unit in ("jtj", "jyj"):
        proc.do("write_unit_summary", f"{unit}_liaison", unit=unit, practices="面商在先", results="按期办结",
                problems="个别事项超期", improvements="加强督办")
    assert proc.open_summary() == [("compile_annual_report", None)]
    data = proc.data()
    assert [s["unit"] for s in data["unit_summaries"]] == ["jtj", "jyj"]
    # each unit's summary as a Word document of the summary process
    assert [(d["unit"], d["filename"]) for d in data["unit_summary_documents"]] == [
        ("jtj", "市交通运输局2026年度建议提案办理工作总结.docx"), ("jyj", "市教育局2026年度建议提案办理工作总结.docx")]
    texts = [p.text for p in Document(io.BytesIO(proc.files()[1].content)).paragraphs]
    assert texts[texts.index("一、主要做法") + 1] == "面商在先" and "市教育局" in texts
    stats = data["statistics"]
    assert stats["received"] == 3 and stats["registered"] == 2 and stats["not_registered"] == 1
    assert stats["by_type"] == {"人大建议": 2}
    assert stats["by_category"] == {"交通运输": 1, "教育科技": 1}
    assert stats["by_unit"] == {"jtj": 1, "jyj": 1}
    assert stats["key_items"] == 1
    assert stats["on_time_rate"] == 50.0  # jyj replied after its deadline
    assert stats["satisfaction_rate"] == 100.0 and stats["basically_satisfied"] == 1
    assert stats["class_shares"] == {"A": 50.0, "C": 50.0}
    assert stats["face_to_face_rate"] == 50.0
    # a long text (kept apart, the job reads it in full)
    proc.do("compile_annual_report", "office", report_text="2026年全市共收到建议提案3件，立案2件。" * 25)
    assert proc.status() == "completed"
    # the office's report with the statistics as tables
    [report] = [f for f in proc.files() if f.filename.startswith("关于2026年度")]
    assert report.filename == "关于2026年度人大代表建议和政协提案办理工作情况的报告.docx"
    doc = Document(io.BytesIO(report.content))
    texts = [p.text for p in doc.paragraphs]
    assert "市人大常委会、市政协常委会：" in texts and "2026年全市共收到建议提案3件" in texts[5]
    tables = {t.rows[0].cells[0].text: [[c.text for c in r.cells] for r in t.rows[1:]] for t in doc.tables}
    assert ["收到建议、提案", "3"] in tables["项目"] and ["立案", "2"] in tables["项目"]
    assert tables["承办单位"] == [["市交通运输局", "1"], ["市教育局", "1"]]
    assert ["按时办结率", "50.0%"] in tables["指标"] and ["满意率（含基本满意）", "100.0%"] in tables["指标"]
    assert "2026年度建议提案办理工作情况报告" in proc.notices("npc_reviewer")
