"""The work calendar: every piece of date arithmetic for legal periods is done here, nowhere else.

Which days are working days:

1. an administrator's entry for that very day (a year's schedule typed in, or a local closure);
2. for a year the administrator has entered *completely*: otherwise Monday–Friday;
3. for a year the `chinesecalendar` package covers: the official schedule it carries (法定节假日 and
   the weekend make-up working days, 调休上班);
4. for any other year: Monday–Friday, *provisionally* — the result says so, and says which years
   were missing, so the caller can warn and recompute once the year is entered.

How periods are counted (民法典 arts. 201–203):

- the start day is not counted; counting starts on the next day;
- N working days end on the N-th working day after the start day;
- N months end on the corresponding day of the due month, or on its last day when it has no such
  day (Jan 31 + 1 month → Feb 28/29);
- N calendar days end on the N-th day after the start day;
- a period whose last day is a rest day ends on the next working day.

Counting backwards (a negative N, e.g. a reminder 5 working days before a due date) mirrors this:
a last day that is a rest day moves to the previous working day.

`WorkCalendar` is pure arithmetic over a fixed set of overrides: no database, no clock. The
database-backed `Clock` (service.py) builds one from the administrator's data and caches it.
"""
from __future__ import annotations

import calendar as _stdlib_calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

# The office's time zone: a date means a day in Beijing time, whatever zone the server runs in.
OFFICE_TZ = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)

UNITS = {"workdays": "个工作日", "months": "个月", "days": "日"}
# Counting further than this is a mistake in a rule or an expression, not a period.
MAX_WORKDAYS = 5000
MAX_MONTHS = 1200
MAX_DAYS = 36600


class CalendarError(ValueError):
    """A date or a count the calendar cannot work with; the message is for the user."""


class PackageSchedule:
    """The official schedule shipped in the `chinesecalendar` package: holidays and make-up days."""

    def __init__(self):
        self._holidays = frozenset(chinese_calendar.holidays)
        self._workdays = frozenset(chinese_calendar.workdays)
        years = {d.year for d in self._holidays}
        self.first_year = min(years)
        self.last_year = max(years)
        self.version = getattr(chinese_calendar, "__version__", "?")

    def covers(self, year: int) -> bool:
        return self.first_year <= year <= self.last_year

    def is_workday(self, d: date) -> bool:
        return d in self._workdays or (d.weekday() < 5 and d not in self._holidays)


PACKAGE = PackageSchedule()


@dataclass(frozen=True)
class Deadline:
    """A computed day. `provisional` when some day on the way lies in a year nobody has entered."""
    date: date
    provisional: bool = False
    uncovered_years: tuple[int, ...] = ()

    def end_of_day(self) -> datetime:
        """The last second of the day, office time: when a period ending on this day runs out."""
        return datetime.combine(self.date, END_OF_DAY, OFFICE_TZ)

    def at(self, moment: time) -> datetime:
        return datetime.combine(self.date, moment, OFFICE_TZ)

    def isoformat(self) -> str:
        return self.date.isoformat()

    def __str__(self) -> str:
        return self.date.isoformat()


@dataclass(frozen=True)
class WorkdayCount:
    """A number of working days, e.g. the working days left until a due date (negative: overdue)."""
    days: int
    provisional: bool = False
    uncovered_years: tuple[int, ...] = ()


@dataclass
class _Seen:
    """The uncovered years an operation looked at."""
    calendar: WorkCalendar
    years: set[int] = field(default_factory=set)

    def workday(self, d: date) -> bool:
        if self.calendar.coverage(d) is None:
            self.years.add(d.year)
        return self.calendar.is_workday(d)

    def deadline(self, d: date) -> Deadline:
        return Deadline(d, bool(self.years), tuple(sorted(self.years)))

    def count(self, n: int) -> WorkdayCount:
        return WorkdayCount(n, bool(self.years), tuple(sorted(self.years)))


def as_date(value) -> date:
    """A day from a date, a datetime (its day in office time) or an ISO string."""
    if isinstance(value, datetime):
        return value.astimezone(OFFICE_TZ).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            return as_date(datetime.fromisoformat(text))
        except ValueError:
            raise CalendarError(f"无法识别的日期：{value!r}（应为 YYYY-MM-DD 或 ISO 8601 时间）") from None
    raise CalendarError(f"无法识别的日期：{value!r}")


def _count(n, limit: int, what: str) -> int:
    """An integer count from an int, an integral float or a string of digits."""
    value = None
    if isinstance(n, int) and not isinstance(n, bool):
        value = n
    elif isinstance(n, float) and n.is_integer():
        value = int(n)
    elif isinstance(n, str) and n.strip().lstrip("+-").isdigit():
        value = int(n.strip())
    if value is None:
        raise CalendarError(f"{what}必须是整数：{n!r}")
    if abs(value) > limit:
        raise CalendarError(f"{what}超出范围：{value}（最多 {limit}）")
    return value


