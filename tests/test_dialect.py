"""The Camunda 7 attributes a process owner sets in the modeler take effect at run time."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from tests.support.helpers import (add_user, deploy, instance, instance_data, open_tasks, refresh_user,
                                   the_task)
from webapp.models import Job, Timer

UTC = timezone.utc
SHANGHAI = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


# --- user tasks: assignment, dates, priority, unit ----------------------------------------------------

@pytest.fixture
def assignment(engine, people):
    """An instance of assignment.bpmn, started at T0, with all eleven user tasks open."""
    add_user(engine, "reviewer2", "钱审核", role="reviewer", unit_code="U2", unit_name="市另一局")
    deploy(engine, "assignment.bpmn")
    with time_machine.travel(T0, tick=False):
        iid = engine.runtime.start("assignment", "A-1", data={
            "owner": "boss", "helpers": ["clerk1", "reviewer1"], "review_group": "reviewer",
            "start_day": "2026-03-10", "follow_up": "2026-03-02T10:30:00+08:00", "urgency": 9,
            "target_unit": "U2"})
    return iid


def inbox(engine, username, scope="all") -> set[str]:
    with engine.db.read() as s:
        return {t.element_id for t in engine.tasks.inbox(s, refresh_user(engine, username), scope)}


def candidates(task) -> set[tuple[str, str]]:
    return {(c.kind, c.value) for c in task.candidates}


def test_assignee_literal_and_expression(engine, people, assignment):
    tasks = open_tasks(engine, assignment)
    assert len(tasks) == 11
    assert tasks["a_literal"].assignee_id == people["clerk1"].id
    assert tasks["a_expr"].assignee_id == people["boss"].id
    assert candidates(tasks["a_literal"]) == set()


def test_candidate_users_literal_and_expression(engine, assignment):
    tasks = open_tasks(engine, assignment)
    assert candidates(tasks["cu_literal"]) == {("user", "clerk2"), ("user", "boss")}
    assert candidates(tasks["cu_expr"]) == {("user", "clerk1"), ("user", "reviewer1")}  # a list value
    assert tasks["cu_literal"].assignee_id is None


def test_candidate_groups_literal_and_expression(engine, assignment):
    tasks = open_tasks(engine, assignment)
    assert candidates(tasks["cg_literal"]) == {("group", "clerk")}
    assert candidates(tasks["cg_expr"]) == {("group", "reviewer"), ("group", "clerk")}  # "a,b" is split


def test_due_date_as_period_and_follow_up_and_priority(engine, assignment):
    task = the_task(engine, assignment, "due_period")
    assert task.due_at == T0 + timedelta(days=3)
    assert task.follow_up_at == T0 + timedelta(hours=12)
    assert task.priority == 80


def test_due_date_as_iso_datetime_literal_means_office_time(engine, assignment):
    task = the_task(engine, assignment, "due_literal")
    assert task.due_at == datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
    # a plain date: the end of that day in the office
    assert task.follow_up_at == datetime(2026, 11, 30, 23, 59, 59, tzinfo=SHANGHAI)
    assert task.priority == 50  # the default


def test_due_date_follow_up_and_priority_as_expressions(engine, assignment):
    task = the_task(engine, assignment, "due_expr")
    assert task.due_at == datetime(2026, 3, 15, 23, 59, 59, tzinfo=SHANGHAI)  # add_days(start_day, 5)
    assert task.follow_up_at == datetime(2026, 3, 2, 10, 30, tzinfo=SHANGHAI)
    assert task.priority == 90


def test_unit_property_scopes_a_group_task_to_role_holders_in_that_unit(engine, assignment):
    tasks = open_tasks(engine, assignment)
    assert tasks["unit_literal"].unit.code == "U1"
    assert tasks["unit_expr"].unit.code == "U2"
    assert "unit_literal" in inbox(engine, "reviewer1") and "unit_expr" not in inbox(engine, "reviewer1")
    assert "unit_expr" in inbox(engine, "reviewer2") and "unit_literal" not in inbox(engine, "reviewer2")


def test_inboxes(engine, assignment):
    assert inbox(engine, "clerk1") == {"a_literal", "cu_expr", "cg_literal", "cg_expr"}
    assert inbox(engine, "clerk1", "mine") == {"a_literal"}
    assert inbox(engine, "clerk1", "groups") == {"cu_expr", "cg_literal", "cg_expr"}
    assert inbox(engine, "clerk2") == {"cu_literal", "cg_literal", "cg_expr"}
    assert inbox(engine, "boss") == {"a_expr", "cu_literal"}
    # a group task without a unit is for every holder of the role, whatever their unit
    assert inbox(engine, "reviewer1") == {"cu_expr", "cg_expr", "unit_literal"}
    assert inbox(engine, "reviewer2") == {"cg_expr", "unit_expr"}
    assert inbox(engine, "admin") == {"due_period", "due_literal", "due_expr"}


def test_inbox_order_due_first_then_priority(engine, assignment):
    with engine.db.read() as s:
        order = [t.element_id for t in engine.tasks.inbox(s, refresh_user(engine, "admin"))]
    assert order == ["due_period", "due_expr", "due_literal"]


def test_claim_respects_candidates_and_unit(engine, people, assignment):
    from webapp.engine.errors import NotAllowed
    tasks = open_tasks(engine, assignment)
    with pytest.raises(NotAllowed, match="您不在该任务的候选人或候选组中"):
        engine.tasks.claim(tasks["unit_expr"].id, refresh_user(engine, "reviewer1"))
    engine.tasks.claim(tasks["unit_expr"].id, refresh_user(engine, "reviewer2"))
    assert inbox(engine, "reviewer2", "mine") == {"unit_expr"}
    with pytest.raises(NotAllowed, match="该任务已由钱审核认领"):
        engine.tasks.claim(tasks["unit_expr"].id, refresh_user(engine, "reviewer1"))


def test_unknown_unit_in_a_task_is_reported(engine, people):
    from webapp.engine.errors import EngineError
    deploy(engine, "assignment.bpmn")
    with pytest.raises(EngineError, match="指定的单位“NOPE”不存在"):
        engine.runtime.start("assignment", "A-2", data={
            "owner": "boss", "helpers": [], "review_group": "reviewer", "start_day": "2026-03-10",
            "follow_up": None, "urgency": 1, "target_unit": "NOPE"})
    assert instance_count(engine) == 0


def instance_count(engine):
    from sqlalchemy import func
    from webapp.models import Instance
    with engine.db.read() as s:
        return s.scalar(select(func.count()).select_from(Instance))


# --- external service tasks ----------------------------------------------------------------------

def test_service_task_job_has_evaluated_parameters(engine, people):
    deploy(engine, "service.bpmn")
    iid = engine.runtime.start("service", "S-1", data={"amount": 21, "kind": "乙"})
    with engine.db.read() as s:
        job = s.scalars(select(Job).where(Job.instance_id == iid)).one()
    assert (job.topic, job.element_id, job.name, job.status) == ("test_echo", "echo", "回显", "pending")
    assert job.parameters == {"text": "你好", "number": 42, "items": ["甲", "乙"],
                              "mapping": {"fixed": "固定", "key": "S-1"}}
    assert job.max_attempts == 3  # from the settings


def test_service_task_output_parameters_after_the_worker_runs_it(engine, people):
    deploy(engine, "service.bpmn")
    iid = engine.runtime.start("service", "S-1", data={"amount": 21, "kind": "乙"})
    assert engine.management.run_jobs(limit=1) == 1
    data = instance_data(engine, iid)
    assert data["echo_count"] == 2
    assert data["echo_text"] == "你好！"
    assert data["first_item"] == "甲"
    assert data["seen_key"] == "S-1"
    assert data["constant"] == "常量"
    assert "mapping" not in data and "count" not in data  # with output parameters, only mapped values
    assert engine.management.run_jobs() == 1  # echo_plain, made runnable by the first
    data = instance_data(engine, iid)
    # without output parameters the whole result is merged into the data
    assert data["text"] == "你好！" and data["items"] is None and data["count"] == 0
    with engine.db.read() as s:
        jobs = s.scalars(select(Job).where(Job.instance_id == iid).order_by(Job.id)).all()
    assert [(j.element_id, j.status, j.attempts) for j in jobs] == [("echo", "done", 1), ("echo_plain", "done", 1)]
    assert jobs[0].result["count"] == 2
    assert the_task(engine, iid, "check").assignee_id == people["clerk1"].id


# --- business rule tasks ---------------------------------------------------------------------------

@pytest.mark.parametrize("amount, kind, reviewer, level", [(5000, "b", "boss", 2), (10, "b", "reviewer1", 1),
                                                           (10, "a", "clerk1", 0)])
def test_business_rule_task_with_decision_ref_and_result_variable(engine, people, amount, kind, reviewer, level):
    deploy(engine, "decision.bpmn", "route_decision.dmn")
    iid = engine.runtime.start("decision", f"D-{amount}-{kind}", data={"amount": amount, "kind": kind})
    data = instance_data(engine, iid)
    assert data["route"] == {"reviewer": reviewer, "level": level}  # camunda:resultVariable
    assert (data["reviewer"], data["level"]) == (reviewer, level)  # no resultVariable: merged
    task = the_task(engine, iid, "review")
    assert task.assignee_id == people[reviewer].id
    assert task.priority == 50 + 10 * level


# --- timers ----------------------------------------------------------------------------------------

def test_timers_as_iso_literals_and_expressions(engine, people):
    deploy(engine, "timers.bpmn")
    start = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        iid = engine.runtime.start("timers", "T-1", data={"wait_hours": 3,
                                                          "deadline": "2026-11-05T10:00:00+08:00"})
    with engine.db.read() as s:
        timers = {t.element_id: t.due_at for t in s.scalars(select(Timer).where(Timer.instance_id == iid))}
    assert timers == {
        "iso_duration": start + timedelta(hours=1),
        "iso_date": datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI),  # a date without zone is office time
        "expr_duration": start + timedelta(hours=3),
        "expr_date": datetime(2026, 11, 5, 10, 0, tzinfo=SHANGHAI),
    }
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        assert engine.management.fire_due_timers() == 1
    with time_machine.travel(datetime(2026, 12, 1, 2, 0, tzinfo=UTC), tick=False):
        assert engine.management.fire_due_timers() == 3
    assert "done" in open_tasks(engine, iid)
    assert instance(engine, iid).status == "running"


# --- conditions ------------------------------------------------------------------------------------

@pytest.mark.parametrize("amount, blocked, expected", [(5000, False, "big"), (1000, False, "small"), (3, False, "small")])
def test_conditions_in_camunda_style_and_bare_python(engine, people, amount, blocked, expected):
    deploy(engine, "conditions.bpmn")
    iid = engine.runtime.start("conditions", f"C-{amount}", data={"amount": amount, "blocked": blocked})
    assert set(open_tasks(engine, iid)) == {expected}


def test_approval_condition_routes_big_amounts_to_review(engine, people):
    deploy(engine, "approval.bpmn")
    small = engine.runtime.start("approval", "small")
    big = engine.runtime.start("approval", "big")
    clerk = refresh_user(engine, "clerk1")
    engine.tasks.complete(the_task(engine, small, "submit").id, clerk, {"subject": "小额", "amount": "1000"})
    engine.tasks.complete(the_task(engine, big, "submit").id, clerk, {"subject": "大额", "amount": "1001"})
    assert open_tasks(engine, small) == {}  # went on to the notify job
    assert set(open_tasks(engine, big)) == {"review"}
