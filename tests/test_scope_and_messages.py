"""Camunda output parameters as scope variables, messages to waiting events, deadline refresh.

tests/diagrams/scope_vars.bpmn: a task on one branch sets `due` through an output parameter; an
embedded sub-process on the other branch has a task due at `due`, a non-interrupting timer at
`due` and a non-interrupting message boundary event `poke`.
"""
from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import select

from tests.support.helpers import deploy, open_tasks, the_task, audit
from webapp.clock import OFFICE_TZ
from webapp.engine.errors import EngineError
from webapp.models import Timer

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=OFFICE_TZ)


@pytest.fixture
def started(engine, people):
    deploy(engine, "scope_vars.bpmn")
    with time_machine.travel(T0, tick=False):
        instance_id = engine.runtime.start("scope_vars", "S-1", data={"start_on": "2026-11-23"})
    return instance_id


def timers(engine, instance_id) -> dict[str, str]:
    with engine.db.read() as s:
        return {t.element_id: t.due_at.astimezone(OFFICE_TZ).isoformat()
                for t in s.scalars(select(Timer).where(Timer.instance_id == instance_id))}


def due_of(engine, instance_id, element_id) -> str:
    return the_task(engine, instance_id, element_id).due_at.astimezone(OFFICE_TZ).isoformat()


def test_an_output_parameter_moves_due_dates_and_timers_on_another_branch(engine, people, started):
    assert due_of(engine, started, "work") == "2027-02-23T23:59:59+08:00"
    assert timers(engine, started) == {"late": "2027-02-23T23:59:59+08:00"}
    with time_machine.travel(T0, tick=False):
        engine.tasks.complete(the_task(engine, started, "set_due").id, people["clerk1"], {"new_due": "2027-03-31"})
    assert due_of(engine, started, "work") == "2027-03-31T23:59:59+08:00"
    assert timers(engine, started) == {"late": "2027-03-31T23:59:59+08:00"}
    with time_machine.travel(datetime(2027, 2, 24, 9, 0, tzinfo=OFFICE_TZ), tick=False):
        engine.management.run_once()  # the old time passes quietly
    assert "chase" not in open_tasks(engine, started)
    with time_machine.travel(datetime(2027, 4, 1, 9, 0, tzinfo=OFFICE_TZ), tick=False):
        engine.management.run_once()
    assert "chase" in open_tasks(engine, started)


def test_a_non_interrupting_message_is_caught_each_time_it_comes(engine, people, started):
    engine.runtime.correlate(started, "poke", {"urge": "请加快"}, where={"unit": "U1"}, actor=people["boss"], label="催办")
    engine.runtime.correlate(started, "poke", {"urge": "再次催办"}, where={"unit": "U1"}, actor=people["boss"], label="催办")
    with engine.db.read() as s:
        from webapp.models import HumanTask
        poked = s.scalars(select(HumanTask).where(HumanTask.instance_id == started, HumanTask.element_id == "poked",
                                                  HumanTask.status == "open")).all()
        assert len(poked) == 2
        assert sorted(p.form_data.get("answer") is None for p in poked) == [True, True]
    messages = audit(engine, started, "message")
    assert [m.detail["data"]["urge"] for m in messages] == ["请加快", "再次催办"]
    assert "work" in open_tasks(engine, started)  # the work goes on


def test_a_message_nobody_waits_for_is_refused_and_changes_nothing(engine, people, started):
    with pytest.raises(EngineError, match="没有等待“催办”"):
        engine.runtime.correlate(started, "poke", {}, where={"unit": "U2"}, actor=people["boss"], label="催办")
    with pytest.raises(EngineError):
        engine.runtime.correlate(started, "no_such_message", {}, actor=people["boss"])
    assert audit(engine, started, "message") == []
    assert "poked" not in open_tasks(engine, started)


def test_refresh_deadlines_follows_a_rule_change(engine, people, started):
    engine.clock.change_rule("handling", value=4, reason="测试", by="admin")
    assert due_of(engine, started, "work") == "2027-02-23T23:59:59+08:00"  # open deadlines keep theirs …
    assert engine.runtime.refresh_deadlines() == 1  # … until recomputed
    # `due` was computed by a script when the item started; the timer and task follow the variable,
    # so the refresh re-reads the same value: a rule change moves deadlines that are expressions
    # of the rule itself (see the next test), not values stored earlier.
    assert due_of(engine, started, "work") == "2027-02-23T23:59:59+08:00"


def test_refresh_recomputes_a_timer_written_with_the_rule(engine, people):
    deploy(engine, "scope_vars.bpmn")
    source = open("tests/diagrams/scope_vars.bpmn", encoding="utf-8").read().replace(
        'camunda:dueDate="${due}"', 'camunda:dueDate="${deadline(\'handling\', start_on)}"').replace(
        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">${due}</bpmn:timeDate>',
        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">${deadline(\'handling\', start_on)}</bpmn:timeDate>')
    from webapp.engine.validation import DefinitionSource
    engine.repository.deploy([DefinitionSource("bpmn", "scope_vars.bpmn", source)])
    with time_machine.travel(T0, tick=False):
        instance_id = engine.runtime.start("scope_vars", "S-2", data={"start_on": "2026-11-23"})
    assert timers(engine, instance_id) == {"late": "2027-02-23T23:59:59+08:00"}
    engine.clock.change_rule("handling", value=4, reason="延长办理期限", by="admin")
    assert engine.runtime.refresh_deadlines([instance_id]) == 1
    assert due_of(engine, instance_id, "work") == "2027-03-23T23:59:59+08:00"
    assert timers(engine, instance_id) == {"late": "2027-03-23T23:59:59+08:00"}


def test_full_text_sees_a_long_text_saved_in_the_same_transaction(engine, people):
    """A notice right after the form that entered a long text gets the whole text, not ''."""
    from webapp.engine.lookups import full_text
    from webapp.models import TextBlob
    with engine.db.write() as s:
        blob = TextBlob(instance_id=None, content="很长的情况报告" * 100)
        s.add(blob)
        s.flush()
        assert full_text({"text_id": blob.id, "preview": "很长的"}) == "很长的情况报告" * 100
    assert full_text("短文本") == "短文本" and full_text(None) == ""
