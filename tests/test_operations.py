"""Administrators' operations on an instance (webapp/engine/operations.py): suspend and resume,
cancel, return to an earlier step, correct a data value — each in one transaction, audited, and
refused when the instance's state does not allow it."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from tests.support.helpers import audit, deploy, instance, instance_data, open_tasks, refresh_user, the_task
from webapp.clock import OFFICE_TZ
from webapp.engine.errors import InstanceNotRunning, TaskNotOpen
from webapp.engine.operations import MAIN_SCOPE, OperationInvalid, OperationRefused, Operations, parse_value
from webapp.models import HumanTask, Incident, Job, Timer

T0 = datetime(2026, 5, 4, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def ops(engine, people):
    deploy(engine, "approval.bpmn", "scope_vars.bpmn")
    return Operations(engine)


@pytest.fixture
def admin(engine, people):
    return refresh_user(engine, "admin")


def submit(engine, iid, amount, subject="买电脑"):
    engine.tasks.complete(the_task(engine, iid, "submit").id, refresh_user(engine, "clerk1"),
                          {"subject": subject, "amount": str(amount)})


def in_review(engine):
    with time_machine.travel(T0, tick=False):
        iid = engine.runtime.start("approval", "AP-1")
        submit(engine, iid, 5000)
    return iid


def timers(engine, iid):
    with engine.db.read() as s:
        return [(t.element_id, t.due_at) for t in s.scalars(select(Timer).where(Timer.instance_id == iid))]


def jobs(engine, iid):
    with engine.db.read() as s:
        return [(j.element_id, j.status) for j in s.scalars(select(Job).where(Job.instance_id == iid).order_by(Job.id))]


def actions(engine, iid, *names):
    return [(a.action, a.actor_name, (a.detail or {}).get("reason")) for a in audit(engine, iid) if a.action in names]


# --- suspend and resume ------------------------------------------------------------------------------

def test_a_suspended_item_is_not_worked_until_it_is_resumed(engine, ops, admin):
    iid = in_review(engine)
    ops.suspend(iid, admin, "等待上级意见")
    assert instance(engine, iid).status == "suspended"
    with pytest.raises(InstanceNotRunning, match="已挂起"):
        engine.tasks.complete(the_task(engine, iid, "review").id, refresh_user(engine, "reviewer1"), {"approved": "on"})
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        assert engine.management.fire_due_timers() == 0  # the worker skips it
    assert set(open_tasks(engine, iid)) == {"review"}

    with pytest.raises(OperationRefused, match="只有办理中的事项可以挂起"):
        ops.suspend(iid, admin, "再挂一次")
    ops.resume(iid, admin, "上级已答复")
    with pytest.raises(OperationRefused, match="当前状态为“办理中”，只有已挂起的事项可以恢复"):
        ops.resume(iid, admin, "再恢复一次")
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        assert engine.management.fire_due_timers() == 1  # what fell due meanwhile fires now
    assert set(open_tasks(engine, iid)) == {"escalate"}
    assert actions(engine, iid, "instance_suspended", "instance_resumed") == [
        ("instance_suspended", "系统管理员", "等待上级意见"), ("instance_resumed", "系统管理员", "上级已答复")]


def test_a_reason_is_required(engine, ops, admin):
    iid = in_review(engine)
    for blank in ("", "   ", None):
        with pytest.raises(OperationInvalid, match="请填写原因"):
            ops.suspend(iid, admin, blank)
    with pytest.raises(OperationInvalid, match="最多 500 个字"):
        ops.cancel(iid, admin, "长" * 501)
    assert instance(engine, iid).status == "running"
    assert actions(engine, iid, "instance_suspended", "instance_cancelled") == []


def test_a_job_of_a_suspended_item_waits_even_when_claimed_before(engine, ops, admin):
    iid = engine.runtime.start("approval", "AP-1")
    submit(engine, iid, 5)  # small: straight to the notification job
    job = engine.management._claim_job()  # a worker took it …
    ops.suspend(iid, admin, "暂停")       # … and the item is suspended while it runs
    engine.management._execute(job)
    assert jobs(engine, iid) == [("notify_done", "pending")]
    assert engine.management.run_jobs() == 0
    ops.resume(iid, admin, "继续")
    assert engine.management.run_jobs() == 1
    assert instance(engine, iid).status == "completed"


# --- cancel --------------------------------------------------------------------------------------------

def test_cancel_ends_the_item_with_its_tasks_timers_and_jobs(engine, ops, admin):
    iid = in_review(engine)
    review = the_task(engine, iid, "review")
    assert timers(engine, iid)
    ops.cancel(iid, admin, "代表撤回建议")
    inst = instance(engine, iid)
    assert (inst.status, inst.ended_at is not None) == ("cancelled", True)
    assert open_tasks(engine, iid) == {} and timers(engine, iid) == []
    with engine.db.read() as s:
        assert s.get(HumanTask, review.id).status == "cancelled"
    with pytest.raises(TaskNotOpen):
        engine.tasks.complete(review.id, refresh_user(engine, "reviewer1"), {"approved": "on"})
    with pytest.raises(OperationRefused, match="^该事项已撤销，不能撤销$"):
        ops.cancel(iid, admin, "再撤销")
    with pytest.raises(OperationRefused):
        ops.resume(iid, admin, "恢复")
    assert actions(engine, iid, "instance_cancelled", "task_cancelled") == [
        ("task_cancelled", "系统", None), ("instance_cancelled", "系统管理员", "代表撤回建议")]


def test_cancel_a_suspended_item_with_a_failed_job(engine, ops, admin, monkeypatch):
    iid = engine.runtime.start("approval", "AP-1")
    submit(engine, iid, 5)
    from service_tasks import TOPICS
    monkeypatch.setattr(TOPICS["notify"], "function", lambda ctx, **kw: 1 / 0)
    while engine.management.run_jobs():
        pass
    with engine.db.read() as s:
        assert s.scalars(select(Incident.status).where(Incident.instance_id == iid)).all() == ["open"]
    ops.suspend(iid, admin, "排查故障")
    ops.cancel(iid, admin, "重复登记")
    assert jobs(engine, iid) == [("notify_done", "cancelled")]
    with engine.db.read() as s:
        assert s.scalars(select(Incident.status).where(Incident.instance_id == iid)).all() == ["cancelled"]


# --- return to an earlier step -------------------------------------------------------------------------

def test_return_to_the_first_step_reopens_its_row_and_cancels_what_came_after(engine, ops, admin):
    iid = in_review(engine)
    first = open_tasks_including_completed(engine, iid, "submit")
    review = the_task(engine, iid, "review")
    with engine.db.read() as s:
        targets = ops.return_targets(s, iid)
    assert [(t.element_id, t.name, t.completed_by) for t in targets] == [("submit", "填写申请", "张经办")]

    assert ops.return_to(iid, targets[0].task_guid, admin, "金额填错") == "填写申请"
    row = the_task(engine, iid, "submit")
    assert row.id == first.id  # the same row, open again, unclaimed
    assert (row.status, row.assignee_id, row.completed_by_id) == ("open", None, None)
    assert row.form_data["subject"] == "买电脑"  # what was entered last
    assert set(open_tasks(engine, iid)) == {"submit"}
    with engine.db.read() as s:
        assert s.get(HumanTask, review.id).status == "cancelled"
    assert timers(engine, iid) == []  # the review's timeout went with it
    assert actions(engine, iid, "returned_to_step") == [("returned_to_step", "系统管理员", "金额填错")]

    submit(engine, iid, 50)  # and the item goes on from there
    assert jobs(engine, iid)[-1] == ("notify_done", "pending")


def open_tasks_including_completed(engine, iid, element_id):
    with engine.db.read() as s:
        return s.scalars(select(HumanTask).where(HumanTask.instance_id == iid,
                                                 HumanTask.element_id == element_id)).one()


def test_return_to_a_task_with_a_boundary_timer_arms_it_again(engine, ops, admin):
    iid = in_review(engine)
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        engine.tasks.complete(the_task(engine, iid, "review").id, refresh_user(engine, "reviewer1"), {"approved": "on"})
    assert timers(engine, iid) == [] and jobs(engine, iid) == [("notify_done", "pending")]
    with engine.db.read() as s:
        guid = [t.task_guid for t in ops.return_targets(s, iid) if t.element_id == "review"][0]
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        ops.return_to(iid, guid, admin, "审核意见有误")
    assert set(open_tasks(engine, iid)) == {"review"}
    assert jobs(engine, iid) == [("notify_done", "cancelled")]
    assert [e for e, _due in timers(engine, iid)] == ["review_timeout"]
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        assert engine.management.fire_due_timers() == 1
    assert set(open_tasks(engine, iid)) == {"escalate"}


def test_return_is_refused_off_the_way_and_for_items_not_running(engine, ops, admin):
    iid = in_review(engine)
    with pytest.raises(OperationRefused, match="不能退回到该环节"):
        ops.return_to(iid, "00000000-0000-0000-0000-000000000000", admin, "试试")
    with pytest.raises(OperationRefused, match="不能退回到该环节"):
        ops.return_to(iid, the_task(engine, iid, "review").task_guid, admin, "未办理的环节")
    guid = open_tasks_including_completed(engine, iid, "submit").task_guid
    ops.suspend(iid, admin, "暂停")
    with pytest.raises(OperationRefused, match="已挂起的请先恢复"):
        ops.return_to(iid, guid, admin, "退回")
    with engine.db.read() as s:
        assert ops.return_targets(s, iid) == []


# --- correct a data value -------------------------------------------------------------------------------

def test_correcting_a_deadline_variable_moves_the_timer_and_the_due_date(engine, ops, admin):
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=OFFICE_TZ), tick=False):
        iid = engine.runtime.start("scope_vars", "S-1", data={"start_on": "2026-11-23"})
    work = the_task(engine, iid, "work")
    with engine.db.read() as s:
        scopes = ops.scopes(s, iid)
    assert [(sc.key, sc.label) for sc in scopes] == [(MAIN_SCOPE, "主流程（作用域变量测试）")]
    assert scopes[0].variables["unit"] == "U1"

    ops.correct(iid, MAIN_SCOPE, "due", "2027-03-31T23:59:59+08:00", admin, "按批准的延期更正")
    assert [(e, d.astimezone(OFFICE_TZ).isoformat()) for e, d in timers(engine, iid)] == [
        ("late", "2027-03-31T23:59:59+08:00")]
    row = the_task(engine, iid, "work")
    assert row.id == work.id and row.due_at.astimezone(OFFICE_TZ).isoformat() == "2027-03-31T23:59:59+08:00"
    assert instance_data(engine, iid)["due"] == "2027-03-31T23:59:59+08:00"
    record = audit(engine, iid, "variable_corrected")[0]
    assert record.element_name == "due"
    assert record.detail["scope"] == "主流程" and record.detail["new_value"] == "2027-03-31T23:59:59+08:00"
    assert record.detail["reason"] == "按批准的延期更正" and record.detail["old_value"] != record.detail["new_value"]


def test_correcting_refuses_bad_input_and_ended_items(engine, ops, admin):
    iid = in_review(engine)
    with pytest.raises(OperationInvalid, match="变量名"):
        ops.correct(iid, MAIN_SCOPE, "1abc", 1, admin, "更正")
    with pytest.raises(OperationRefused, match="流程范围已结束或不存在"):
        ops.correct(iid, "not-a-scope", "amount", 1, admin, "更正")
    ops.correct(iid, MAIN_SCOPE, "amount", 4000, admin, "笔误")
    assert the_task(engine, iid, "review") is not None
    assert instance_data(engine, iid)["amount"] == 4000
    ops.cancel(iid, admin, "撤销")
    with pytest.raises(OperationRefused, match="^该事项已撤销，不能更正数据$"):
        ops.correct(iid, MAIN_SCOPE, "amount", 1, admin, "更正")
    with engine.db.read() as s:
        assert ops.scopes(s, iid) == []


@pytest.mark.parametrize("kind,text,value", [
    ("text", " 市交通运输局 ", "市交通运输局"), ("number", "12", 12), ("number", "1.5", 1.5),
    ("boolean", "是", True), ("boolean", "false", False), ("date", "2027-01-05", "2027-01-05"),
    ("json", '{"a": [1, 2]}', {"a": [1, 2]}), ("null", "whatever", None)])
def test_parse_value(kind, text, value):
    assert parse_value(kind, text) == value


@pytest.mark.parametrize("kind,text,message", [
    ("number", "十二", "不是数字"), ("boolean", "也许", "是／否"), ("date", "2027-13-01", "不是日期"),
    ("json", "{a:", "不是有效的 JSON"), ("color", "red", "未知的值类型")])
def test_parse_value_refuses(kind, text, message):
    with pytest.raises(OperationInvalid, match=message):
        parse_value(kind, text)
