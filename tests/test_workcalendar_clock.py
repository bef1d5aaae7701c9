"""The clock in the database: administrator overrides, entered years, cache invalidation across
processes, and named deadline rules with their audit trail (SQLite and PostgreSQL).

Expected dates are counted by hand from the State Council notices listed in test_workcalendar.py.
"""
from datetime import date, datetime, timezone

import pytest
import time_machine
from sqlalchemy import select

from tests.support.calendar import SCHEDULE_2027, other_process, package_until_2026  # noqa: F401 (fixtures)
from webapp.clock import CalendarError, ScheduleError, UnknownRule, parse_schedule
from webapp.models import CalendarDay, CalendarYear, DeadlineRule, DeadlineRuleChange

D = date.fromisoformat


def test_default_rules_are_seeded(engine):
    rules = {r.name: (r.value, r.unit) for r in engine.clock.rules()}
    assert rules == {
        "objection_window": (7, "workdays"), "handling": (3, "months"), "redo_review": (1, "months"),
        "redo_unsatisfied": (1, "months"), "co_unit_opinion": (1, "months"), "publication": (20, "workdays"),
        "reminder_first": (15, "workdays"), "reminder_second": (5, "workdays"), "follow_up": (6, "months"),
        "intake_review": (5, "workdays"), "recheck_c": (12, "months"),
    }
    assert all(r.label for r in engine.clock.rules())


def test_deadlines_by_rule_name(engine):
    clock = engine.clock
    assert clock.deadline("objection_window", D("2024-09-27")).date == D("2024-10-12")
    assert clock.deadline("handling", D("2024-07-01")).date == D("2024-10-08")
    assert clock.deadline("publication", D("2024-09-20")).date == D("2024-10-23")
    assert clock.deadline("redo_review", D("2024-01-31")).date == D("2024-02-29")
    assert clock.deadline("follow_up", D("2024-02-18")).date == D("2024-08-19")
    assert clock.before("reminder_second", D("2024-10-12")).date == D("2024-09-30")
    # 10/22 … 10/14, 10/12 (Sat), 10/11 … 10/8 | 9/30, 9/29 (Sun), 9/27
    assert clock.before("reminder_first", D("2024-10-23")).date == D("2024-09-27")
    with pytest.raises(UnknownRule, match="期限规则“handlng”不存在"):
        clock.deadline("handlng")


def test_deadline_counts_from_today_in_office_time(engine):
    # 20:00 UTC on Thursday 9/26 is already Friday 9/27 in Beijing
    with time_machine.travel(datetime(2024, 9, 26, 20, 0, tzinfo=timezone.utc), tick=False):
        assert engine.clock.today() == D("2024-09-27")
        assert engine.clock.deadline("objection_window").date == D("2024-10-12")


# --- administrator overrides -----------------------------------------------------------------------

def test_a_local_closure_moves_deadlines(engine):
    clock = engine.clock
    assert clock.calendar().add_workdays(D("2024-10-11"), 2).date == D("2024-10-14")
    clock.set_day(D("2024-10-14"), False, note="台风停工", by="admin")
    assert clock.calendar().add_workdays(D("2024-10-11"), 2).date == D("2024-10-15")
    [row] = clock.days(2024)
    assert (row.day, row.is_workday, row.note, row.source, row.created_by) == \
        (D("2024-10-14"), False, "台风停工", "closure", "admin")
    assert clock.remove_day(D("2024-10-14"))
    assert not clock.remove_day(D("2024-10-14"))
    assert clock.calendar().add_workdays(D("2024-10-11"), 2).date == D("2024-10-14")


def test_the_cached_calendar_is_reused_until_someone_changes_it(engine, other_process):
    first = engine.clock.calendar()
    assert engine.clock.calendar() is first  # nothing changed: no reload
    other_process.set_day(D("2024-10-14"), False, note="台风停工")
    second = engine.clock.calendar()
    assert second is not first and second.revision > first.revision
    assert not second.is_workday(D("2024-10-14"))
    assert engine.clock.calendar() is second


