"""The work calendar's arithmetic against dates worked out by hand from the State Council schedules.

Every expected date below was counted on paper from the 国务院办公厅 notice named next to it, not
from the `chinesecalendar` package, so a wrong package release or a wrong rule shows up here.

    2015 国办发明电〔2014〕28号  春节 2/18–2/24 休；2/15（日）、2/28（六）上班
    2021 国办发明电〔2020〕27号  春节 2/11–2/17 休；2/7（日）、2/20（六）上班
    2024 国办发明电〔2023〕7号   春节 2/10–2/17 休；2/4（日）、2/18（日）上班（除夕 2/9 为工作日）
                                 清明 4/4–4/6 休，4/7（日）上班；劳动节 5/1–5/5 休，4/28（日）、5/11（六）上班
                                 端午 6/10 休；中秋 9/15–9/17 休，9/14（六）上班
                                 国庆 10/1–10/7 休；9/29（日）、10/12（六）上班
    2025 国办发明电〔2024〕12号  元旦 1/1 休；春节 1/28–2/4 休，1/26（日）、2/8（六）上班
                                 劳动节 5/1–5/5 休，4/27（日）上班
                                 国庆、中秋 10/1–10/8 休；9/28（日）、10/11（六）上班
    2026 国办发明电〔2025〕7号   元旦 1/1–1/3 休，1/4（日）上班；春节 2/15–2/23 休，2/14（六）、2/28（六）上班
"""
from datetime import date, datetime, timedelta, timezone

import pytest

from webapp.clock import CalendarError, PackageSchedule, WorkCalendar

D = date.fromisoformat


def package_until(year: int) -> PackageSchedule:
    """The bundled schedule, cut off after `year`: chinesecalendar 1.11 carries data up to 2026. A newer
    release may cover 2027; the tests about an uncovered year pretend it does not, so the dates
    written here stay right whatever release is installed."""
    package = PackageSchedule()
    package.last_year = min(package.last_year, year)
    return package


CAL = WorkCalendar(package=package_until(2026))


# --- single days -----------------------------------------------------------------------------------

@pytest.mark.parametrize("day, workday", [
    # make-up Sundays and Saturdays (调休上班)
    ("2024-02-04", True), ("2024-02-18", True), ("2024-04-07", True), ("2024-04-28", True),
    ("2024-05-11", True), ("2024-09-14", True), ("2024-09-29", True), ("2024-10-12", True),
    ("2025-01-26", True), ("2025-02-08", True), ("2025-04-27", True), ("2025-09-28", True),
    ("2025-10-11", True), ("2026-01-04", True), ("2026-02-14", True), ("2026-02-28", True),
    ("2015-02-28", True), ("2021-02-20", True),
    # holidays on weekdays
    ("2024-02-12", False), ("2024-02-16", False), ("2024-06-10", False), ("2024-10-07", False),
    ("2025-01-01", False), ("2025-01-28", False), ("2025-02-04", False), ("2025-10-08", False),
    ("2026-02-23", False),
    # ordinary days around them
    ("2024-02-09", True),   # 除夕 2024 was a working day (only "encouraged" off)
    ("2024-02-17", False),  # Saturday inside the holiday
    ("2024-02-19", True), ("2024-10-08", True), ("2024-10-13", False), ("2025-02-05", True),
    ("2025-10-09", True), ("2025-10-12", False), ("2024-03-02", False), ("2024-03-04", True),
])
def test_official_holidays_and_make_up_days(day, workday):
    assert CAL.is_workday(D(day)) is workday
    assert CAL.coverage(D(day)) == "package"


# --- N working days --------------------------------------------------------------------------------

