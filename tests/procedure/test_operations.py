"""Administrators' operations on items of the deployed procedure: going back to a step inside one
unit's handling (a called process in a multi-instance, an embedded sub-process in it) or to the
office's assignment, and correcting a unit's deadline in its own process scope."""
from datetime import datetime

import pytest
import time_machine
from sqlalchemy import select

from tests.procedure.driver import (accept, consult, deliver, dispatch, draft, evaluate, handle, office_and_reviewers,
                                    register, unit_review)
from tests.support.helpers import audit
from webapp.clock import OFFICE_TZ
from webapp.engine.operations import Operations
from webapp.models import HumanTask, Timer

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=OFFICE_TZ)


@pytest.fixture
def clock():
    traveller = time_machine.travel(T0, tick=False)
    yield traveller.start()
    traveller.stop()


@pytest.fixture
def ops(engine):
    return Operations(engine)


def target(ops, proc, element_id):
    with proc.engine.db.read() as s:
        found = [t for t in ops.return_targets(s, proc.instance_id) if t.element_id == element_id]
    assert found, f"{element_id} is not a return target"
    return found[0]


def row(proc, task_id):
    with proc.engine.db.read() as s:
        return s.get(HumanTask, task_id)


def test_back_to_the_draft_inside_a_units_handling_and_on_to_the_end(proc, ops, clock):
    proc.start()
    register(proc, lead="jtj")
    accept(proc, "jtj")
    dispatch(proc, "jtj")
    consult(proc, "jtj")
    handle(proc, "jtj")
    draft(proc, "jtj", reply_body="第一稿" * 20)
    review = proc.task("leader_review", "jtj")
    drafted = target(ops, proc, "draft_reply")
    assert (drafted.unit_name, drafted.completed_by) == ("市交通运输局", "市交通运输局handler")
    # Only steps on the way to the open one: the office's and the unit's earlier ones, newest first.
    with proc.engine.db.read() as s:
        names = [t.element_id for t in ops.return_targets(s, proc.instance_id)]
    assert names == ["draft_reply", "handle_item", "consult_before", "dispatch", "assign_units", "intake_review"]

    ops.return_to(proc.instance_id, drafted.task_guid, proc.user("office"), "答复内容需补充")
    assert proc.open_summary() == [("draft_reply", "jtj")]
    again = proc.task("draft_reply", "jtj")
    assert again.task_guid == drafted.task_guid and again.form_data["reply_body"] == "第一稿" * 20
    assert row(proc, review.id).status == "cancelled"
    with proc.engine.db.read() as s:  # the unit's reminders keep waiting on its handling
        assert {t.element_id for t in s.scalars(select(Timer).where(Timer.instance_id == proc.instance_id))} >= {
            "remind_first", "overdue"}

    draft(proc, "jtj", reply_body="第二稿" * 20)
    unit_review(proc, "jtj")
    office_and_reviewers(proc)
    deliver(proc, "jtj")
    evaluate(proc)
    proc.do("publish_reply", "jtj_liaison", unit="jtj", contact_removed="confirmed")
    proc.do("post_reply_review", "jtj_handler", unit="jtj", problem_solved="solved", review_notes="已解决")
    assert proc.status() == "completed"
    assert [a.element_id for a in audit(proc.engine, proc.instance_id, "returned_to_step")] == ["draft_reply"]


def test_back_to_the_assignment_ends_the_units_handling(proc, ops, clock):
    proc.start()
    register(proc, lead="jtj")
    accept(proc, "jtj")
    dispatch(proc, "jtj")
    consult_row = proc.task("consult_before", "jtj")
    ops.return_to(proc.instance_id, target(ops, proc, "assign_units").task_guid, proc.user("office"), "交办单位有误")
    assert proc.open_summary() == [("assign_units", None)]
    assert row(proc, consult_row.id).status == "cancelled"
    with proc.engine.db.read() as s:  # nothing of the unit's handling waits any more
        assert s.scalars(select(Timer).where(Timer.instance_id == proc.instance_id)).all() == []
    proc.do("assign_units", "office", handling_mode="single", lead_unit="jyj", co_units=[], split_units=[],
            office_requires_vice_mayor=False)
    accept(proc, "jyj")
    assert proc.open_summary() == [("dispatch", "jyj")]


def test_correcting_one_units_due_date_moves_its_timers_and_tasks(proc, ops, clock):
    proc.start()
    register(proc, mode="split", lead=None, split=("jtj", "jyj"))
    accept(proc, "jtj", "jyj")
    dispatch(proc, "jtj")
    dispatch(proc, "jyj")
    with proc.engine.db.read() as s:
        scopes = ops.scopes(s, proc.instance_id)
    labels = [sc.label for sc in scopes]
    assert labels[0].startswith("主流程") and sorted(labels[1:]) == sorted(
        ["承办单位办理答复（市交通运输局）", "承办单位办理答复（市教育局）"])
    jtj = [sc for sc in scopes if sc.label.endswith("（市交通运输局）")][0]
    assert jtj.variables["unit"] == "jtj"

    before = {(t.element_id, t.unit_id): t.due_at for t in proc.open_tasks()}
    before_due = jtj.variables["due"]
    ops.correct(proc.instance_id, jtj.key, "due", "2027-04-30T23:59:59+08:00", proc.user("office"), "批准延期")
    after = {(t.element_id, t.unit_code): t.due_at.astimezone(OFFICE_TZ).isoformat() for t in proc.open_tasks()}
    assert after[("consult_before", "jtj")] == "2027-04-30T23:59:59+08:00"
    assert after[("consult_before", "jyj")] == "2027-02-23T23:59:59+08:00"  # the other unit keeps its own
    assert len(before) == len(after)
    with proc.engine.db.read() as s:
        overdue = {t.task_guid: t.due_at.astimezone(OFFICE_TZ).isoformat()
                   for t in s.scalars(select(Timer).where(Timer.instance_id == proc.instance_id,
                                                          Timer.element_id == "overdue"))}
    assert sorted(overdue.values()) == ["2027-02-23T23:59:59+08:00", "2027-04-30T23:59:59+08:00"]
    record = audit(proc.engine, proc.instance_id, "variable_corrected")[0]
    assert (record.detail["scope"], record.detail["old_value"]) == ("承办单位办理答复", before_due)
