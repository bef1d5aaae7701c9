"""The clock bound to a database: the administrator's calendar data and the named deadline rules.

`Clock` is shared by the web app, the worker and the command line (each process has one, made by
the Engine). It never does date arithmetic itself: it builds a `WorkCalendar` from the database and
hands the counting to it.

Caching: the calendar overrides are loaded once per process and kept until another process (or this
one) changes them. Every change bumps the `calendar` row of `clock_revisions` in the same
transaction, so each use costs one primary-key read to know whether the cached calendar is current.
Rules are read fresh on every use (one indexed row), so a changed rule applies to the next deadline
in every process at once, without a restart — except inside `Clock.steady()`, a block that computes
many deadlines for reading (a ledger of every item, the demo seed) and reads each rule and the
calendar once.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import delete, insert, select, update

from ..models import CalendarDay, CalendarYear, ClockRevision, DeadlineRule, DeadlineRuleChange, utcnow
from .calendar import (MAX_DAYS, MAX_MONTHS, MAX_WORKDAYS, OFFICE_TZ, PACKAGE, UNITS, CalendarError, Deadline,
                       PackageSchedule, WorkCalendar, as_date)

CALENDAR = "calendar"  # the revision counter of the calendar data
SOURCES = {"schedule": "年度安排", "closure": "临时调整"}
_UNIT_LIMITS = {"workdays": MAX_WORKDAYS, "months": MAX_MONTHS, "days": MAX_DAYS}
# Inside Clock.steady(): (rule name, day) -> (RuleValue, WorkCalendar), per thread and task.
_steady: ContextVar[dict | None] = ContextVar("clock_steady", default=None)


class UnknownRule(CalendarError):
    pass


class ScheduleError(CalendarError):
    """A schedule file or text that cannot be imported; the message lists every bad line."""


@dataclass(frozen=True)
class RuleValue:
    """A deadline rule's value in force on a given day."""
    name: str
    label: str
    value: int
    unit: str
    effective_from: date


@dataclass(frozen=True)
class DayEntry:
    day: date
    is_workday: bool
    note: str = ""


@dataclass(frozen=True)
class ImportResult:
    year: int
    days: int          # entries stored
    kept_closures: int  # entries skipped because a local closure for that day exists