@pytest.mark.parametrize("start, n, due", [
    # Spring Festival 2024: 2/10–2/17 off, 2/4 (Sun) and 2/18 (Sun) working
    ("2024-02-02", 1, "2024-02-04"),   # Friday + 1 = the make-up Sunday
    ("2024-02-08", 2, "2024-02-18"),   # 2/9 (1), holiday, make-up Sunday 2/18 (2)
    ("2024-02-09", 1, "2024-02-18"),
    ("2024-02-05", 7, "2024-02-20"),   # 2/6 2/7 2/8 2/9 | 2/18 2/19 2/20
    # Spring Festival 2025: 1/28–2/4 off, 1/26 (Sun) and 2/8 (Sat) working
    ("2025-01-24", 7, "2025-02-10"),   # 1/26 1/27 | 2/5 2/6 2/7 2/8 | 2/10
    ("2025-01-27", 1, "2025-02-05"),
    ("2025-02-07", 1, "2025-02-08"),   # the make-up Saturday
    # National Day 2024: 10/1–10/7 off, 9/29 (Sun) and 10/12 (Sat) working
    ("2024-09-27", 7, "2024-10-12"),   # 9/29 9/30 | 10/8 10/9 10/10 10/11 10/12
    ("2024-09-20", 20, "2024-10-23"),  # the publication window across the whole week
    ("2024-09-13", 1, "2024-09-14"),   # Mid-Autumn 2024: make-up Saturday 9/14
    ("2024-09-14", 1, "2024-09-18"),   # then 9/15–9/17 off
    # National Day and Mid-Autumn 2025: 10/1–10/8 off, 9/28 (Sun) and 10/11 (Sat) working
    ("2025-09-26", 7, "2025-10-13"),   # 9/28 9/29 9/30 | 10/9 10/10 10/11 | 10/13
    ("2025-09-30", 1, "2025-10-09"),
    ("2025-10-10", 1, "2025-10-11"),
    # ordinary weeks
    ("2024-03-01", 5, "2024-03-08"),
    ("2024-03-04", 0, "2024-03-04"),
])
def test_add_workdays(start, n, due):
    result = CAL.add_workdays(D(start), n)
    assert result.date == D(due)
    assert not result.provisional


@pytest.mark.parametrize("start, n, due", [
    ("2024-10-01", 1, "2024-10-08"),   # a holiday: counting starts the next day all the same
    ("2024-10-01", 7, "2024-10-15"),   # 10/8 10/9 10/10 10/11 10/12 (Sat, working) 10/14 10/15
    ("2024-02-10", 7, "2024-02-26"),   # first day of Spring Festival: 2/18 2/19 … 2/23, 2/26
    ("2024-03-02", 1, "2024-03-04"),   # an ordinary Saturday
    ("2024-02-18", 1, "2024-02-19"),   # a make-up Sunday is a working day, but the start day never counts
])
def test_a_start_day_that_is_a_rest_day(start, n, due):
    assert CAL.add_workdays(D(start), n).date == D(due)


@pytest.mark.parametrize("due, n, reminder", [
    ("2024-10-12", 5, "2024-09-30"),   # 10/11 10/10 10/9 10/8 | 9/30
    ("2024-10-08", 1, "2024-09-30"),
    ("2025-02-10", 7, "2025-01-24"),   # the mirror of 1/24 + 7: 2/8 2/7 2/6 2/5 | 1/27 1/26 | 1/24
])
def test_counting_working_days_backwards(due, n, reminder):
    assert CAL.add_workdays(D(due), -n).date == D(reminder)


# --- N months --------------------------------------------------------------------------------------

