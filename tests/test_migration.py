"""Moving running instances to a newer deployment: the dry run's verdicts and the move itself
(webapp/engine/migration.py), on small diagrams that each change one thing."""
from datetime import datetime

import pytest
from sqlalchemy import select

from tests.conftest import diagram
from tests.support.helpers import audit, deploy, instance, open_tasks, refresh_user, the_task
from webapp.engine.errors import EngineError, NotFound
from webapp.engine.expressions import OFFICE_TZ
from webapp.engine.migration import Migration
from webapp.engine.validation import DefinitionSource
from webapp.models import HumanTask, Job, Timer

MAIN, SUB = "migration_main.bpmn", "migration_sub.bpmn"


def changed(name: str, *replacements) -> DefinitionSource:
    src = diagram(name)
    content = src.content
    for old, new in replacements:
        assert old in content, old
        content = content.replace(old, new)
    return DefinitionSource("bpmn", src.filename, content)


NEW_FIELD_ON_LAST = ('<camunda:formField id="c" label="丙" type="string" />',
                     '<camunda:formField id="c" label="丙" type="string" />\n'
                     '          <camunda:formField id="d" label="丁（新）" type="string" />')
REMOVE_SECOND = [  # first → call_sub; `second` and its timer are gone
    ('<bpmn:sequenceFlow id="f_first" sourceRef="first" targetRef="second" />',
     '<bpmn:sequenceFlow id="f_first" sourceRef="first" targetRef="call_sub" />'),
    ('<bpmn:boundaryEvent id="second_late" name="第二步超时" attachedToRef="second" cancelActivity="false">\n'
     '      <bpmn:timerEventDefinition><bpmn:timeDate>2030-01-01T09:00:00</bpmn:timeDate></bpmn:timerEventDefinition>\n'
     '    </bpmn:boundaryEvent>\n'
     '    <bpmn:sequenceFlow id="f_late" sourceRef="second_late" targetRef="late_end" />\n'
     '    <bpmn:endEvent id="late_end" />\n'
     '    <bpmn:sequenceFlow id="f_second" sourceRef="second" targetRef="call_sub" />', ""),
]


@pytest.fixture
def mig(engine, people):
    deploy(engine, MAIN, SUB)
    return Migration(engine)


def start(engine, key, voters=("clerk1", "clerk2")):
    return engine.runtime.start("mig_main", key, data={"voters": list(voters)})


def do(engine, iid, element_id, user="clerk1", **values):
    engine.tasks.complete(the_task(engine, iid, element_id).id, refresh_user(engine, user), values)


def vote(engine, iid, user):
    with engine.db.read() as s:
        task = s.scalars(select(HumanTask).where(HumanTask.instance_id == iid, HumanTask.element_id == "votes",
                                                 HumanTask.status == "open")).all()
        mine = [t for t in task if any(c.value == user for c in t.candidates)]
    engine.tasks.complete(mine[0].id, refresh_user(engine, user), {})


def advance(engine, iid, to):
    """Complete the steps of version 1 up to (not including) `to`."""
    for step in ("first", "second", "sub_task", "sub_next"):
        if step == to:
            return
        do(engine, iid, step)
    assert to == "votes"


def verdicts(plan) -> dict[str, list[str]]:
    return {c.business_key: c.reasons for c in plan.checks}


# --- the dry run -------------------------------------------------------------------------------------

