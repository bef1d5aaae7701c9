"""Path tests: the deployed procedure (bpmn/ + dmn/) driven through the engine, one test per path.

Each asserts the sequence of human tasks, who may claim them and the resulting data. The clock is
frozen on Monday 2026-11-23, 10:00 office time, so every deadline is known in advance.
"""
import io
import json
from datetime import date, datetime, timedelta

import pytest
import time_machine
from docx import Document
from sqlalchemy import select

from tests.procedure.driver import (accept, consult, deliver, dispatch, draft, evaluate, handle, office_and_reviewers,
                                    register, scan, to_reply, unit_people, unit_review)
from webapp.clock import OFFICE_TZ
from webapp.engine.forms import FormErrors
from webapp.models import HumanTask, Timer

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=OFFICE_TZ)
OFFICE = {"office", "office2"}


@pytest.fixture
def clock():
    traveller = time_machine.travel(T0, tick=False)
    moved = traveller.start()
    yield moved
    traveller.stop()


def at(clock, when: datetime):
    clock.move_to(when)


def end_of(day: str) -> str:
    return f"{day}T23:59:59+08:00"


# --- intake -------------------------------------------------------------------------------------------

def test_not_registered_tells_the_proposer_and_the_reviewers(proc, clock):
    proc.start()
    assert proc.claimants("intake_review") == OFFICE
    with pytest.raises(FormErrors) as refused:  # a refusal needs its reason
        proc.do("intake_review", "office", intake_decision="reject", category="交通运输")
    assert "intake_reason" in refused.value.errors
    assert proc.open_summary() == [("intake_review", None)]
    proc.do("intake_review", "office", intake_decision="reject", category="交通运输", intake_reason="不属于本级政府职权")
    assert proc.created() == ["intake_review"]
    assert proc.status() == "completed"
    assert proc.notices("deputy") == ["不予立案：关于改善城区公交线路的建议"]
    assert proc.notices("npc_reviewer") == ["不予立案：关于改善城区公交线路的建议"]
    assert proc.notices("cppcc_reviewer") == []


def test_merged_into_another_item(proc, clock):
    proc.start()
    with pytest.raises(FormErrors) as refused:
        proc.do("intake_review", "office", intake_decision="merge", category="交通运输")
    assert "merged_into" in refused.value.errors
    proc.do("intake_review", "office", intake_decision="merge", category="交通运输", merged_into="十七届五次第0101号")
    assert proc.status() == "completed"
    assert proc.data()["merged_into"] == "十七届五次第0101号"
    assert proc.notices("deputy") == ["已并案办理：关于改善城区公交线路的建议"]


def test_turned_into_an_opinion_for_a_proposal_goes_to_the_cppcc(proc, clock):
    proc.start(item_type="proposal", proposer="member", proposer_name="吴委员")
    proc.do("intake_review", "office", intake_decision="to_opinion", category="交通运输", intake_reason="属于意见建议")
    assert proc.notices("member") == ["转为意见建议处理：关于改善城区公交线路的建议"]
    assert proc.notices("cppcc_reviewer") == ["转为意见建议处理：关于改善城区公交线路的建议"]
    assert proc.notices("npc_reviewer") == []


# --- assignment and the objection window -----------------------------------------------------------------

def test_assignment_suggests_units_from_the_category(proc, clock):
    proc.start(category="医疗卫生")
    proc.do("intake_review", "office", intake_decision="register", category="医疗卫生")
    form = proc.task("assign_units").form_data
    assert form["handling_mode"] == "lead_co"
    assert form["lead_unit"] == "wjw"
    assert form["co_units"] == ["ybj"]
    assert proc.data()["suggested_units"] == "wjw,ybj"
    # the office reads the suggestion as unit names (ybj is not a unit of this small city: its code)
    assert form["suggestion_view"] == "市卫生健康委员会、ybj"