def test_an_uncovered_year_before_and_after_the_administrator_enters_it(engine, other_process,
                                                                       package_until_2026):
    clock = engine.clock
    assert clock.missing_years(2026, 2028) == [2027, 2028]
    # Friday 2026-12-25 + 7 working days, weekends only in 2027: 12/28 … 12/31, 1/1, 1/4, 1/5
    before = clock.deadline("objection_window", D("2026-12-25"))
    assert (before.date, before.provisional, before.uncovered_years) == (D("2027-01-05"), True, (2027,))
    assert clock.calendar().coverage(D("2027-03-01")) is None

    result = other_process.import_year(2027, parse_schedule(SCHEDULE_2027), by="admin",
                                       note="国办发明电（测试）")
    assert (result.days, result.kept_closures) == (9, 0)

    # recomputed in this process without a restart: 1/1 is a holiday now
    after = clock.deadline("objection_window", D("2026-12-25"))
    assert (after.date, after.provisional) == (D("2027-01-06"), False)
    assert clock.calendar().coverage(D("2027-03-01")) == "admin"
    assert clock.missing_years(2026, 2028) == [2028]
    assert clock.calendar().add_workdays(D("2027-02-05"), 1).date == D("2027-02-15")  # Spring Festival
    assert clock.calendar().add_workdays(D("2027-02-19"), 1).date == D("2027-02-20")  # make-up Saturday
    [year] = clock.years()
    assert (year.year, year.entered_by, year.note) == (2027, "admin", "国办发明电（测试）")

    clock.remove_year(2027)
    assert clock.deadline("objection_window", D("2026-12-25")).provisional


def test_importing_a_year_again_replaces_its_schedule_and_keeps_closures(engine):
    clock = engine.clock
    clock.set_day(D("2027-03-03"), False, note="停电", by="admin")
    clock.import_year(2027, parse_schedule(SCHEDULE_2027 + "2027-03-03 班\n"))
    result = clock.import_year(2027, parse_schedule("2027-01-01 休 元旦\n2027-03-03 班\n"), by="admin2")
    assert (result.days, result.kept_closures) == (1, 1)
    with engine.db.read() as s:
        rows = {r.day: (r.is_workday, r.source) for r in s.scalars(select(CalendarDay))}
        assert rows == {D("2027-01-01"): (False, "schedule"), D("2027-03-03"): (False, "closure")}
        assert s.get(CalendarYear, 2027).entered_by == "admin2"


def test_a_partial_import_does_not_mark_the_year_entered(engine, package_until_2026):
    engine.clock.import_year(2027, parse_schedule("2027-01-01 休\n"), complete=False)
    result = engine.clock.deadline("objection_window", D("2026-12-25"))
    assert (result.date, result.provisional) == (D("2027-01-06"), True)
    assert engine.clock.years() == []


def test_schedule_text_is_checked_line_by_line():
    entries = parse_schedule("\ufeff# 注释\n\n2027/1/1 休 元旦\n2027-02-06 至 2027-02-07 放假\n2027-02-20 补班\n")
    assert [(e.day, e.is_workday, e.note) for e in entries] == [
        (D("2027-01-01"), False, "元旦"), (D("2027-02-06"), False, ""), (D("2027-02-07"), False, ""),
        (D("2027-02-20"), True, "")]
    with pytest.raises(ScheduleError) as e:
        parse_schedule("2027-01-01 休\n2027-02-30 休\n2027-03-01 忙\nhello\n2027-05-05..2027-05-01 休\n")
    assert str(e.value).splitlines() == [
        "第 2 行的日期不存在：2027-02-30 休", "第 3 行应写“休”或“班”，而不是“忙”", "第 4 行无法识别：hello",
        "第 5 行的日期范围有误：2027-05-05..2027-05-01 休"]