def test_a_new_field_on_a_later_task_moves_every_item_and_the_field_shows(engine, mig):
    at_first, at_sub = start(engine, "M-1"), start(engine, "M-2")
    advance(engine, at_sub, "sub_task")
    done = start(engine, "M-3", voters=[])
    for step in ("first", "second", "sub_task", "sub_next", "last"):
        do(engine, done, step)
    assert instance(engine, done).status == "completed"
    first_row = the_task(engine, at_first, "first").id
    assert deploy(engine, changed(MAIN, NEW_FIELD_ON_LAST), diagram(SUB)).deployment_id == 2

    plan = mig.plan("mig_main", 1)
    assert (plan.source.version, plan.target.version, plan.target.deployment_id) == (1, 2, 2)
    assert verdicts(plan) == {"M-1": [], "M-2": []}  # the completed instance is not listed
    assert [c.current for c in plan.checks] == [["第一步"], ["子流程第一步"]]
    assert instance(engine, at_first).deployment_id == 1  # a dry run stores nothing

    result = mig.migrate("mig_main", 1, actor=people_admin(engine))
    assert sorted(c.instance_id for c in result.moved) == [at_first, at_sub] and not result.refused
    assert (instance(engine, at_first).deployment_id, instance(engine, at_first).process_version.version) == (2, 2)
    assert the_task(engine, at_first, "first").id == first_row  # the open task keeps its row (links, claims)
    record = audit(engine, at_first, "instance_migrated")[0]
    assert (record.actor_name, record.element_name) == ("系统管理员", "迁移测试")
    assert record.detail == {"from_version": "第 1 版（部署 1）", "to_version": "第 2 版（部署 2）"}

    advance(engine, at_first, "votes")
    vote(engine, at_first, "clerk1")
    vote(engine, at_first, "clerk2")
    task = the_task(engine, at_first, "last")
    assert [f.id for f in engine.tasks.form(task).fields] == ["c", "d"]
    do(engine, at_first, "last", c="丙", d="丁")
    assert instance(engine, at_first).status == "completed"


def people_admin(engine):
    return refresh_user(engine, "admin")


def test_an_item_at_or_past_a_removed_task_is_refused_and_stays(engine, mig):
    before, at_second, past = start(engine, "M-1"), start(engine, "M-2"), start(engine, "M-3")
    advance(engine, at_second, "second")
    advance(engine, past, "sub_task")
    deploy(engine, changed(MAIN, *REMOVE_SECOND), diagram(SUB))

    plan = mig.plan("mig_main", 1)
    assert verdicts(plan) == {
        "M-1": [],
        "M-2": ["当前环节“第二步”在新版本中已删除", "等待中的事件“第二步超时”在新版本中已删除"],
        "M-3": ["已办理的环节“第二步”在新版本中已删除（迁移后无法保留其办理记录）"],
    }
    assert [c.movable for c in plan.checks] == [True, False, False]

    result = mig.migrate("mig_main", 1)  # every movable one
    assert [c.instance_id for c in result.moved] == [before]
    assert [c.instance_id for c in result.refused] == [at_second, past]
    assert [instance(engine, i).deployment_id for i in (before, at_second, past)] == [2, 1, 1]

    do(engine, before, "first")  # the new version: straight to the called process
    assert set(open_tasks(engine, before)) == {"sub_task"}
    do(engine, at_second, "second")  # the refused one goes on in its own version
    assert set(open_tasks(engine, at_second)) == {"sub_task"}
    with engine.db.read() as s:  # its timer went with `second`
        assert not s.scalars(select(Timer).where(Timer.instance_id == at_second)).all()


def test_a_suspended_item_moves_and_stays_suspended(engine, mig):
    from webapp.engine.operations import Operations
    iid = start(engine, "M-1")
    Operations(engine).suspend(iid, people_admin(engine), "等待")
    deploy(engine, changed(MAIN, NEW_FIELD_ON_LAST), diagram(SUB))
    assert [c.status for c in mig.plan("mig_main", 1).checks] == ["suspended"]
    assert [c.instance_id for c in mig.migrate("mig_main", 1).moved] == [iid]
    assert (instance(engine, iid).status, instance(engine, iid).deployment_id) == ("suspended", 2)