@pytest.mark.parametrize("start, n, due", [
    # no corresponding day: the month's last day (民法典 art. 202) …
    ("2024-01-31", 1, "2024-02-29"),   # leap year, a Thursday
    ("2025-01-31", 1, "2025-02-28"),   # a Friday
    ("2024-08-31", 1, "2024-09-30"),
    ("2024-03-31", 1, "2024-04-30"),
    # … and if that is a rest day, the next working day (art. 203)
    ("2021-01-31", 1, "2021-03-01"),   # 2021-02-28 is a Sunday
    ("2021-01-30", 1, "2021-03-01"),
    # … unless it is a make-up working day
    ("2015-01-31", 1, "2015-02-28"),   # Saturday 2015-02-28 was worked (Spring Festival 2015)
    ("2026-01-31", 1, "2026-02-28"),   # Saturday 2026-02-28 is worked (Spring Festival 2026)
    # Nov 30 + 3 months
    ("2023-11-30", 3, "2024-02-29"),
    ("2024-11-30", 3, "2025-02-28"),
    ("2025-11-30", 3, "2026-02-28"),   # a make-up Saturday
    ("2020-11-30", 3, "2021-03-01"),   # 2021-02-28 is a Sunday
    # the corresponding day falls in a holiday week
    ("2024-01-15", 1, "2024-02-18"),   # 2/15 is in Spring Festival; 2/18 is the make-up Sunday
    ("2024-07-01", 3, "2024-10-08"),   # handling period ending on National Day
    ("2024-07-05", 3, "2024-10-08"),
    ("2025-07-02", 3, "2025-10-09"),   # National Day and Mid-Autumn 2025 last until 10/8
    ("2025-07-11", 3, "2025-10-11"),   # lands on the make-up Saturday: stays
    ("2024-12-28", 1, "2025-02-05"),   # 2025-01-28 is New Year's Eve, first day of Spring Festival
    ("2024-11-01", 3, "2025-02-05"),   # 2025-02-01 is inside Spring Festival
    # a start day that is itself a rest day
    ("2024-10-05", 3, "2025-01-06"),   # 2025-01-05 is a Sunday
    ("2025-10-01", 1, "2025-11-03"),   # 2025-11-01 is a Saturday
    ("2024-02-18", 6, "2024-08-19"),   # follow-up interval; 2024-08-18 is a Sunday
    ("2024-05-15", 12, "2025-05-15"),
])
def test_add_months(start, n, due):
    result = CAL.add_months(D(start), n)
    assert result.date == D(due)
    assert not result.provisional


@pytest.mark.parametrize("start, n, due", [
    ("2024-09-24", 7, "2024-10-08"),   # 10/1 is a holiday: the period ends on the next working day
    ("2024-09-22", 7, "2024-09-29"),   # a make-up Sunday is a working day
    ("2024-03-01", 1, "2024-03-04"),   # Saturday → Monday
    ("2024-03-04", 3, "2024-03-07"),
])
def test_add_calendar_days(start, n, due):
    assert CAL.add_calendar_days(D(start), n).date == D(due)


def test_add_by_rule_unit():
    assert CAL.add(D("2024-09-27"), 7, "workdays").date == D("2024-10-12")
    assert CAL.add(D("2024-07-01"), 3, "months").date == D("2024-10-08")
    assert CAL.add(D("2024-09-24"), 7, "days").date == D("2024-10-08")
    with pytest.raises(CalendarError, match="未知的期限单位"):
        CAL.add(D("2024-09-24"), 7, "weeks")


# --- working days between two days -----------------------------------------------------------------

def test_workdays_between():
    assert CAL.workdays_between(D("2024-09-27"), D("2024-10-12")).days == 7
    assert CAL.workdays_between(D("2024-10-12"), D("2024-09-27")).days == -7  # overdue
    assert CAL.workdays_between(D("2024-10-12"), D("2024-10-12")).days == 0   # due today
    assert CAL.workdays_between(D("2025-01-24"), D("2025-02-10")).days == 7
    assert CAL.workdays_between(D("2024-10-01"), D("2024-10-07")).days == 0   # a holiday week


def test_workdays_between_agrees_with_add_workdays():
    day = D("2024-01-01")
    while day < D("2026-01-01"):
        for n in (1, 5, 7, 20):
            assert CAL.workdays_between(day, CAL.add_workdays(day, n).date).days == n, (day, n)
        day += timedelta(days=3)


# --- years nobody covers ---------------------------------------------------------------------------

