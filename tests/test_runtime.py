"""Starting and completing instances: versions, concurrent writers, what is stored, the audit trail."""
import re
import threading

import pytest
from sqlalchemy import func, select, update

from tests.conftest import diagram
from tests.support.helpers import audit, deploy, instance, instance_data, open_tasks, refresh_user, the_task
from webapp.engine import Engine
from webapp.engine.errors import ConcurrentUpdate, InstanceNotRunning, NotAllowed, TaskNotOpen
from webapp.engine.forms import FormErrors
from webapp.models import HumanTask, Instance, Job, Notification, ProcessVersion, TextBlob

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def approval_v2():
    """approval.bpmn with a new form field on `submit` and a lower threshold for review."""
    src = diagram("approval.bpmn")
    content = src.content.replace(
        '<camunda:formField id="urgent" label="加急" type="boolean" />',
        '<camunda:formField id="urgent" label="加急" type="boolean" />\n'
        '          <camunda:formField id="phone" label="联系电话" type="string" />')
    content = content.replace("${amount &gt; 1000}", "${amount &gt; 10}")
    assert content != src.content
    return type(src)("bpmn", src.filename, content)


def submit(engine, iid, user, **values):
    data = {"subject": "申请", "amount": "5"}
    data.update({k: str(v) for k, v in values.items()})
    return engine.tasks.complete(the_task(engine, iid, "submit").id, refresh_user(engine, user), data)


# --- the happy path --------------------------------------------------------------------------------

def test_start_complete_and_finish(engine, people):
    deploy(engine, "approval.bpmn")
    iid = engine.runtime.start("approval", "AP-1", title="第一件", actor=people["clerk1"])
    inst = instance(engine, iid)
    assert (inst.status, inst.title, inst.business_key, inst.started_by_id) == ("running", "第一件", "AP-1",
                                                                                 people["clerk1"].id)
    task = the_task(engine, iid, "submit")
    assert (task.name, task.priority, task.form_data) == ("填写申请", 60, {"amount": "0"})

    assert submit(engine, iid, "clerk2", subject="买电脑", amount=800, urgent="on", kind="a") == iid
    with engine.db.read() as s:
        row = s.get(HumanTask, task.id)
        assert (row.status, row.completed_by_id, row.assignee_id) == ("completed", people["clerk2"].id,
                                                                      people["clerk2"].id)
        job = s.scalars(select(Job).where(Job.instance_id == iid)).one()
        assert job.parameters == {"subject": "申请已处理：买电脑", "group": "clerk"}
    assert open_tasks(engine, iid) == {}
    assert instance(engine, iid).status == "running"

    assert engine.management.run_jobs() == 1
    inst = instance(engine, iid)
    assert inst.status == "completed" and inst.ended_at is not None
    data = instance_data(engine, iid)
    assert (data["subject"], data["amount"], data["urgent"], data["kind"], data["notified"]) == \
        ("买电脑", 800, True, "a", 2)
    with engine.db.read() as s:
        notices = s.scalars(select(Notification).order_by(Notification.user_id)).all()
        assert [(n.user_id, n.subject, n.instance_id) for n in notices] == [
            (people["clerk1"].id, "申请已处理：买电脑", iid), (people["clerk2"].id, "申请已处理：买电脑", iid)]
    assert [a.action for a in audit(engine, iid)] == [
        "instance_started", "step", "task_created", "task_completed", "step", "job_done", "step",
        "instance_completed"]


def test_a_form_error_stores_nothing(engine, people):
    deploy(engine, "approval.bpmn")
    iid = engine.runtime.start("approval", "AP-1")
    before = (instance(engine, iid).lock_version, len(audit(engine, iid)))
    with pytest.raises(FormErrors) as info:
        submit(engine, iid, "clerk1", subject="", amount="很多")
    assert info.value.errors == {"subject": "此项为必填项", "amount": "请输入整数"}
    assert (instance(engine, iid).lock_version, len(audit(engine, iid))) == before
    assert set(open_tasks(engine, iid)) == {"submit"}