def test_objection_within_the_window_and_reassignment(proc, clock):
    proc.start()
    register(proc, lead="jtj")
    task = proc.task("check_remit", "jtj")
    assert proc.claimants("check_remit", "jtj") == {"jtj_liaison"}
    assert task.due_at.astimezone(OFFICE_TZ).isoformat() == end_of("2026-12-02")  # 7 working days
    assert proc.notices("jtj_liaison") == ["新交办建议：关于改善城区公交线路的建议"]
    at(clock, datetime(2026, 12, 2, 16, 0, tzinfo=OFFICE_TZ))  # the last day of the window
    proc.work()
    proc.do("check_remit", "jtj_liaison", unit="jtj", remit_decision="object", objection_reason="公交线路由公交集团负责，属住建局监管")
    assert proc.open_summary() == [("assign_units", None)]
    form = proc.task("assign_units").form_data
    assert "jtj：公交线路由公交集团负责" in form["objections_view"]
    proc.do("assign_units", "office", handling_mode="single", lead_unit="zjj", co_units=[], split_units=[])
    assert proc.open_summary() == [("check_remit", "zjj")]  # only the new unit checks
    assert proc.claimants("check_remit", "zjj") == {"zjj_liaison"}
    accept(proc, "zjj")
    assert proc.open_summary() == [("dispatch", "zjj")]
    assert proc.created() == ["intake_review", "assign_units", "check_remit", "assign_units", "check_remit", "dispatch"]
    data = proc.data()
    assert data["handling_units"] == [{"unit": "zjj", "role": "single"}]
    assert data["reassign_count"] == 1


def test_the_window_closes_by_timer(proc, clock):
    proc.start()
    register(proc, lead="jtj")
    at(clock, datetime(2026, 12, 2, 23, 0, tzinfo=OFFICE_TZ))
    proc.work()
    assert proc.open_summary() == [("check_remit", "jtj")]  # still the 7th working day
    at(clock, datetime(2026, 12, 3, 0, 1, tzinfo=OFFICE_TZ))
    proc.work()
    assert proc.open_summary() == [("dispatch", "jtj")]  # accepted: the unit can no longer refuse
    data = proc.data()
    assert data["acceptances"][0]["by_timer"] is True
    assert data["acceptances"][0]["decision"] == "accept"


# --- 主办＋协办, 分办 -------------------------------------------------------------------------------------

def test_lead_unit_with_two_co_units_in_parallel(proc, clock):
    proc.start()
    register(proc, mode="lead_co", lead="jtj", co=["zjj", "jyj"])
    assert proc.open_summary() == [("check_remit", "jtj"), ("check_remit", "jyj"), ("check_remit", "zjj")]
    accept(proc, "jtj", "zjj", "jyj")
    # co-units reply separately (decision table co_unit_separate_reply), in parallel with the lead
    assert proc.open_summary() == [("co_unit_reply", "jyj"), ("co_unit_reply", "zjj"), ("dispatch", "jtj")]
    dispatch(proc, "jtj")
    assert ("co_dispatch", "zjj") in proc.open_summary() and ("co_dispatch", "jyj") in proc.open_summary()
    assert proc.claimants("co_dispatch", "zjj") == {"zjj_liaison"}
    for unit in ("zjj", "jyj"):
        proc.do("co_dispatch", f"{unit}_liaison", unit=unit, co_division="规划科", co_handler="赵六")
        proc.do("write_co_opinion", f"{unit}_handler", unit=unit, co_opinion_text=f"{unit}同意配合调整公交站点布局，负责新建站台的规划审批和建设。",
                co_contact="赵六", co_phone="0359-3456789")
    consult(proc, "jtj")
    handle(proc, "jtj")
    assert "draft_reply" not in dict(proc.open_summary())  # the lead waits for the co-units' opinions
    proc.do("sign_co_opinion", "zjj_head", unit="zjj", co_sign_decision="approve", co_doc_prefix="住建函",
            co_doc_serial=8)
    assert "draft_reply" not in dict(proc.open_summary())
    proc.do("sign_co_opinion", "jyj_head", unit="jyj", co_sign_decision="return", co_sign_comment="请具体说明措施")
    proc.do("write_co_opinion", "jyj_handler", unit="jyj", co_opinion_text="jyj将调整校车线路与公交衔接，并组织学校错峰放学减轻高峰压力。",
            co_contact="钱七", co_phone="0359-4567890")
    proc.do("sign_co_opinion", "jyj_head", unit="jyj", co_sign_decision="approve", co_doc_prefix="教函",
            co_doc_serial=3)
    # each signed opinion is a letter-format Word document of the item (协办意见, to the lead unit)
    opinions = [f for f in proc.files() if f.filename.endswith("的协办意见.docx")]
    assert [f.filename for f in opinions] == ["关于市十七届人大五次会议第123号建议的协办意见.docx"] * 2
    letters = {o["unit"]: o["letter"]["file_id"] for o in proc.task_data("draft_reply")["co_opinions"]}
    assert sorted(letters.values()) == [f.id for f in opinions]
    opinion = Document(io.BytesIO(opinions[0].content))
    texts = [p.text for p in opinion.paragraphs]
    assert opinion.sections[0].first_page_header.paragraphs[0].text == "市住房和城乡建设局"
    assert "住建函〔2026〕8号" in texts and "市交通运输局：" in texts  # addressed to the lead unit
    assert not [t for t in texts if t.startswith("公开属性")]
    form = proc.task("draft_reply", "jtj").form_data
    assert "市住房和城乡建设局：zjj同意配合" in form["co_opinion_view"] and "市教育局：jyj将调整校车线路" in form["co_opinion_view"]
    assert "收到协办意见：关于改善城区公交线路的建议" in proc.notices("jtj_handler")
    for unit in ("zjj", "jyj"):
        proc.do("co_unit_reply", f"{unit}_handler", unit=unit, co_reply_text="协办单位答复：已配合主办单位落实站点建设，预计明年三月完工。", co_reply_scan=scan())
    draft(proc, "jtj")
    unit_review(proc, "jtj")
    office_and_reviewers(proc)
    deliver(proc, "jtj")
    # no platform address configured: the upload waits in the outbox with the scan and the letter
    [upload] = (proc.engine.settings.platform_outbox_dir / "npc").iterdir()
    meta = json.loads((upload / "metadata.json").read_text(encoding="utf-8"))
    assert meta["unit"] == {"code": "jtj", "name": "市交通运输局", "role": "lead"} and meta["item_no"] == "123"
    assert [(f["role"], f["filename"]) for f in meta["files"]] == [
        ("scan", "答复函（签章）.pdf"), ("letter", "关于市十七届人大五次会议第123号建议的答复.docx")]
    assert (upload / "1_scan_答复函（签章）.pdf").read_bytes() == b"%PDF-1.4 signed scan"
    evaluate(proc)
    proc.do("publish_reply", "jtj_liaison", unit="jtj", contact_removed="confirmed")
    proc.do("post_reply_review", "jtj_handler", unit="jtj", problem_solved="solved", review_notes="已解决")
    assert proc.status() == "completed"
    data = proc.data()
    assert [r["unit"] for r in data["unit_results"]] == ["jtj"]
    assert len(data["co_replies"]) == 2