def test_an_import_with_days_of_another_year_or_contradictions_stores_nothing(engine):
    with pytest.raises(ScheduleError, match="2026-12-31 不属于 2027 年"):
        engine.clock.import_year(2027, parse_schedule("2026-12-31 休\n2027-01-01 休\n"))
    with pytest.raises(ScheduleError, match="既写作上班又写作休息"):
        engine.clock.import_year(2027, parse_schedule("2027-01-01 休\n2027-01-01 班\n"))
    with pytest.raises(ScheduleError, match="没有任何日期"):
        engine.clock.import_year(2027, [])
    assert engine.clock.days() == [] and engine.clock.years() == []


# --- rules -----------------------------------------------------------------------------------------

def test_a_rule_change_applies_to_the_next_deadline_in_every_process(engine, other_process):
    assert engine.clock.deadline("handling", D("2024-07-01")).date == D("2024-10-08")
    with time_machine.travel(datetime(2024, 7, 1, 2, 0, tzinfo=timezone.utc), tick=False):
        change = other_process.change_rule("handling", value=2, by="admin", reason="市政府办公室通知")
    assert (change.old_value, change.old_unit, change.new_value, change.new_unit, change.new_effective_from) == \
        (3, "months", 2, "months", D("2024-07-01"))
    # 2024-09-01 is a Sunday
    assert engine.clock.deadline("handling", D("2024-07-01")).date == D("2024-09-02")
    [logged] = engine.clock.rule_history("handling")
    assert (logged.changed_by, logged.reason, logged.old_value, logged.new_value) == \
        ("admin", "市政府办公室通知", 3, 2)
    with engine.db.read() as s:
        rule = s.scalar(select(DeadlineRule).where(DeadlineRule.name == "handling"))
        assert (rule.value, rule.updated_by) == (2, "admin")

    # a unit change, e.g. to working days
    other_process.change_rule("handling", value=60, unit="workdays", by="admin")
    # July 22, August 22, September: 9/2 … 9/13 (10), 9/14 (Sat, 11), 9/18 … 9/24 (16)
    assert engine.clock.deadline("handling", D("2024-07-01")).date == D("2024-09-24")
    assert [c.new_unit for c in engine.clock.rule_history("handling")] == ["workdays", "months"]


def test_a_rule_change_from_a_later_day(engine):
    clock = engine.clock
    clock.change_rule("objection_window", value=10, effective_from=D("2024-10-01"), by="admin")
    # computed before that day: still 7 working days
    with time_machine.travel(datetime(2024, 9, 27, 2, 0, tzinfo=timezone.utc), tick=False):
        assert clock.rule("objection_window").value == 7
        assert clock.deadline("objection_window").date == D("2024-10-12")
    # from that day on: 10 (10/8 … 10/12 (Sat) 10/14 … 10/18)
    with time_machine.travel(datetime(2024, 10, 1, 2, 0, tzinfo=timezone.utc), tick=False):
        assert clock.rule("objection_window").value == 10
        assert clock.deadline("objection_window").date == D("2024-10-18")


@pytest.mark.parametrize("kwargs, message", [
    (dict(value=0), "正整数"), (dict(value=-3), "正整数"), (dict(unit="weeks"), "未知的期限单位"),
    (dict(value=5000, unit="months"), "期限过长"),
])
def test_bad_rule_values_are_refused(engine, kwargs, message):
    with pytest.raises(CalendarError, match=message):
        engine.clock.change_rule("handling", by="admin", **kwargs)
    with pytest.raises(UnknownRule):
        engine.clock.change_rule("nonexistent", value=3)
    assert engine.clock.rule("handling").value == 3
    with engine.db.read() as s:
        assert s.scalars(select(DeadlineRuleChange)).all() == []


def test_no_change_leaves_no_audit_record(engine):
    assert engine.clock.change_rule("handling", value=3, unit="months", by="admin") is None
    assert engine.clock.rule_history("handling") == []
