"""The lead unit's branch and the co-units' branch (unit_handling: work_split … work_join) each carry a copy
of the process data; the join keeps what each branch changed (webapp/engine/joins.py) whichever finishes
last. Found by the browser walk (tests/web/test_walk_browser.py):

- co-unit finishes after the lead's 四个一: its stale had_face_to_face (False) must not replace the lead's,
  or the handler is asked for 面商并记录 although the 四个一's face-to-face meeting was held;
- co-unit finishes before the lead: its signed 协办意见 must be in the draft reply's 协办意见.
"""
from datetime import datetime

import pytest
import time_machine

from tests.procedure.driver import accept, consult, dispatch, handle, register
from webapp.clock import OFFICE_TZ

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=OFFICE_TZ)


@pytest.fixture
def key_item_with_a_co_unit(proc):
    with time_machine.travel(T0, tick=False):
        proc.start(is_key=True, key_source="npc_cppcc")
        register(proc, mode="lead_co", lead="jtj", co=["zjj"], is_key=True, key_source="npc_cppcc")
        accept(proc, "jtj", "zjj")
        dispatch(proc, "jtj")
        proc.do("co_dispatch", "zjj_liaison", unit="zjj", co_division="规划科", co_handler="赵六")
        proc.do("write_co_opinion", "zjj_handler", unit="zjj", co_opinion_text="住建局同意配合调整公交站点布局，负责新建站台的规划审批和建设。",
                co_contact="赵六", co_phone="0359-3456789")
        yield proc


def co_unit_signs(proc):
    proc.do("sign_co_opinion", "zjj_head", unit="zjj", co_sign_decision="approve", co_doc_prefix="住建函",
            co_doc_serial=8)


def four_ones_and_handling(proc):
    consult(proc, "jtj")
    proc.do("draft_work_plan", "jtj_handler", unit="jtj", work_plan="成立专班，分三步推进线路优化：调研客流、调整线路、增开班次并评估效果。",
            plan_timetable="12月5日前调研", plan_lead="陈局长")
    proc.do("approve_work_plan", "jtj_head", unit="jtj", plan_decision="approve")
    proc.do("joint_investigation", "jtj_handler", unit="jtj", investigation_date="2026-12-05", investigation_participants="刘代表",
            proposer_joined=True, supervisor_joined=True, investigation_findings="高峰时段运力不足")
    proc.do("face_to_face_meeting", "jtj_handler", unit="jtj", meeting_date="2026-12-08", meeting_participants="刘代表",
            meeting_summary="商定增开两条线路")
    proc.do("situation_report", "jtj_handler", unit="jtj", situation_report_text="重点建议办理情况：已完成调研和面商，正在实施。")
    handle(proc, "jtj")


def test_the_four_ones_meeting_counts_when_the_co_unit_finishes_last(key_item_with_a_co_unit):
    proc = key_item_with_a_co_unit
    with time_machine.travel(T0, tick=False):
        four_ones_and_handling(proc)
        co_unit_signs(proc)
        assert ("record_face_to_face", "jtj") not in proc.open_summary()
        assert ("draft_reply", "jtj") in proc.open_summary()


def test_the_signed_co_opinion_reaches_the_draft_when_the_co_unit_finishes_first(key_item_with_a_co_unit):
    proc = key_item_with_a_co_unit
    with time_machine.travel(T0, tick=False):
        co_unit_signs(proc)
        four_ones_and_handling(proc)
        assert "住建局同意配合" in proc.task("draft_reply", "jtj").form_data["co_opinion_view"]