def test_split_units_each_handle_and_reply_alone(proc, clock):
    proc.start(category="其他")
    register(proc, mode="split", lead=None, split=["jtj", "jyj"], category="其他")
    accept(proc, "jtj", "jyj")
    assert proc.open_summary() == [("dispatch", "jtj"), ("dispatch", "jyj")]
    to_reply(proc, "jtj")
    assert ("evaluate_reply", None) in proc.open_summary() and ("dispatch", "jyj") in proc.open_summary()
    evaluate(proc)
    proc.do("publish_reply", "jtj_liaison", unit="jtj", contact_removed="confirmed")
    proc.do("post_reply_review", "jtj_handler", unit="jtj", problem_solved="solved", review_notes="已解决")
    assert proc.status() == "running"  # the other unit has not replied yet
    to_reply(proc, "jyj", result_class="C", publication="not_public", no_publish_reason="涉及个人信息")
    evaluate(proc, satisfaction="basically")
    proc.do("post_reply_review", "jyj_handler", unit="jyj", problem_solved="not_yet", review_notes="条件不具备")
    proc.do  # the C item now waits a year for its re-check
    assert proc.open_summary() == []
    at(clock, datetime(2027, 12, 24, 10, 0, tzinfo=OFFICE_TZ))
    proc.work()
    assert proc.open_summary() == [("recheck_conditions", "jyj")]
    proc.do("recheck_conditions", "jyj_handler", unit="jyj", recheck_result="close", recheck_notes="政策未变化，不再跟踪")
    assert proc.status() == "completed"
    results = {r["unit"]: r for r in proc.data()["unit_results"]}
    assert results["jtj"]["result_class"] == "A" and results["jtj"]["published"] is True
    assert results["jyj"]["result_class"] == "C" and results["jyj"]["published"] is False
    assert results["jyj"]["evaluations"] == ["basically"]


# --- 四个面商 -------------------------------------------------------------------------------------------

def _to_face_to_face_check(proc, method="phone", **judgement):
    proc.start(proposer_requested_face_to_face=judgement.pop("requested", False))
    register(proc, lead="jtj")
    accept(proc, "jtj")
    dispatch(proc, "jtj")
    consult(proc, "jtj", method=method, **judgement)
    handle(proc, "jtj")


