"""Deadline rules in diagrams, end to end: due dates and timers from `${deadline('…')}` and the work
calendar functions, a rule change taking effect without a restart, and a year nobody has entered.

Expected dates are counted by hand from the State Council notices (see test_workcalendar.py).
"""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from tests.support.bpmn import linear
from tests.support.calendar import SCHEDULE_2027, other_process, package_until_2026  # noqa: F401 (fixtures)
from tests.support.helpers import deploy, open_tasks, refresh_user
from webapp.clock import parse_schedule
from webapp.engine.errors import DeadlineError
from webapp.models import Instance, Timer

SHANGHAI = timezone(timedelta(hours=8))
T0 = datetime(2024, 9, 27, 10, 0, tzinfo=SHANGHAI)  # the Friday before National Day 2024


def end_of(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=23, minute=59, second=59, tzinfo=SHANGHAI)


def timers(engine, instance_id) -> dict[str, datetime]:
    with engine.db.read() as s:
        return {t.element_id: t.due_at for t in s.scalars(select(Timer).where(Timer.instance_id == instance_id))}


def fire_at(engine, moment) -> int:
    with time_machine.travel(moment, tick=False):
        return engine.management.fire_due_timers()


def test_due_dates_and_timer_from_named_rules(engine, people):
    deploy(engine, "deadlines.bpmn")
    with time_machine.travel(T0, tick=False):
        iid = engine.runtime.start("deadlines", "DL-1", data={"received": "2024-09-28"})
    tasks = open_tasks(engine, iid)
    # handling: 3 months from 9/27 → Friday 12/27; reminder 5 working days before: 12/20 at 09:00
    assert tasks["handle"].due_at == end_of("2024-12-27")
    assert tasks["handle"].follow_up_at == datetime(2024, 12, 20, 9, 0, tzinfo=SHANGHAI)
    # from Saturday 9/28: 1 month → Monday 10/28; 3 working days → 9/29 (Sun, worked), 9/30, 10/8
    assert tasks["reply"].due_at == end_of("2024-10-28")
    assert tasks["reply"].follow_up_at == end_of("2024-10-08")
    # objection window: 7 working days → 9/29, 9/30, 10/8 … 10/11, 10/12 (Sat, worked)
    assert timers(engine, iid) == {"objection_window": end_of("2024-10-12")}

    assert fire_at(engine, end_of("2024-10-12") - timedelta(seconds=1)) == 0
    assert fire_at(engine, end_of("2024-10-12") + timedelta(seconds=2)) == 1
    assert set(open_tasks(engine, iid)) == {"handle", "reply", "window_closed"}
    assert timers(engine, iid) == {}


def test_a_rule_change_applies_to_new_instances_without_restart(engine, people, other_process):
    deploy(engine, "deadlines.bpmn")
    with time_machine.travel(T0, tick=False):
        first = engine.runtime.start("deadlines", "DL-1", data={"received": "2024-09-28"})
        other_process.change_rule("handling", value=2, by="admin", reason="本市规定")
        other_process.change_rule("objection_window", value=5, by="admin")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        second = engine.runtime.start("deadlines", "DL-2", data={"received": "2024-09-28"})
    # new: 2 months → Wednesday 11/27; 5 working days → 9/29, 9/30, 10/8, 10/9, 10/10
    assert open_tasks(engine, second)["handle"].due_at == end_of("2024-11-27")
    assert timers(engine, second) == {"objection_window": end_of("2024-10-10")}
    # the open instance keeps what it was given (recomputing open deadlines is a separate step)
    assert open_tasks(engine, first)["handle"].due_at == end_of("2024-12-27")
    assert timers(engine, first) == {"objection_window": end_of("2024-10-12")}


def test_deadlines_into_a_year_nobody_entered_then_entered(engine, people, other_process, package_until_2026):
    deploy(engine, "deadlines.bpmn")
    t1 = datetime(2026, 12, 25, 10, 0, tzinfo=SHANGHAI)  # Friday
    with time_machine.travel(t1, tick=False):
        before = engine.runtime.start("deadlines", "DL-1", data={"received": "2026-12-25"})
    # weekends only in 2027: 12/28 … 12/31, 1/1, 1/4, 1/5
    assert timers(engine, before) == {"objection_window": end_of("2027-01-05")}
    assert open_tasks(engine, before)["reply"].follow_up_at == end_of("2026-12-30")

    other_process.import_year(2027, parse_schedule(SCHEDULE_2027), by="admin")
    with time_machine.travel(t1 + timedelta(hours=1), tick=False):
        after = engine.runtime.start("deadlines", "DL-2", data={"received": "2026-12-25"})
    # New Year's Day entered: 12/28 … 12/31, 1/4, 1/5, 1/6
    assert timers(engine, after) == {"objection_window": end_of("2027-01-06")}


# A rule named literally in a diagram is checked at deploy (test_deploy.py); one named by a process
# variable can only be checked when the step runs.
def test_an_unknown_rule_stops_the_step_with_a_message(engine, people):
    deploy(engine, linear("bad_rule", '<bpmn:userTask id="t" name="任务" camunda:assignee="clerk1" '
                                      'camunda:dueDate="${deadline(rule)}" />'))
    with pytest.raises(DeadlineError, match="“任务”的期限无法计算：期限规则“handlng”不存在"):
        engine.runtime.start("bad_rule", "BR-1", data={"rule": "handlng"})
    with engine.db.read() as s:
        assert s.scalars(select(Instance)).all() == []


def test_a_task_completed_in_time_with_a_deadline(engine, people):
    deploy(engine, "deadlines.bpmn")
    with time_machine.travel(T0, tick=False):
        iid = engine.runtime.start("deadlines", "DL-1", data={"received": "2024-09-28"})
    clerk = refresh_user(engine, "clerk1")
    with time_machine.travel(T0 + timedelta(days=1), tick=False):  # (any engine step checks due timers)
        for element in ("handle", "reply"):
            engine.tasks.complete(open_tasks(engine, iid)[element].id, clerk, {})
    assert timers(engine, iid) == {"objection_window": end_of("2024-10-12")}
    assert fire_at(engine, end_of("2024-10-13")) == 1
    engine.tasks.complete(open_tasks(engine, iid)["window_closed"].id, clerk, {})
    with engine.db.read() as s:
        assert s.get(Instance, iid).status == "completed"


def test_an_unknown_rule_in_a_timer_stops_the_step_with_a_message(engine, people):
    deploy(engine, linear("bad_timer", '<bpmn:intermediateCatchEvent id="wait" name="等待"><bpmn:timerEventDefinition>'
                                       "<bpmn:timeDate>${deadline(rule)}</bpmn:timeDate>"
                                       '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'))
    with pytest.raises(DeadlineError, match="“等待”的期限无法计算：期限规则“nope”不存在"):
        engine.runtime.start("bad_timer", "BT-1", data={"rule": "nope"})