class Clock:
    def __init__(self, db, package: PackageSchedule | None = PACKAGE):
        self.db = db
        self.package = package
        self._cached: WorkCalendar | None = None

    @staticmethod
    def today() -> date:
        """Today in office time (the server may run in another zone)."""
        return datetime.now(timezone.utc).astimezone(OFFICE_TZ).date()

    # --- reading -----------------------------------------------------------------------------------

    def calendar(self) -> WorkCalendar:
        """The current calendar (cached until the calendar data changes)."""
        with self.db.read() as s:
            return self._calendar(s)

    def _calendar(self, s) -> WorkCalendar:
        # Only ever called with a read session this class opened itself: a calendar built from a
        # caller's uncommitted writes must not be cached under a revision number.
        revision = s.scalar(select(ClockRevision.revision).where(ClockRevision.name == CALENDAR))
        cached = self._cached
        if cached is not None and revision is not None and cached.revision == revision:
            return cached
        # The revision is read before the data: a change committed in between makes the data newer
        # than the revision, never older, so the next use reloads at worst.
        overrides = {day: workday for day, workday in s.execute(select(CalendarDay.day, CalendarDay.is_workday))}
        years = s.scalars(select(CalendarYear.year)).all()
        calendar = WorkCalendar(overrides, years, self.package, revision)
        if revision is not None:
            self._cached = calendar
        return calendar

    def rule(self, name: str, on: date | None = None) -> RuleValue:
        """The rule's value in force on the day `on` (default today)."""
        with self.db.read() as s:
            return self._rule(s, name, on or self.today())

    def _rule(self, s, name: str, on: date) -> RuleValue:
        row = s.scalar(select(DeadlineRule).where(DeadlineRule.name == name))
        if row is None:
            known = "、".join(s.scalars(select(DeadlineRule.name).order_by(DeadlineRule.name))) or "无"
            raise UnknownRule(f"期限规则“{name}”不存在（已有：{known}）")
        if on >= row.effective_from:
            return RuleValue(row.name, row.label, row.value, row.unit, row.effective_from)
        # A change that takes effect later: walk back through the trail to the value in force then.
        changes = s.scalars(select(DeadlineRuleChange).where(DeadlineRuleChange.rule_id == row.id)
                            .order_by(DeadlineRuleChange.id.desc())).all()
        for change in changes:
            if on >= change.old_effective_from:
                return RuleValue(row.name, row.label, change.old_value, change.old_unit, change.old_effective_from)
        if changes:  # before anything recorded: the oldest known value
            first = changes[-1]
            return RuleValue(row.name, row.label, first.old_value, first.old_unit, first.old_effective_from)
        return RuleValue(row.name, row.label, row.value, row.unit, row.effective_from)

    def rules(self) -> list[DeadlineRule]:
        with self.db.read() as s:
            return list(s.scalars(select(DeadlineRule).order_by(DeadlineRule.id)))

    def rule_history(self, name: str) -> list[DeadlineRuleChange]:
        """A rule's changes, newest first."""
        with self.db.read() as s:
            return list(s.scalars(select(DeadlineRuleChange).join(DeadlineRule)
                                  .where(DeadlineRule.name == name).order_by(DeadlineRuleChange.id.desc())))

    def deadline(self, name: str, start=None) -> Deadline:
        """The last day of the period the named rule sets, counted from `start` (default today).

        The rule's value is the one in force today: a changed rule applies to deadlines computed
        from now on, whatever their start day."""
        today = self.today()
        rule, calendar = self._rule_and_calendar(name, today)
        return calendar.add(today if start is None else start, rule.value, rule.unit)

    def before(self, name: str, due) -> Deadline:
        """The day the named rule's period lies before `due`, e.g. a reminder 15 working days ahead."""
        rule, calendar = self._rule_and_calendar(name, self.today())
        return calendar.add(due, -rule.value, rule.unit)

    @contextmanager
    def steady(self):
        """A block that computes many deadlines only to read them (a page listing every item, the
        demo seed): each rule and the calendar are read from the database once in it instead of at
        every deadline. A rule or calendar change committed meanwhile is seen after the block."""
        token = _steady.set({})
        try:
            yield self
        finally:
            _steady.reset(token)

    def _rule_and_calendar(self, name: str, on: date) -> tuple[RuleValue, WorkCalendar]:
        cache = _steady.get()
        if cache is not None and (name, on) in cache:
            return cache[(name, on)]
        with self.db.read() as s:
            found = self._rule(s, name, on), self._calendar(s)
        if cache is not None:
            cache[(name, on)] = found
        return found

    def years(self) -> list[CalendarYear]:
        """The years an administrator has entered completely."""
        with self.db.read() as s:
            return list(s.scalars(select(CalendarYear).order_by(CalendarYear.year)))

    def days(self, year: int | None = None) -> list[CalendarDay]:
        with self.db.read() as s:
            query = select(CalendarDay).order_by(CalendarDay.day)
            if year is not None:
                query = query.where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
            return list(s.scalars(query))

    def missing_years(self, first: int, last: int) -> list[int]:
        """The years in [first, last] neither the package nor an administrator covers."""
        calendar = self.calendar()
        return [y for y in range(first, last + 1) if calendar.coverage(date(y, 1, 1)) is None]

    # --- changing the calendar ---------------------------------------------------------------------

    def set_day(self, day, is_workday: bool, *, note: str = "", source: str = "closure", by: str | None = None):
        """Enter one day: a local closure (rest day), or one day of a year's schedule."""
        day = as_date(day)
        if source not in SOURCES:
            raise CalendarError(f"未知的来源：{source!r}")
        with self.db.write() as s:
            row = s.scalar(select(CalendarDay).where(CalendarDay.day == day))
            if row is None:
                s.add(CalendarDay(day=day, is_workday=bool(is_workday), note=note, source=source, created_by=by))
            else:
                row.is_workday, row.note, row.source, row.created_by, row.created_at = \
                    bool(is_workday), note, source, by, utcnow()
            _bump(s)

    def remove_day(self, day) -> bool:
        day = as_date(day)
        with self.db.write() as s:
            removed = s.execute(delete(CalendarDay).where(CalendarDay.day == day)).rowcount > 0
            if removed:
                _bump(s)
            return removed

    def import_year(self, year: int, entries: list[DayEntry], *, by: str | None = None, note: str = "",
                    complete: bool = True) -> ImportResult:
        """Replace the year's schedule with `entries` (local closures stay) and, if `complete`, mark
        the year as entered: from then on it counts as covered and its deadlines are final."""
        problems = [f"{e.day.isoformat()} 不属于 {year} 年" for e in entries if e.day.year != year]
        seen: dict[date, bool] = {}
        for e in entries:
            if seen.setdefault(e.day, e.is_workday) != e.is_workday:
                problems.append(f"{e.day.isoformat()} 既写作上班又写作休息")
        if not entries:
            problems.append("没有任何日期")
        if problems:
            raise ScheduleError(f"{year} 年安排不能导入：" + "；".join(dict.fromkeys(problems)))
        unique = list({e.day: e for e in entries}.values())
        with self.db.write() as s:
            s.execute(delete(CalendarDay).where(CalendarDay.source == "schedule",
                                                CalendarDay.day >= date(year, 1, 1),
                                                CalendarDay.day <= date(year, 12, 31)))
            closures = set(s.scalars(select(CalendarDay.day).where(CalendarDay.day >= date(year, 1, 1),
                                                                   CalendarDay.day <= date(year, 12, 31))))
            rows = [dict(day=e.day, is_workday=e.is_workday, note=e.note, source="schedule", created_by=by,
                         created_at=utcnow()) for e in unique if e.day not in closures]
            if rows:
                s.execute(insert(CalendarDay), rows)
            if complete:
                entered = s.get(CalendarYear, year)
                if entered is None:
                    s.add(CalendarYear(year=year, note=note, entered_by=by))
                else:
                    entered.note, entered.entered_by, entered.entered_at = note, by, utcnow()
            _bump(s)
        return ImportResult(year, len(rows), len(unique) - len(rows))

    def remove_year(self, year: int) -> None:
        """Forget a year's schedule and its completeness mark (local closures stay)."""
        with self.db.write() as s:
            s.execute(delete(CalendarDay).where(CalendarDay.source == "schedule",
                                                CalendarDay.day >= date(year, 1, 1),
                                                CalendarDay.day <= date(year, 12, 31)))
            s.execute(delete(CalendarYear).where(CalendarYear.year == year))
            _bump(s)

    # --- changing rules ----------------------------------------------------------------------------

    def change_rule(self, name: str, *, value: int | None = None, unit: str | None = None,
                    effective_from: date | None = None, by: str | None = None,
                    reason: str = "") -> DeadlineRuleChange | None:
        """Change a rule's value and/or unit from `effective_from` (default today), with an audit
        record; returns None when nothing changes."""
        with self.db.write() as s:
            row = s.scalar(select(DeadlineRule).where(DeadlineRule.name == name).with_for_update())
            if row is None:
                raise UnknownRule(f"期限规则“{name}”不存在")
            new_value = row.value if value is None else value
            new_unit = row.unit if unit is None else unit
            new_from = as_date(effective_from) if effective_from is not None else self.today()
            check_rule_value(new_value, new_unit)
            if (new_value, new_unit) == (row.value, row.unit):
                return None
            change = DeadlineRuleChange(rule_id=row.id, changed_by=by, old_value=row.value, old_unit=row.unit,
                                        old_effective_from=row.effective_from, new_value=new_value,
                                        new_unit=new_unit, new_effective_from=new_from, reason=reason or "")
            s.add(change)
            row.value, row.unit, row.effective_from = new_value, new_unit, new_from
            row.updated_by, row.updated_at = by, utcnow()
        return change