def test_requested_face_to_face_blocks_the_reply_until_a_record_exists(proc, clock):
    _to_face_to_face_check(proc, requested=True)
    assert proc.data()["face_to_face_label"] == "必须面商"
    assert proc.open_summary() == [("record_face_to_face", "jtj")]  # no draft without a face-to-face record
    assert proc.claimants("record_face_to_face", "jtj") == {"jtj_handler"}
    proc.do("record_face_to_face", "jtj_handler", unit="jtj", f2f_date="2026-12-01", f2f_participants="刘代表、李四",
            f2f_summary="当面沟通线路调整方案")
    assert proc.open_summary() == [("draft_reply", "jtj")]
    data = proc.data()
    assert data["had_face_to_face"] is True
    assert [c["stage"] for c in data["consultations"]] == ["before", "during", "face_to_face"]


def test_a_face_to_face_consultation_already_held_satisfies_the_rule(proc, clock):
    _to_face_to_face_check(proc, method="face_to_face", requested=True)
    assert proc.open_summary() == [("draft_reply", "jtj")]


def test_beneficial_face_to_face_needs_a_reason_approved_by_the_leader(proc, clock):
    _to_face_to_face_check(proc, face_to_face_beneficial=True)
    assert proc.data()["face_to_face_label"] == "应予面商"
    assert proc.open_summary() == [("explain_no_face_to_face", "jtj")]
    proc.do("explain_no_face_to_face", "jtj_handler", unit="jtj", no_f2f_reason="代表长期在外地，已多次电话沟通")
    assert proc.claimants("approve_no_face_to_face", "jtj") == {"jtj_leader"}
    proc.do("approve_no_face_to_face", "jtj_leader", unit="jtj", no_f2f_decision="reject")
    assert proc.open_summary() == [("record_face_to_face", "jtj")]  # refused: meet in person after all
    proc.do("record_face_to_face", "jtj_handler", unit="jtj", f2f_date="2026-12-01", f2f_participants="刘代表",
            f2f_summary="视频面商")
    assert proc.open_summary() == [("draft_reply", "jtj")]


def test_beneficial_face_to_face_approved_reason(proc, clock):
    _to_face_to_face_check(proc, face_to_face_beneficial=True)
    proc.do("explain_no_face_to_face", "jtj_handler", unit="jtj", no_f2f_reason="代表长期在外地，已多次电话沟通")
    proc.do("approve_no_face_to_face", "jtj_leader", unit="jtj", no_f2f_decision="approve")
    assert proc.open_summary() == [("draft_reply", "jtj")]
    data = proc.data()
    assert data["f2f_exemption_approved"] is True and data["had_face_to_face"] is False


@pytest.mark.parametrize("judgement, label", [({"face_to_face_feasible": True}, "力争面商"), ({}, "其他方式")])
def test_feasible_or_no_face_to_face_does_not_block(proc, clock, judgement, label):
    _to_face_to_face_check(proc, **judgement)
    assert proc.data()["face_to_face_label"].startswith(label[:2])
    assert proc.open_summary() == [("draft_reply", "jtj")]


# --- key items: 四个一 -------------------------------------------------------------------------------------