def test_a_year_the_package_does_not_cover_is_counted_provisionally():
    assert CAL.coverage(D("2027-01-04")) is None
    assert CAL.is_workday(D("2027-01-01"))  # New Year's Day, but nobody has entered 2027: weekends only
    # Friday 2026-12-25 + 7: 12/28 12/29 12/30 12/31 | 2027: 1/1 1/4 1/5
    result = CAL.add_workdays(D("2026-12-25"), 7)
    assert (result.date, result.provisional, result.uncovered_years) == (D("2027-01-05"), True, (2027,))
    # a period that stays inside 2026 is final
    assert not CAL.add_workdays(D("2026-12-18"), 3).provisional
    # Nov 30 + 3 months lands on Sunday 2027-02-28: the next working day, provisionally
    result = CAL.add_months(D("2026-11-30"), 3)
    assert (result.date, result.provisional) == (D("2027-03-01"), True)
    assert CAL.workdays_between(D("2026-12-25"), D("2027-01-05")).provisional
    # years before the package's data too
    assert CAL.coverage(D("2003-06-02")) is None


def test_a_year_the_administrator_entered_is_final():
    entered = WorkCalendar({D("2027-01-01"): False, D("2027-02-20"): True}, admin_years=[2027],
                           package=package_until(2026))
    assert entered.coverage(D("2027-01-04")) == "admin"
    result = entered.add_workdays(D("2026-12-25"), 7)  # 1/1 is now a holiday: 1/4 1/5 1/6
    assert (result.date, result.provisional) == (D("2027-01-06"), False)
    assert entered.add_workdays(D("2027-02-19"), 1).date == D("2027-02-20")  # an entered make-up Saturday


def test_a_partly_entered_year_uses_the_days_but_stays_provisional():
    partial = WorkCalendar({D("2027-01-01"): False}, package=package_until(2026))
    result = partial.add_workdays(D("2026-12-25"), 7)
    assert (result.date, result.provisional) == (D("2027-01-06"), True)


def test_a_complete_entry_replaces_the_package_for_that_year_and_days_override_it():
    # An administrator who enters 2026 completely vouches for every day of it: 2026-02-16 (a holiday
    # in the package) is a working day unless the entry says otherwise.
    entered = WorkCalendar({D("2026-10-01"): False}, admin_years=[2026], package=package_until(2026))
    assert entered.is_workday(D("2026-02-16")) and not entered.is_workday(D("2026-10-01"))
    # A single override (a local closure) on top of the package
    closure = WorkCalendar({D("2024-10-14"): False}, package=package_until(2026))
    assert closure.add_workdays(D("2024-10-11"), 2).date == D("2024-10-15")
    assert closure.coverage(D("2024-10-14")) == "package"


# --- inputs ----------------------------------------------------------------------------------------

def test_inputs_as_strings_and_times_in_office_time():
    assert CAL.add_workdays("2024-09-27", 7).date == D("2024-10-12")
    # 17:00 UTC on 9/26 is 01:00 on 9/27 in Beijing
    assert CAL.add_workdays(datetime(2024, 9, 26, 17, 0, tzinfo=timezone.utc), 7).date == D("2024-10-12")
    assert CAL.add_workdays("2024-09-27T01:00:00+08:00", 7).date == D("2024-10-12")
    assert CAL.add_workdays(D("2024-09-27"), "7").date == D("2024-10-12")
    assert CAL.add_months(D("2024-07-01"), 3.0).date == D("2024-10-08")


@pytest.mark.parametrize("call, message", [
    (lambda: CAL.add_workdays("2024-02-30", 1), "无法识别的日期"),
    (lambda: CAL.add_workdays("tomorrow", 1), "无法识别的日期"),
    (lambda: CAL.add_workdays("2024-02-01", "seven"), "必须是整数"),
    (lambda: CAL.add_workdays("2024-02-01", 1.5), "必须是整数"),
    (lambda: CAL.add_workdays("2024-02-01", True), "必须是整数"),
    (lambda: CAL.add_workdays("2024-02-01", 10 ** 6), "超出范围"),
    (lambda: CAL.add_months("2024-02-01", 10 ** 6), "超出范围"),
])
def test_bad_input_is_refused_in_chinese(call, message):
    with pytest.raises(CalendarError, match=message):
        call()


def test_results_carry_their_end_of_day():
    due = CAL.add_workdays(D("2024-09-27"), 7)
    assert due.end_of_day().isoformat() == "2024-10-12T23:59:59+08:00"
    assert str(due) == due.isoformat() == "2024-10-12"