def check_rule_value(value, unit: str) -> None:
    if unit not in UNITS:
        raise CalendarError(f"未知的期限单位：{unit!r}（应为 {'、'.join(UNITS)}）")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CalendarError(f"期限必须是正整数：{value!r}")
    if value > _UNIT_LIMITS[unit]:
        raise CalendarError(f"期限过长：{value} {UNITS[unit]}")


def _bump(s) -> None:
    """Mark the calendar data as changed (in the caller's transaction)."""
    now = utcnow()
    bumped = s.execute(update(ClockRevision).where(ClockRevision.name == CALENDAR)
                       .values(revision=ClockRevision.revision + 1, changed_at=now)).rowcount
    if not bumped:
        s.add(ClockRevision(name=CALENDAR, revision=1, changed_at=now))


# --- schedule text ---------------------------------------------------------------------------------

REST_WORDS = {"休", "休息", "放假", "假", "rest", "off", "holiday"}
WORK_WORDS = {"班", "上班", "补班", "work", "workday"}
_DATE = r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
_LINE = re.compile(rf"^({_DATE})(?:\s*(?:\.\.|~|～|至|到|—)\s*({_DATE}))?\s+(\S+)(?:\s+(.*))?$")

SCHEDULE_FORMAT = """\
每行一天或一段日期，后跟“休”或“班”，可再加说明；# 开头的行和空行忽略。例如：
  2027-01-01 休 元旦
  2027-02-05..2027-02-11 休 春节
  2027-02-20 班 春节调休上班
只需写出与“周一至周五上班、周六周日休息”不同的日子（节假日、调休上班日）；写了也无妨。"""


def _parse_day(text: str) -> date:
    y, m, d = (int(p) for p in re.split(r"[-/.]", text))
    return date(y, m, d)


def parse_schedule(text: str) -> list[DayEntry]:
    """Entries from schedule text (see SCHEDULE_FORMAT); raises ScheduleError naming every bad line."""
    entries, problems = [], []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            problems.append(f"第 {number} 行无法识别：{line}")
            continue
        first, last, word, note = m.groups()
        if word.lower() in REST_WORDS:
            workday = False
        elif word.lower() in WORK_WORDS:
            workday = True
        else:
            problems.append(f"第 {number} 行应写“休”或“班”，而不是“{word}”")
            continue
        try:
            start = _parse_day(first)
            end = _parse_day(last) if last else start
        except ValueError:
            problems.append(f"第 {number} 行的日期不存在：{line}")
            continue
        if end < start or (end - start).days > 366:
            problems.append(f"第 {number} 行的日期范围有误：{line}")
            continue
        for offset in range((end - start).days + 1):
            entries.append(DayEntry(date.fromordinal(start.toordinal() + offset), workday, (note or "").strip()))
    if problems:
        raise ScheduleError("\n".join(problems))
    return entries