def test_key_item_reply_is_blocked_until_all_four_ones_exist(proc, clock):
    proc.start(is_key=True, key_source="npc_cppcc")
    register(proc, lead="jtj", is_key=True, key_source="npc_cppcc")
    accept(proc, "jtj")
    dispatch(proc, "jtj")
    consult(proc, "jtj")
    assert proc.data()["face_to_face_label"] == "一律面商"
    assert proc.open_summary() == [("draft_work_plan", "jtj")]
    proc.do("draft_work_plan", "jtj_handler", unit="jtj", work_plan="成立专班，分三步推进线路优化：调研客流、调整线路、增开班次并评估效果。", plan_timetable="12月调研，1月方案，3月实施",
            plan_lead="陈局长")
    assert proc.claimants("approve_work_plan", "jtj") == {"jtj_head"}
    proc.do("approve_work_plan", "jtj_head", unit="jtj", plan_decision="return", plan_comment="请细化时间表")
    proc.do("draft_work_plan", "jtj_handler", unit="jtj", work_plan="成立专班，分三步推进线路优化：调研客流、调整线路、增开班次并评估效果。", plan_timetable="12月5日前调研",
            plan_lead="陈局长")
    proc.do("approve_work_plan", "jtj_head", unit="jtj", plan_decision="approve")
    # the approved plan is a Word document of the item
    [plan] = [f for f in proc.files() if f.filename.endswith("办理工作方案.docx")]
    assert plan.filename == "市交通运输局关于市十七届人大五次会议第123号建议的办理工作方案.docx"
    texts = [p.text for p in Document(io.BytesIO(plan.content)).paragraphs]
    assert "一、工作任务和措施" in texts and "12月5日前调研" in texts and any("由陈局长直接领办" in t for t in texts)
    proc.do("joint_investigation", "jtj_handler", unit="jtj", investigation_date="2026-12-05", investigation_participants="刘代表、督查室",
            proposer_joined=True, supervisor_joined=True, investigation_findings="高峰时段运力不足")
    assert "draft_reply" not in dict(proc.open_summary())
    proc.do("face_to_face_meeting", "jtj_handler", unit="jtj", meeting_date="2026-12-08", meeting_participants="刘代表、陈局长",
            meeting_summary="商定增开两条线路")
    assert "draft_reply" not in dict(proc.open_summary())
    proc.do("situation_report", "jtj_handler", unit="jtj", situation_report_text="重点建议办理情况：已完成调研和面商，正在实施。")
    assert "重点事项办理情况报告：关于改善城区公交线路的建议" in proc.notices("office")
    [report] = [f for f in proc.files() if f.filename.endswith("办理情况的报告.docx")]
    assert report.filename == "市交通运输局关于市十七届人大五次会议第123号建议办理情况的报告.docx"
    texts = [p.text for p in Document(io.BytesIO(report.content)).paragraphs]
    assert "市政府办公室：" in texts and "重点建议办理情况：已完成调研和面商，正在实施。" in texts
    assert "2026年12月5日，刘代表、督查室参加；高峰时段运力不足。" in texts
    handle(proc, "jtj")
    assert proc.open_summary() == [("draft_reply", "jtj")]  # met face to face in the four ones: no extra step
    assert proc.created()[4:9] == ["consult_before", "draft_work_plan", "approve_work_plan", "draft_work_plan",
                                   "approve_work_plan"]
    draft(proc, "jtj")
    unit_review(proc, "jtj")
    # a key item set by the NPC/CPPCC goes to the vice-mayor (decision table vice_mayor_review)
    assert proc.open_summary() == [("vice_mayor_review", None)]
    assert proc.claimants("vice_mayor_review") == {"vice_mayor"}
    assert proc.data()["four_ones_complete"] is True


# --- the review chain --------------------------------------------------------------------------------------

def _to_review(proc, vice_mayor=False, **start):
    proc.start(**start)
    register(proc, lead="jtj", vice_mayor=vice_mayor)
    accept(proc, "jtj")
    dispatch(proc, "jtj")
    consult(proc, "jtj")
    handle(proc, "jtj")
    draft(proc, "jtj")


def test_each_unit_review_level_returns_the_draft_to_the_handler(proc, clock):
    _to_review(proc)
    assert proc.claimants("leader_review", "jtj") == {"jtj_leader"}
    proc.do("leader_review", "jtj_leader", unit="jtj", leader_decision="return", leader_comment="措施不够具体")
    assert proc.open_summary() == [("draft_reply", "jtj")]
    assert proc.task("draft_reply", "jtj").form_data["review_comments_view"] == "措施不够具体"
    draft(proc, "jtj")
    proc.do("leader_review", "jtj_leader", unit="jtj", leader_decision="approve")
    assert proc.claimants("head_sign", "jtj") == {"jtj_head"}
    proc.do("head_sign", "jtj_head", unit="jtj", head_decision="return", head_comment="格式不规范")
    assert proc.open_summary() == [("draft_reply", "jtj")]
    draft(proc, "jtj")
    unit_review(proc, "jtj")
    assert proc.open_summary() == [("office_review", None)]  # no vice-mayor for an ordinary item
    assert proc.data()["redo_count"] == 0