def test_only_candidates_may_complete(engine, people):
    deploy(engine, "approval.bpmn")
    iid = engine.runtime.start("approval", "AP-1")
    with pytest.raises(NotAllowed, match="您不能办理该任务（您不在候选人或候选组中）"):
        submit(engine, iid, "reviewer1")
    engine.tasks.claim(the_task(engine, iid, "submit").id, refresh_user(engine, "clerk1"))
    with pytest.raises(NotAllowed, match="您不能办理该任务（已由张经办认领）"):
        submit(engine, iid, "clerk2")
    submit(engine, iid, "clerk1")


def test_a_suspended_instance_cannot_be_worked_on(engine, people):
    deploy(engine, "approval.bpmn")
    iid = engine.runtime.start("approval", "AP-1")
    with engine.db.write() as s:
        s.execute(update(Instance).where(Instance.id == iid).values(status="suspended"))
    with pytest.raises(InstanceNotRunning, match="该流程实例当前状态为“已挂起”，不能办理"):
        submit(engine, iid, "clerk1")


def test_a_business_key_starts_one_instance_only(engine, people):
    from webapp.engine.errors import EngineError
    deploy(engine, "approval.bpmn")
    engine.runtime.start("approval", "AP-1")
    with pytest.raises(EngineError, match="业务编号“AP-1”已经存在，不能重复启动"):
        engine.runtime.start("approval", "AP-1")