def test_selected_instances_only_and_a_second_move_is_refused(engine, mig):
    one, two = start(engine, "M-1"), start(engine, "M-2")
    deploy(engine, changed(MAIN, NEW_FIELD_ON_LAST), diagram(SUB))
    result = mig.migrate("mig_main", 1, instance_ids=[two])
    assert [c.instance_id for c in result.moved] == [two]
    assert (instance(engine, one).deployment_id, instance(engine, two).deployment_id) == (1, 2)
    again = mig.migrate("mig_main", 1, instance_ids=[two])
    assert not again.moved
    assert again.refused[0].reasons == ["事项实例 %d 不是部署 1 中办理中的“mig_main”" % two]


def test_the_move_checks_again_what_the_dry_run_said(engine, mig):
    iid = start(engine, "M-1")
    deploy(engine, changed(MAIN, *REMOVE_SECOND), diagram(SUB))
    assert mig.plan("mig_main", 1).checks[0].movable
    do(engine, iid, "first")  # meanwhile the item reached the removed step
    result = mig.migrate("mig_main", 1, instance_ids=[iid])
    assert result.refused[0].reasons == ["当前环节“第二步”在新版本中已删除", "等待中的事件“第二步超时”在新版本中已删除"]
    assert instance(engine, iid).deployment_id == 1


def test_a_changed_type_and_a_changed_multi_instance_are_refused(engine, mig):
    at_second, voting = start(engine, "M-1"), start(engine, "M-2")
    advance(engine, at_second, "second")
    advance(engine, voting, "votes")
    deploy(engine, changed(MAIN, (
        '<bpmn:userTask id="second" name="第二步" camunda:candidateGroups="clerk">\n'
        '      <bpmn:extensionElements>\n        <camunda:formData>\n'
        '          <camunda:formField id="b" label="乙" type="string" />\n'
        '        </camunda:formData>\n      </bpmn:extensionElements>\n    </bpmn:userTask>',
        '<bpmn:scriptTask id="second" name="第二步" scriptFormat="python"><bpmn:script>b = 1</bpmn:script>'
        '</bpmn:scriptTask>'), (
        'camunda:collection="voters"', 'camunda:collection="reviewers"')), diagram(SUB))
    found = verdicts(mig.plan("mig_main", 1))
    assert found["M-1"] == ["当前环节“第二步”在新版本中改变了类型（UserTask → ScriptTask）"]
    assert found["M-2"] == ["多实例环节“表决”正在进行，其设置在新版本中有变化（实例集合）"]


def test_a_changed_called_process(engine, mig):
    before, in_sub, past_sub_task = start(engine, "M-1"), start(engine, "M-2"), start(engine, "M-3")
    advance(engine, in_sub, "sub_task")
    advance(engine, past_sub_task, "sub_next")
    new_sub = changed(SUB, ('sourceRef="sub_start" targetRef="sub_task"', 'sourceRef="sub_start" targetRef="sub_next"'),
                      ('<bpmn:userTask id="sub_task" name="子流程第一步" camunda:candidateGroups="clerk" />\n'
                       '    <bpmn:sequenceFlow id="f_sub_task" sourceRef="sub_task" targetRef="sub_next" />', ""))
    deploy(engine, diagram(MAIN), new_sub)
    plan = mig.plan("mig_main", 1)
    assert (plan.source.version, plan.target.version) == (1, 1)  # the main diagram itself did not change
    assert verdicts(plan) == {"M-1": [], "M-2": ["当前环节“子流程第一步”在新版本中已删除"],
                              "M-3": ["已办理的环节“子流程第一步”在新版本中已删除（迁移后无法保留其办理记录）"]}
    mig.migrate("mig_main", 1)
    advance_new = ("first", "second")
    for step in advance_new:
        do(engine, before, step)
    assert set(open_tasks(engine, before)) == {"sub_next"}  # the new called process