@pytest.mark.parametrize("level", ["office", "reviewer"])
def test_rejection_by_the_office_or_the_reviewers_means_a_redo_within_one_month(proc, clock, level):
    _to_review(proc)
    unit_review(proc, "jtj")
    at(clock, datetime(2026, 12, 15, 10, 0, tzinfo=OFFICE_TZ))
    if level == "office":
        proc.do("office_review", "office", result_class="A", office_decision="return", office_comment="未解决实际问题")
    else:
        proc.do("office_review", "office", result_class="B", office_decision="approve")  # the office may change the class
        assert proc.claimants("reviewer_review") == {"npc_reviewer"}
        proc.do("reviewer_review", "npc_reviewer", reviewer_decision="return", reviewer_comment="与代表沟通不到位")
    assert proc.open_summary() == [("draft_reply", "jtj")]
    redo = proc.task("draft_reply", "jtj")
    assert redo.due_at.astimezone(OFFICE_TZ).isoformat() == end_of("2027-01-15")  # 1 month from 2026-12-15
    data = proc.data()
    assert data["redo_count"] == 1 and proc.due() == end_of("2027-01-15")
    assert "答复审核未通过，请重新办理：关于改善城区公交线路的建议" in proc.notices("jtj_handler")
    with proc.engine.db.read() as s:  # the overdue timer now counts from the redo deadline
        overdue = s.scalars(select(Timer).where(Timer.instance_id == proc.instance_id, Timer.element_id == "overdue")).one()
        assert overdue.due_at.astimezone(OFFICE_TZ).isoformat() == end_of("2027-01-15")
    if level == "reviewer":
        assert data["result_class"] == "B"


def test_vice_mayor_review_when_the_office_requires_it(proc, clock):
    _to_review(proc, vice_mayor=True)
    unit_review(proc, "jtj")
    assert proc.open_summary() == [("vice_mayor_review", None)]
    assert proc.data()["vice_mayor_review_required"] is True
    proc.do("vice_mayor_review", "vice_mayor", vm_decision="return", vm_comment="请补充资金安排")
    assert proc.open_summary() == [("draft_reply", "jtj")]
    draft(proc, "jtj")
    unit_review(proc, "jtj")
    proc.do("vice_mayor_review", "vice_mayor", vm_decision="approve")
    assert proc.open_summary() == [("office_review", None)]


def test_a_proposal_is_reviewed_by_the_cppcc_committee(proc, clock):
    _to_review(proc, item_type="proposal", proposer="member", proposer_name="吴委员")
    unit_review(proc, "jtj")
    proc.do("office_review", "office", result_class="A", office_decision="approve")
    assert proc.claimants("reviewer_review") == {"cppcc_reviewer"}


# --- after the reply ---------------------------------------------------------------------------------------

def test_unsatisfied_means_rehandling_and_a_new_evaluation(proc, clock):
    proc.start(co_signers=["cosigner"])
    register(proc, lead="jtj")
    accept(proc, "jtj")
    to_reply(proc, "jtj")
    evaluations = [t for t in proc.open_tasks() if t.element_id == "evaluate_reply"]
    assert len(evaluations) == 2  # the lead deputy and the co-signer
    assert {frozenset(proc.claimants_of(t)) for t in evaluations} == {frozenset({"deputy"} | OFFICE),
                                                                    frozenset({"cosigner"} | OFFICE)}
    evaluate(proc, "cosigner", "basically")
    with pytest.raises(FormErrors):
        evaluate(proc, "deputy", "unsatisfied")  # the reason is required
    evaluate(proc, "deputy", "unsatisfied", evaluation_comment="线路仍未调整")
    assert proc.open_summary() == [("analyse_dissatisfaction", "jtj")]
    proc.do("analyse_dissatisfaction", "jtj_handler", unit="jtj", dissatisfaction_analysis="调整方案未落地",
            rehandle_plan="一个月内开通新线路")
    assert proc.open_summary() == [("consult_before", "jtj")]  # handled again, consulted again
    assert proc.due() == end_of("2026-12-23")
    consult(proc, "jtj")
    handle(proc, "jtj")
    draft(proc, "jtj")
    unit_review(proc, "jtj")
    office_and_reviewers(proc)
    deliver(proc, "jtj")
    evaluate(proc, "deputy", "satisfied")
    evaluate(proc, "cosigner", "satisfied")
    proc.do("publish_reply", "jtj_liaison", unit="jtj", contact_removed="confirmed")
    proc.do("post_reply_review", "jtj_handler", unit="jtj", problem_solved="solved", review_notes="已解决")
    assert proc.status() == "completed"
    result = proc.data()["unit_results"][0]
    assert result["rehandle_count"] == 1 and result["evaluations"] == ["satisfied", "satisfied"]