def test_a_start_in_the_callers_transaction_stands_or_falls_with_it(engine, people):
    from webapp.models import AuditEvent, Notification
    deploy(engine, "approval.bpmn")
    with pytest.raises(RuntimeError):
        with engine.db.write() as s:
            engine.runtime.start_in(s, "approval", "AP-1", title="随调用方回滚", actor=people["clerk1"])
            raise RuntimeError("the caller's own work fails after the start")
    with engine.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Instance)) == 0
        assert s.scalar(select(func.count()).select_from(HumanTask)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0

    with engine.db.write() as s:  # committed together with the caller's own row
        iid = engine.runtime.start_in(s, "approval", "AP-1", title="随调用方提交", actor=people["clerk1"])
        s.add(Notification(user_id=people["clerk1"].id, instance_id=iid, subject="已发起"))
    assert instance(engine, iid).title == "随调用方提交"
    assert set(open_tasks(engine, iid)) == {"submit"}
    assert [e.action for e in audit(engine, iid)][0] == "instance_started"


# --- version pinning -------------------------------------------------------------------------------

def test_a_running_instance_keeps_its_version_across_a_redeploy(engine, people):
    deploy(engine, "approval.bpmn")
    old = engine.runtime.start("approval", "OLD")
    result = deploy(engine, approval_v2())
    assert result.new_processes == [("approval", 2)]
    new = engine.runtime.start("approval", "NEW")

    with engine.db.read() as s:
        versions = dict(s.execute(select(Instance.business_key, ProcessVersion.version)
                                  .join(ProcessVersion, ProcessVersion.id == Instance.process_version_id)).all())
        assert versions == {"OLD": 1, "NEW": 2}
        old_task, new_task = s.get(HumanTask, the_task(engine, old, "submit").id), \
            s.get(HumanTask, the_task(engine, new, "submit").id)
        old_fields = [f.id for f in engine.tasks.form(old_task).fields]
        new_fields = [f.id for f in engine.tasks.form(new_task).fields]
    assert "phone" not in old_fields
    assert new_fields == ["subject", "amount", "urgent", "phone", "needed_by", "kind", "details"]

    # the old instance runs on with the old diagram: 500 is not "big" there, so no review
    submit(engine, old, "clerk1", subject="旧", amount=500, phone="123")
    assert open_tasks(engine, old) == {}
    assert "phone" not in instance_data(engine, old)  # not a field of its form: ignored
    engine.management.run_jobs()
    assert instance(engine, old).status == "completed"

    # the new one follows version 2
    submit(engine, new, "clerk1", subject="新", amount=500, phone="13800000000")
    assert set(open_tasks(engine, new)) == {"review"}
    assert instance_data(engine, new)["phone"] == "13800000000"


def test_an_engine_started_later_loads_the_pinned_version(engine, settings, people):
    """A fresh process (empty spec cache) still runs an instance on the deployment it started in."""
    deploy(engine, "approval.bpmn")
    old = engine.runtime.start("approval", "OLD")
    deploy(engine, approval_v2())
    other = Engine(settings)
    try:
        submit(other, old, "clerk1", amount=500)
        assert open_tasks(other, old) == {}
    finally:
        other.db.dispose()


# --- two people completing the same task -----------------------------------------------------------

@pytest.mark.parametrize("engines", ["one-engine", "two-engines"])
def test_two_sessions_completing_the_same_task(engine, settings, people, engines):
    deploy(engine, "approval.bpmn")
    iid = engine.runtime.start("approval", "RACE")
    task_id = the_task(engine, iid, "submit").id
    second = engine if engines == "one-engine" else Engine(settings)
    barrier = threading.Barrier(2)
    outcomes = {}

    def attempt(eng, username, subject, amount):
        user = refresh_user(eng, username)
        barrier.wait()
        try:
            eng.tasks.complete(task_id, user, {"subject": subject, "amount": amount, "details": f"{username} 的说明"})
            outcomes[username] = "ok"
        except (TaskNotOpen, ConcurrentUpdate) as e:
            outcomes[username] = e

    threads = [threading.Thread(target=attempt, args=(engine, "clerk1", "张的申请", "2000")),
               threading.Thread(target=attempt, args=(second, "clerk2", "李的申请", "3000"))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        if second is not engine:
            second.db.dispose()

    winners = [u for u, o in outcomes.items() if o == "ok"]
    losers = [o for o in outcomes.values() if o != "ok"]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    winner = winners[0]
    message = str(losers[0])
    assert CHINESE.search(message) and "未" in message, message  # e.g. "……您的填写未提交。"
    if isinstance(losers[0], TaskNotOpen):
        assert people[winner].display_name in message

    # the winner's data is stored whole, and only once
    subject, amount = {"clerk1": ("张的申请", 2000), "clerk2": ("李的申请", 3000)}[winner]
    data = instance_data(engine, iid)
    assert (data["subject"], data["amount"], data["details"]) == (subject, amount, f"{winner} 的说明")
    completed = audit(engine, iid, "task_completed")
    assert len(completed) == 1
    assert completed[0].actor_id == people[winner].id
    assert completed[0].detail["data"]["subject"] == subject
    with engine.db.read() as s:
        row = s.get(HumanTask, task_id)
        assert (row.status, row.completed_by_id) == ("completed", people[winner].id)
    assert set(open_tasks(engine, iid)) == {"review"}
    assert len(audit(engine, iid, "task_created")) == 2  # submit, review: no double step


def test_completing_a_task_that_is_already_done(engine, people):
    deploy(engine, "approval.bpmn")
    iid = engine.runtime.start("approval", "AP-1")
    task_id = the_task(engine, iid, "submit").id
    submit(engine, iid, "clerk1")
    with pytest.raises(TaskNotOpen, match=r"该任务已由张经办于 \d{4}-\d\d-\d\d \d\d:\d\d 办理完成，您的填写未提交。"):
        engine.tasks.complete(task_id, refresh_user(engine, "clerk2"), {"subject": "晚了"})
    assert instance_data(engine, iid)["subject"] == "申请"


def test_completing_a_task_that_was_cut_off_by_a_timer(engine, people):
    import time_machine
    from datetime import timedelta
    from webapp.models import utcnow
    deploy(engine, "approval.bpmn")
    iid = engine.runtime.start("approval", "AP-1")
    submit(engine, iid, "clerk1", amount=5000)
    review_id = the_task(engine, iid, "review").id
    with time_machine.travel(utcnow() + timedelta(hours=2), tick=False):
        engine.management.fire_due_timers()
    with pytest.raises(TaskNotOpen, match="该任务已被取消（流程已转到其他环节），您的填写未提交。"):
        engine.tasks.complete(review_id, refresh_user(engine, "reviewer1"), {"approved": "on"})


# --- the optimistic version column -----------------------------------------------------------------

def test_a_stale_copy_cannot_overwrite_a_newer_state(engine, people):
    deploy(engine, "approval.bpmn")
    iid = engine.runtime.start("approval", "AP-1")
    guid = the_task(engine, iid, "submit").task_guid
    first, second = engine.db.Session(), engine.db.Session()
    try:
        unit_a = engine.runtime.load(first, iid, lock=False)
        unit_b = engine.runtime.load(second, iid, lock=False)
        first.commit(), second.commit()  # both now hold a copy of version 1 (and no open transaction)
        assert unit_a.instance.lock_version == unit_b.instance.lock_version

        unit_a.ready_task(guid).data["note"] = "A 的修改"
        unit_a.save()
        first.commit()

        unit_b.ready_task(guid).data["note"] = "B 的修改"
        with pytest.raises(ConcurrentUpdate) as info:
            unit_b.save()
        second.rollback()
        assert str(info.value) == "该事项刚被其他人更新，本次操作未保存，请刷新后重试。"
    finally:
        first.close()
        second.close()
    assert instance_data(engine, iid)["note"] == "A 的修改"
    assert instance(engine, iid).lock_version == unit_a.instance.lock_version


# --- what is stored --------------------------------------------------------------------------------

def test_state_is_small_and_long_texts_are_stored_apart(engine, people):
    deploy(engine, "approval.bpmn")
    iid = engine.runtime.start("approval", "AP-1")
    long_text = ("这是一段很长的说明。" * 60)[:600]
    submit(engine, iid, "clerk1", subject="长文", amount=5000, details=long_text)
    with engine.db.read() as s:
        state = s.get(Instance, iid).state
        blobs = s.scalars(select(TextBlob).where(TextBlob.instance_id == iid)).all()
    assert long_text not in state and long_text[:100] not in state
    assert [b.content for b in blobs] == [long_text]
    details = instance_data(engine, iid)["details"]
    assert details == {"text_id": blobs[0].id, "length": 600, "preview": long_text[:60]}
    # no diagram in the state: neither the specs' structure nor texts only the diagram holds
    for spec_only in ('"task_specs"', "测试审批", "详细说明", "审核超时", "conditionExpression", "camunda"):
        assert spec_only not in state
    assert len(state) < 12_000, len(state)


def test_short_texts_stay_in_the_data(engine, people):
    deploy(engine, "approval.bpmn")
    iid = engine.runtime.start("approval", "AP-1")
    submit(engine, iid, "clerk1", amount=5000, details="短说明")
    assert instance_data(engine, iid)["details"] == "短说明"
    with engine.db.read() as s:
        assert s.scalar(select(func.count()).select_from(TextBlob)) == 0


# --- audit -----------------------------------------------------------------------------------------

def test_audit_records_who_did_what_with_which_data(engine, people):
    deploy(engine, "approval.bpmn")
    iid = engine.runtime.start("approval", "AP-1", actor=people["clerk1"])
    engine.tasks.claim(the_task(engine, iid, "submit").id, refresh_user(engine, "clerk2"))
    submit(engine, iid, "clerk2", subject="审计", amount=1500, kind="b")
    started, claimed, completed = (audit(engine, iid, a)[0] for a in ("instance_started", "task_claimed",
                                                                       "task_completed"))
    assert (started.actor_id, started.actor_name, started.detail) == (people["clerk1"].id, "张经办", {"version": 1})
    assert (claimed.actor_id, claimed.element_id, claimed.element_name) == (people["clerk2"].id, "submit", "填写申请")
    assert (completed.actor_id, completed.actor_name, completed.element_id, completed.element_name) == \
        (people["clerk2"].id, "李经办", "submit", "填写申请")
    assert completed.detail["data"] == {"subject": "审计", "amount": 1500, "urgent": False, "needed_by": None,
                                        "kind": "b", "details": None}
    created = audit(engine, iid, "task_created")
    assert [(a.element_id, a.actor_name) for a in created] == [("submit", "系统"), ("review", "系统")]
    steps = [a.element_id for a in audit(engine, iid, "step")]
    assert steps == ["start", "gw"]
    assert all(a.at is not None and a.at.tzinfo is not None for a in audit(engine, iid))