def test_calling_another_process_is_refused_while_the_call_runs(engine, mig):
    in_sub = start(engine, "M-1")
    advance(engine, in_sub, "sub_task")
    other = changed(SUB, ('id="mig_sub" name="迁移测试子流程"', 'id="mig_sub2" name="另一个子流程"'))
    deploy(engine, changed(MAIN, ('calledElement="mig_sub"', 'calledElement="mig_sub2"')),
           DefinitionSource("bpmn", "migration_sub2.bpmn", other.content))
    assert verdicts(mig.plan("mig_main", 1))["M-1"] == [
        "被调用的流程“迁移测试子流程”（mig_sub）在新版本中不存在",
        "调用活动“子流程”正在进行，新版本改为调用其他流程（mig_sub → mig_sub2）"]


def test_a_waiting_timer_takes_its_new_time_and_open_tasks_their_new_definition(engine, mig):
    iid = start(engine, "M-1")
    do(engine, iid, "first")
    row = the_task(engine, iid, "second")
    deploy(engine, changed(MAIN, ("2030-01-01T09:00:00", "2031-06-01T09:00:00"),
                           ('<bpmn:userTask id="second" name="第二步" camunda:candidateGroups="clerk">',
                            '<bpmn:userTask id="second" name="第二步（复核）" camunda:candidateGroups="reviewer" '
                            'camunda:dueDate="2031-05-01">')), diagram(SUB))
    check = mig.plan("mig_main", 1).checks[0]
    assert check.movable
    assert check.changes == ["当前环节“第二步（复核）”按新版本办理（名称、办理人、期限等设置有变化）",
                             "等待中的事件“第二步超时”按新定义计算时间"]
    mig.migrate("mig_main", 1)
    with engine.db.read() as s:
        timer = s.scalars(select(Timer).where(Timer.instance_id == iid)).one()
        assert timer.due_at == datetime(2031, 6, 1, 9, 0, tzinfo=OFFICE_TZ)
        task = s.get(HumanTask, row.id)
        assert (task.status, task.name, task.due_at.astimezone(OFFICE_TZ).date().isoformat()) == \
            ("open", "第二步（复核）", "2031-05-01")
        assert [(c.kind, c.value) for c in task.candidates] == [("group", "reviewer")]


def test_a_pending_job_follows_its_changed_service_task(engine, people):
    deploy(engine, "approval.bpmn")
    iid = engine.runtime.start("approval", "AP-1")
    engine.tasks.complete(the_task(engine, iid, "submit").id, people["clerk1"], {"subject": "买笔", "amount": "5"})
    src = diagram("approval.bpmn")
    deploy(engine, DefinitionSource("bpmn", src.filename, src.content.replace("申请已处理：", "申请已办结：")))
    result = Migration(engine).migrate("approval", 1)
    assert result.moved[0].changes == ["待执行的服务任务“通知申请人”按新版本执行（服务主题、参数等设置有变化）"]
    with engine.db.read() as s:
        job = s.scalars(select(Job).where(Job.instance_id == iid)).one()
        assert (job.status, job.parameters["subject"]) == ("pending", "申请已办结：买笔")
    assert engine.management.run_jobs() == 1
    assert instance(engine, iid).status == "completed"


def test_targets_and_refused_pairs(engine, mig):
    start(engine, "M-1")
    with pytest.raises(EngineError, match="只能迁移到更新的部署"):
        mig.plan("mig_main", 1, 1)
    with pytest.raises(NotFound, match="部署 9 不存在"):
        mig.plan("mig_main", 1, 9)
    deploy(engine, changed(MAIN, NEW_FIELD_ON_LAST), diagram(SUB))
    deploy(engine, diagram(MAIN), diagram(SUB))  # back to the first diagram: a third deployment
    with engine.db.read() as s:
        assert [(t.deployment_id, t.version) for t in mig.targets(s, "mig_main", 1)] == [(3, 3), (2, 2)]
        assert [(u.process_key, u.deployment_id, u.version, u.running) for u in mig.usage(s, "mig_main")] == [
            ("mig_main", 1, 1, 1)]
        # The called process: the version deployed with the instances that call it.
        assert [(u.process_key, u.deployment_id, u.version, u.running) for u in mig.usage(s, "mig_sub")] == [
            ("mig_main", 1, 1, 1)]