def test_b_reply_commitments_are_followed_up_and_upgraded_to_a(proc, clock):
    proc.start()
    register(proc, lead="jtj")
    accept(proc, "jtj")
    to_reply(proc, "jtj", result_class="B", commitment_due="2027-03-31")
    evaluate(proc)
    proc.do("publish_reply", "jtj_liaison", unit="jtj", contact_removed="confirmed")
    proc.do("post_reply_review", "jtj_handler", unit="jtj", problem_solved="partly", commitments_on_track=True,
            review_notes="按计划推进")
    assert proc.open_summary() == []
    assert proc.due("follow_up_at") == end_of("2027-03-31")  # the commitment is due before 6 months
    at(clock, datetime(2027, 4, 1, 9, 0, tzinfo=OFFICE_TZ))
    proc.work()
    assert proc.open_summary() == [("follow_up", "jtj")]
    proc.do("follow_up", "jtj_handler", unit="jtj", commitment_status="in_progress", follow_up_progress="已开通一条")
    assert proc.open_summary() == []
    assert proc.due("follow_up_at") == end_of("2027-10-01")  # then every 6 months
    at(clock, datetime(2027, 10, 2, 9, 0, tzinfo=OFFICE_TZ))
    proc.work()
    proc.do("follow_up", "jtj_handler", unit="jtj", commitment_status="done", follow_up_progress="两条线路均已开通")
    proc.do("follow_up_reply", "jtj_handler", unit="jtj", follow_up_reply_text="承诺事项已全部兑现。", upgraded_class="A")
    assert proc.status() == "completed"
    assert proc.data()["unit_results"][0]["result_class"] == "A"
    assert "续办续复：关于改善城区公交线路的建议" in proc.notices("deputy")


@pytest.mark.parametrize("publication", ["public", "on_request"])
def test_publication_on_and_off(proc, clock, publication):
    proc.start()
    register(proc, lead="jtj")
    accept(proc, "jtj")
    to_reply(proc, "jtj", publication=publication)
    evaluate(proc)
    if publication == "public":
        task = proc.task("publish_reply", "jtj")
        # 20 working days after 2026-12-20; 2027 has no holiday schedule yet, so weekends only (provisional)
        assert task.due_at.astimezone(OFFICE_TZ).date() == date(2027, 1, 15)
        with pytest.raises(FormErrors):
            proc.do("publish_reply", "jtj_liaison", unit="jtj", contact_removed="")
        proc.do("publish_reply", "jtj_liaison", unit="jtj", contact_removed="confirmed")
    assert proc.open_summary() == [("post_reply_review", "jtj")]
    proc.do("post_reply_review", "jtj_handler", unit="jtj", problem_solved="solved", review_notes="已解决")
    assert proc.data()["unit_results"][0]["published"] is (publication == "public")


# --- supervision -------------------------------------------------------------------------------------------

def _handling(proc):
    proc.start()
    register(proc, lead="jtj")
    accept(proc, "jtj")
    dispatch(proc, "jtj")


def test_reminders_and_overdue_escalation_with_a_frozen_clock(proc, clock):
    _handling(proc)
    due = proc.due()
    assert due == end_of("2027-02-23")  # 3 months from the assignment on 2026-11-23
    first = proc.engine.clock.before("reminder_first", due).date
    at(clock, datetime.combine(first - timedelta(days=1), datetime.min.time(), OFFICE_TZ).replace(hour=12))
    proc.work()
    assert proc.notices("jtj_handler") == []
    at(clock, datetime.combine(first, datetime.min.time(), OFFICE_TZ).replace(hour=9, minute=1))
    proc.work()
    assert proc.notices("jtj_handler") == ["办理期限将至（2027年2月23日）：关于改善城区公交线路的建议"]
    assert proc.notices("jtj_head") == []
    at(clock, datetime(2027, 2, 23, 9, 5, tzinfo=OFFICE_TZ))
    proc.work()
    assert proc.notices("jtj_handler")[-1] == "今日到期：关于改善城区公交线路的建议"
    at(clock, datetime(2027, 2, 24, 0, 5, tzinfo=OFFICE_TZ))
    proc.work()
    assert proc.notices("jtj_head") == ["已超期未答复：关于改善城区公交线路的建议"]
    assert "承办单位超期未答复：关于改善城区公交线路的建议" in proc.notices("office")
    assert proc.data()["overdue"] is True
    assert proc.open_summary() == [("consult_before", "jtj")]  # the work goes on, now overdue


