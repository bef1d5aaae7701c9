"""The legal clock: working days, period arithmetic (民法典 arts. 201–203) and named deadline rules.

    calendar.py  WorkCalendar — all date arithmetic; pure, no database (is_workday, add_workdays,
                 add_months, add_calendar_days, workdays_between, coverage)
    service.py   Clock — the calendar data and the deadline rules in the database, cached per process

Expressions in diagrams (`${deadline('handling')}`) are evaluated deep inside SpiffWorkflow, where no
session or engine is at hand; they reach the clock through `current()`, which the Engine binds to its
database when it is created (one engine per process: web, worker or command line).
"""
from .calendar import (OFFICE_TZ, PACKAGE, UNITS, CalendarError, Deadline, PackageSchedule, WorkCalendar,
                       WorkdayCount, as_date, provisional_note)
from .service import (SCHEDULE_FORMAT, Clock, DayEntry, ImportResult, RuleValue, ScheduleError, UnknownRule,
                      parse_schedule)

_current: Clock | None = None


def bind(clock: Clock) -> None:
    """Make `clock` the one diagram expressions use in this process."""
    global _current
    _current = clock


def current() -> Clock:
    if _current is None:
        raise CalendarError("工作日历尚未连接数据库（由 Engine 创建时连接）")
    return _current


__all__ = ["OFFICE_TZ", "PACKAGE", "UNITS", "CalendarError", "Clock", "DayEntry", "Deadline", "ImportResult",
           "PackageSchedule", "RuleValue", "SCHEDULE_FORMAT", "ScheduleError", "UnknownRule", "WorkCalendar",
           "WorkdayCount", "as_date", "bind", "current", "parse_schedule", "provisional_note"]
