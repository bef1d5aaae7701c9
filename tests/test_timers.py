"""Timers under a frozen clock: nothing fires early, each fires once, suspended instances wait."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select, update

from tests.support.helpers import audit, deploy, instance, open_tasks, refresh_user, the_task
from webapp.models import HumanTask, Instance, Timer

T0 = datetime(2026, 5, 4, 2, 0, tzinfo=timezone.utc)


def timers(engine, instance_id=None) -> list[tuple[str, datetime]]:
    with engine.db.read() as s:
        query = select(Timer.element_id, Timer.due_at).order_by(Timer.due_at, Timer.element_id)
        if instance_id is not None:
            query = query.where(Timer.instance_id == instance_id)
        return [tuple(r) for r in s.execute(query)]


def fire_at(engine, moment) -> int:
    with time_machine.travel(moment, tick=False):
        return engine.management.fire_due_timers()


@pytest.fixture
def in_review(engine, people):
    """An approval instance waiting in `review`, with its PT1H boundary timer set at T0."""
    deploy(engine, "approval.bpmn")
    with time_machine.travel(T0, tick=False):
        iid = engine.runtime.start("approval", "TIMER-1")
        engine.tasks.complete(the_task(engine, iid, "submit").id, refresh_user(engine, "clerk1"),
                              {"subject": "要审核", "amount": "5000"})
    return iid


def test_boundary_timer_waits_then_escalates_to_boss(engine, people, in_review):
    iid = in_review
    assert timers(engine) == [("review_timeout", T0 + timedelta(hours=1))]
    review_id = the_task(engine, iid, "review").id

    assert fire_at(engine, T0 + timedelta(minutes=59, seconds=59)) == 0
    assert set(open_tasks(engine, iid)) == {"review"}
    assert audit(engine, iid, "timer_fired") == []

    assert fire_at(engine, T0 + timedelta(hours=1, minutes=1)) == 1
    tasks = open_tasks(engine, iid)
    assert set(tasks) == {"escalate"}
    assert tasks["escalate"].assignee_id == people["boss"].id
    with engine.db.read() as s:
        assert s.get(HumanTask, review_id).status == "cancelled"
    assert timers(engine) == []
    [fired] = audit(engine, iid, "timer_fired")
    assert (fired.element_id, fired.element_name, fired.actor_name) == ("review_timeout", "审核超时", "系统")
    assert fired.detail == {"due_at": (T0 + timedelta(hours=1)).isoformat()}
    assert [a.element_id for a in audit(engine, iid, "task_cancelled")] == ["review"]

    # nothing left to fire, however late it gets
    assert fire_at(engine, T0 + timedelta(days=30)) == 0
    assert len(audit(engine, iid, "timer_fired")) == 1

    engine.tasks.complete(tasks["escalate"].id, refresh_user(engine, "boss"), {})
    assert instance(engine, iid).status == "completed"


def test_a_timer_due_exactly_now_fires_once(engine, people, in_review):
    """At the very due instant the engine (strictly "after") has not fired yet: no false record."""
    due = T0 + timedelta(hours=1)
    assert fire_at(engine, due) == 0
    assert audit(engine, in_review, "timer_fired") == []
    assert set(open_tasks(engine, in_review)) == {"review"}
    assert fire_at(engine, due + timedelta(seconds=2)) == 1
    assert fire_at(engine, due + timedelta(seconds=5)) == 0
    assert len(audit(engine, in_review, "timer_fired")) == 1
    assert set(open_tasks(engine, in_review)) == {"escalate"}


def test_completing_the_task_in_time_removes_its_boundary_timer(engine, people, in_review):
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        engine.tasks.complete(the_task(engine, in_review, "review").id, refresh_user(engine, "reviewer1"),
                              {"approved": "on"})
    assert timers(engine) == []
    assert fire_at(engine, T0 + timedelta(hours=2)) == 0
    assert audit(engine, in_review, "timer_fired") == []


def test_the_timer_table_holds_exactly_the_waiting_timers(engine, people):
    deploy(engine, "timers.bpmn")
    with time_machine.travel(T0, tick=False):
        first = engine.runtime.start("timers", "T-1", data={"wait_hours": 3, "deadline": "2026-05-04T11:30:00+08:00"})
        second = engine.runtime.start("timers", "T-2", data={"wait_hours": 1, "deadline": "2026-05-06"})
    assert [e for e, _ in timers(engine, first)] == ["iso_duration", "expr_date", "expr_duration", "iso_date"]
    assert len(timers(engine, second)) == 4

    # T0+2h: first's iso_duration (1h) and expr_date (03:30Z) are due; second's iso_duration and expr_duration
    assert fire_at(engine, T0 + timedelta(hours=2)) == 4
    assert [e for e, _ in timers(engine, first)] == ["expr_duration", "iso_date"]
    assert [e for e, _ in timers(engine, second)] == ["expr_date", "iso_date"]
    fired = sorted((a.instance_id, a.element_id) for a in audit(engine, action="timer_fired"))
    assert fired == sorted([(first, "iso_duration"), (first, "expr_date"),
                            (second, "iso_duration"), (second, "expr_duration")])

    assert fire_at(engine, datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)) == 4
    assert timers(engine) == []
    assert len(audit(engine, action="timer_fired")) == 8
    for iid in (first, second):
        assert set(open_tasks(engine, iid)) == {"done"}


def test_suspended_instances_do_not_fire(engine, people, in_review):
    with engine.db.write() as s:
        s.execute(update(Instance).where(Instance.id == in_review).values(status="suspended"))
    assert fire_at(engine, T0 + timedelta(hours=3)) == 0
    assert timers(engine) == [("review_timeout", T0 + timedelta(hours=1))]  # still waiting
    assert set(open_tasks(engine, in_review)) == {"review"}

    with engine.db.write() as s:
        s.execute(update(Instance).where(Instance.id == in_review).values(status="running"))
    assert fire_at(engine, T0 + timedelta(hours=3)) == 1
    assert set(open_tasks(engine, in_review)) == {"escalate"}


def test_the_worker_loop_fires_timers_and_runs_the_jobs_they_lead_to(engine, people):
    deploy(engine, "worker_kill.bpmn")
    with time_machine.travel(T0, tick=False):
        ids = [engine.runtime.start("worker_kill", f"W-{i}") for i in range(3)]
    assert len(timers(engine)) == 3
    with time_machine.travel(T0 + timedelta(seconds=2), tick=True):
        assert engine.management.run_once() == 6  # three timers, then three jobs
    assert all(instance(engine, i).status == "completed" for i in ids)
    assert len(audit(engine, action="timer_fired")) == 3


def test_each_firing_of_a_repeating_timer_is_recorded(engine, people):
    deploy(engine, "reminder_cycle.bpmn")
    with time_machine.travel(T0, tick=False):
        iid = engine.runtime.start("reminder_cycle", "CYCLE-1")
    assert timers(engine, iid) == [("remind", T0 + timedelta(hours=24))]

    assert fire_at(engine, T0 + timedelta(hours=24, minutes=1)) == 1
    assert len(audit(engine, iid, "timer_fired")) == 1
    assert timers(engine, iid) == [("remind", T0 + timedelta(hours=48))]  # the next cycle

    assert fire_at(engine, T0 + timedelta(hours=48, minutes=1)) == 1
    assert len(audit(engine, iid, "timer_fired")) == 2
    assert set(open_tasks(engine, iid)) == {"handle"}  # non-interrupting: the task stays open