def test_an_approved_extension_moves_the_due_date_and_the_timers(proc, clock):
    _handling(proc)
    proc.message("extension_requested", {"extension_reason": "需等待年度预算批复", "requested_due": "2027-04-30"},
                 unit="jtj", username="jtj_liaison")
    assert proc.claimants("approve_extension") == OFFICE
    assert proc.task("approve_extension").form_data["approved_due"] == "2027-04-30"
    proc.do("approve_extension", "office", extension_decision="approve", approved_due="2027-04-30")
    assert proc.due() == end_of("2027-04-30")
    consult_task = proc.task("consult_before", "jtj")
    assert consult_task.due_at.astimezone(OFFICE_TZ).isoformat() == end_of("2027-04-30")
    with proc.engine.db.read() as s:
        timers = {t.element_id: t.due_at.astimezone(OFFICE_TZ) for t in
                  s.scalars(select(Timer).where(Timer.instance_id == proc.instance_id))}
    assert timers["overdue"].isoformat() == end_of("2027-04-30")
    assert timers["due_day"].isoformat() == "2027-04-30T09:00:00+08:00"
    assert "延期申请已同意，新期限 2027-04-30：关于改善城区公交线路的建议" in proc.notices("jtj_liaison")
    at(clock, datetime(2027, 2, 24, 0, 5, tzinfo=OFFICE_TZ))  # the old due date passes quietly
    proc.work()
    assert proc.notices("jtj_head") == []


def test_a_refused_extension_keeps_the_due_date(proc, clock):
    _handling(proc)
    proc.message("extension_requested", {"extension_reason": "人手不足", "requested_due": "2027-04-30"}, unit="jtj")
    with pytest.raises(FormErrors):
        proc.do("approve_extension", "office", extension_decision="refuse")  # say why
    proc.do("approve_extension", "office", extension_decision="refuse", extension_opinion="理由不充分")
    assert proc.due() == end_of("2027-02-23")
    assert "延期申请未同意：关于改善城区公交线路的建议" in proc.notices("jtj_liaison")


def test_an_urge_is_answered_by_the_unit(proc, clock):
    _handling(proc)
    proc.message("urge", {"urge_message": "请加快办理进度", "urge_method": "phone"}, unit="jtj")
    assert proc.claimants("answer_urge", "jtj") == {"jtj_liaison"}
    proc.do("answer_urge", "jtj_liaison", unit="jtj", urge_answer="已完成调研，正在起草答复")
    assert "督办答复：关于改善城区公交线路的建议" in proc.notices("office")
    assert proc.open_summary() == [("consult_before", "jtj")]


def test_a_message_for_a_unit_not_handling_the_item_is_refused(proc, clock):
    from webapp.engine.errors import EngineError
    _handling(proc)
    with pytest.raises(EngineError, match="没有等待"):
        proc.message("urge", {"urge_message": "请加快"}, unit="jyj")


def test_a_changed_handling_rule_moves_open_deadlines_when_recomputed(proc, clock):
    _handling(proc)
    assert proc.task("consult_before", "jtj").due_at.astimezone(OFFICE_TZ).isoformat() == end_of("2027-02-23")
    proc.engine.clock.change_rule("handling", value=4, reason="本市规定办理期限为4个月", by="admin")
    assert proc.task("consult_before", "jtj").due_at.astimezone(OFFICE_TZ).isoformat() == end_of("2027-02-23")
    assert proc.engine.runtime.refresh_deadlines(reason="期限规则调整：办理期限") == 1
    assert proc.task("consult_before", "jtj").due_at.astimezone(OFFICE_TZ).isoformat() == end_of("2027-03-23")
    with proc.engine.db.read() as s:
        overdue = s.scalars(select(Timer).where(Timer.instance_id == proc.instance_id, Timer.element_id == "overdue")).one()
        assert overdue.due_at.astimezone(OFFICE_TZ).isoformat() == end_of("2027-03-23")
    from tests.support.helpers import audit
    (entry,) = audit(proc.engine, proc.instance_id, "deadlines_refreshed")
    assert entry.element_name == "期限规则调整：办理期限" and entry.detail["moved"] >= 2
    assert proc.engine.runtime.refresh_deadlines() == 1  # nothing moves a second time: no new entry
    assert len(audit(proc.engine, proc.instance_id, "deadlines_refreshed")) == 1