class WorkCalendar:
    """Working days and period arithmetic over the package schedule and the administrator's data.

    `overrides` maps a day to True (working day) or False (rest day); `admin_years` are the years the
    administrator has entered completely. Instances are immutable snapshots and safe to share.
    """

    def __init__(self, overrides: Mapping[date, bool] | None = None, admin_years: Iterable[int] = (),
                 package: PackageSchedule | None = PACKAGE, revision: int | None = None):
        self.overrides = dict(overrides or {})
        self.admin_years = frozenset(admin_years)
        self.package = package
        self.revision = revision

    # --- single days ---

    def coverage(self, value) -> str | None:
        """Who vouches for the day's year: 'admin', 'package', or None (counted provisionally)."""
        year = as_date(value).year
        if year in self.admin_years:
            return "admin"
        if self.package is not None and self.package.covers(year):
            return "package"
        return None

    def is_provisional(self, value) -> bool:
        return self.coverage(value) is None

    def is_workday(self, value) -> bool:
        d = as_date(value)
        override = self.overrides.get(d)
        if override is not None:
            return override
        if d.year not in self.admin_years and self.package is not None and self.package.covers(d.year):
            return self.package.is_workday(d)
        return d.weekday() < 5

    # --- periods ---

    def add_workdays(self, start, n) -> Deadline:
        """The N-th working day after `start` (start day excluded); N < 0 counts backwards."""
        d, n = as_date(start), _count(n, MAX_WORKDAYS, "工作日数")
        seen, step, left = _Seen(self), (1 if n >= 0 else -1), abs(n)
        while left:
            d += timedelta(days=step)
            if seen.workday(d):
                left -= 1
        return seen.deadline(d)

    def add_months(self, start, n) -> Deadline:
        """N months after `start`: the corresponding day (or the month's last day), then the next
        working day if that is a rest day (the previous one when counting backwards)."""
        d, n = as_date(start), _count(n, MAX_MONTHS, "月数")
        index = d.year * 12 + (d.month - 1) + n
        year, month = divmod(index, 12)
        month += 1
        if not 1 <= year <= 9999:
            raise CalendarError(f"日期超出范围：{d.isoformat()} 加 {n} 个月")
        last = _stdlib_calendar.monthrange(year, month)[1]
        return self._roll(date(year, month, min(d.day, last)), backwards=n < 0)

    def add_calendar_days(self, start, n) -> Deadline:
        """N calendar days after `start`, moved to the next working day if it ends on a rest day."""
        d, n = as_date(start), _count(n, MAX_DAYS, "天数")
        return self._roll(d + timedelta(days=n), backwards=n < 0)

    def add(self, start, value, unit: str) -> Deadline:
        """A period in one of the rule units: 'workdays', 'months' or 'days'."""
        if unit == "workdays":
            return self.add_workdays(start, value)
        if unit == "months":
            return self.add_months(start, value)
        if unit == "days":
            return self.add_calendar_days(start, value)
        raise CalendarError(f"未知的期限单位：{unit!r}（应为 {'、'.join(UNITS)}）")

    def next_workday(self, value, include: bool = True) -> Deadline:
        """The first working day on or after the day (`include`), or strictly after it."""
        d = as_date(value)
        return self._roll(d if include else d + timedelta(days=1), backwards=False)

    def workdays_between(self, a, b) -> WorkdayCount:
        """Working days after `a` up to and including `b`: e.g. today → due date gives the working days
        left (0 when due today); when `b` is before `a` the count is negative (working days overdue)."""
        a, b = as_date(a), as_date(b)
        sign = 1
        if b < a:
            a, b, sign = b, a, -1
        if (b - a).days > MAX_DAYS:
            raise CalendarError(f"日期相距过远：{a.isoformat()} 至 {b.isoformat()}")
        seen, d, n = _Seen(self), a, 0
        while d < b:
            d += timedelta(days=1)
            if seen.workday(d):
                n += 1
        return seen.count(sign * n)

    def _roll(self, d: date, backwards: bool) -> Deadline:
        seen, step = _Seen(self), timedelta(days=-1 if backwards else 1)
        for _ in range(MAX_DAYS):
            if seen.workday(d):
                return seen.deadline(d)
            d += step
        raise CalendarError("找不到工作日：日历数据有误")  # only if every day were a rest day


def provisional_note(years: Iterable[int]) -> str:
    """The warning shown next to a provisional result (Chinese, for the user)."""
    listed = "、".join(f"{y} 年" for y in sorted(set(years)))
    return f"临时结果：{listed}的节假日安排尚未录入，暂按周末休息计算，录入后会变化"
