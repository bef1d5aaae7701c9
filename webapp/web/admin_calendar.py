"""Administration: the work calendar. Which years are covered (the bundled State Council schedule or a
year an administrator entered), a year's schedule pasted as text, single days entered or removed, and
local closures (a rest day for the whole city, e.g. a typhoon day).

Every change goes through the clock service (`Clock.import_year`, `set_day`, `remove_day`,
`remove_year`); this module only checks the input and reports in Chinese. Invalid input changes
nothing and shows the form again with what was typed. After a year is entered and after a local
closure, or the removal of either, the items in handling get their due dates and timers recomputed
(`Runtime.refresh_deadlines`); after a single day only when the administrator ticks the box.
"""
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..clock import SCHEDULE_FORMAT, CalendarError, parse_schedule
from ..clock.service import SOURCES
from .admin import refresh_open_deadlines
from .helpers import actor, get_engine, restrict


bp = Blueprint("admin_calendar", __name__, url_prefix="/admin/calendar")

NOTE_MAX = 200             # calendar_days.note and calendar_years.note are String(200)
SCHEDULE_MAX_CHARS = 50_000  # a year has 366 days; anything longer is not a schedule
FIRST_YEAR, LAST_YEAR = 2000, 2099
WEEKDAYS = "一二三四五六日"
KINDS = {"rest": "休息日", "work": "工作日"}

EXAMPLE = """\
2027-01-01 休 元旦
2027-02-06..2027-02-12 休 春节
2027-02-20 班 春节调休上班"""


restrict(bp, lambda user: user.is_admin, "只有系统管理员可以维护工作日历。")


def _by() -> str:
    user = actor()
    return user.display_name or user.username


def _end(message: str) -> str:
    return message if message.endswith(("。", "！", "？")) else f"{message}。"


def _year(raw: str, errors: list) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        errors.append("请填写年份。")
    elif not raw.isdigit() or not FIRST_YEAR <= int(raw) <= LAST_YEAR:
        errors.append(f"年份应为 {FIRST_YEAR}–{LAST_YEAR} 之间的四位数字。")
    else:
        return int(raw)
    return None


def _day(raw: str, errors: list) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        errors.append("请填写日期。")
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors.append(f"日期“{raw}”无法识别，格式应为 YYYY-MM-DD（如 2027-07-20）。")
        return None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        errors.append(f"日期应在 {FIRST_YEAR}–{LAST_YEAR} 年之间。")
        return None
    return day


def _note(raw: str, errors: list, what: str) -> str:
    note = (raw or "").strip()
    if not note:
        errors.append(f"请填写{what}。")
    elif len(note) > NOTE_MAX:
        errors.append(f"{what}不能超过 {NOTE_MAX} 字。")
    return note


def _weekday(d: date) -> str:
    return "周" + WEEKDAYS[d.weekday()]


def _page(errors=None, form=None, status=200):
    engine = get_engine()
    clock = engine.clock
    calendar = clock.calendar()
    today = clock.today()
    entered = {y.year: y for y in clock.years()}
    days = clock.days()
    schedule_days: dict[int, int] = {}
    for d in days:
        if d.source == "schedule":
            schedule_days[d.day.year] = schedule_days.get(d.day.year, 0) + 1
    shown = sorted(set(range(today.year - 1, today.year + 2)) | set(entered) | {d.day.year for d in days})
    years = [{"year": y, "coverage": calendar.coverage(date(y, 1, 1)), "entered": entered.get(y),
              "schedule_days": schedule_days.get(y, 0)} for y in shown]
    missing = clock.missing_years(today.year, today.year + 1)
    filter_year = request.args.get("year", type=int)
    listed = [d for d in days if filter_year is None or d.day.year == filter_year]
    default_year = request.args.get("import_year", type=int) or (missing[0] if missing else today.year + 1)
    return render_template(
        "admin_calendar.html", package=clock.package, years=years, missing=missing, days=listed,
        day_years=sorted({d.day.year for d in days}), filter_year=filter_year, sources=SOURCES,
        kinds=KINDS, weekday=_weekday, schedule_format=SCHEDULE_FORMAT, example=EXAMPLE,
        default_year=default_year, today=today, errors=errors or {}, form=form or {},
        note_max=NOTE_MAX, first_year=FIRST_YEAR, last_year=LAST_YEAR), status


def _invalid(which: str, errors: list):
    return _page(errors={which: errors}, form={which: request.form.to_dict()}, status=400)


@bp.get("")
def index():
    return _page()


# --- a whole year, pasted -----------------------------------------------------------------------------

@bp.post("/import")
def import_year():
    engine = get_engine()
    clock = engine.clock
    form = request.form
    errors: list[str] = []
    year = _year(form.get("year"), errors)
    if year is not None and clock.package is not None and clock.package.covers(year):
        errors.append(f"{year} 年已有内置的国务院办公厅节假日安排（chinesecalendar {clock.package.version}），"
                      "无需整年录入；个别日期需要更正时，请使用下方“逐日录入”。")
    note = _note(form.get("note"), errors, "说明（如通知文号）")
    text = form.get("schedule") or ""
    entries = []
    if not text.strip():
        errors.append("请粘贴该年的节假日安排。")
    elif len(text) > SCHEDULE_MAX_CHARS:
        errors.append(f"粘贴的内容过长（超过 {SCHEDULE_MAX_CHARS} 字），请只粘贴该年的节假日安排。")
    else:
        try:
            entries = parse_schedule(text)
        except CalendarError as e:
            errors.extend(str(e).splitlines())
        else:
            if not entries:
                errors.append("粘贴的内容里没有任何日期。")
            long_notes = sorted({e.day.isoformat() for e in entries if len(e.note) > NOTE_MAX})
            if long_notes:
                errors.append(f"说明不能超过 {NOTE_MAX} 字：{'、'.join(long_notes)}。")
            if year is not None:
                other = sorted({e.day.isoformat() for e in entries if e.day.year != year})
                if other:
                    shown = "、".join(other[:10]) + ("等" if len(other) > 10 else "")
                    errors.append(f"以下日期不属于 {year} 年：{shown}。")
    if errors:
        return _invalid("import", errors)
    try:
        result = clock.import_year(year, entries, by=_by(), note=note)
    except CalendarError as e:
        return _invalid("import", [_end(str(e))])
    kept = f"（{result.kept_closures} 天保留原有临时调整）" if result.kept_closures else ""
    flash(f"已导入 {year} 年安排：{result.days} 天{kept}，该年已标记为完整录入，涉及该年的期限不再是临时结果。",
          "success")
    refresh_open_deadlines(engine)  # always: deadlines counted provisionally become final (PROCESS.md §7)
    return redirect(url_for("admin_calendar.index"))


@bp.post("/years/<int:year>/remove")
def remove_year(year):
    clock = get_engine().clock
    if year not in {y.year for y in clock.years()}:
        flash(f"{year} 年没有管理员录入的安排，无需删除。", "info")
        return redirect(url_for("admin_calendar.index"))
    clock.remove_year(year)
    if clock.package is not None and clock.package.covers(year):
        after = "恢复使用内置的国务院办公厅安排"
    else:
        after = "涉及该年的期限将按周末临时计算"
    flash(f"已删除 {year} 年录入的安排，{after}；该年的临时调整保留。", "success")
    refresh_open_deadlines(get_engine())  # like entering a year: the items under way follow
    return redirect(url_for("admin_calendar.index"))


# --- single days ----------------------------------------------------------------------------------------

@bp.post("/days")
def set_day():
    form = request.form
    errors: list[str] = []
    day = _day(form.get("day"), errors)
    kind = form.get("kind") or ""
    if kind not in KINDS:
        errors.append("请选择工作日或休息日。")
    note = _note(form.get("note"), errors, "说明")
    if errors:
        return _invalid("day", errors)
    engine = get_engine()
    try:
        engine.clock.set_day(day, kind == "work", note=note, source="schedule", by=_by())
    except CalendarError as e:
        return _invalid("day", [_end(str(e))])
    flash(f"{day.isoformat()}（{_weekday(day)}）已设为{KINDS[kind]}。", "success")
    # A single day is a correction of a year's schedule, often entered ahead for a later year or to
    # fix a slip: as with a rule change, the administrator chooses whether open items follow.
    if form.get("refresh"):
        refresh_open_deadlines(engine)
    return redirect(url_for("admin_calendar.index", year=day.year) + "#days")


@bp.post("/closures")
def add_closure():
    form = request.form
    errors: list[str] = []
    day = _day(form.get("day"), errors)
    note = _note(form.get("note"), errors, "原因")
    if errors:
        return _invalid("closure", errors)
    engine = get_engine()
    clock = engine.clock
    was_workday = clock.calendar().is_workday(day)
    try:
        clock.set_day(day, False, note=note, source="closure", by=_by())
    except CalendarError as e:
        return _invalid("closure", [_end(str(e))])
    also = "" if was_workday else "（该日原本就是休息日，期限计算不受影响）"
    flash(f"{day.isoformat()}（{_weekday(day)}）已设为全市休息日：{note}{also}。", "success")
    # Always, no tick-box: a closure is a day the whole city did not (or will not) work. Units already
    # handling an item lost that day as much as new ones; keeping their old due dates would take a
    # working day from exactly the items under way, so there is nothing for the administrator to weigh.
    if was_workday:
        refresh_open_deadlines(engine)
    return redirect(url_for("admin_calendar.index", year=day.year) + "#days")


@bp.post("/days/<day>/remove")
def remove_day(day):
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        abort(404, description=f"日期“{day}”无法识别。")
    engine = get_engine()
    closure = any(d.day == parsed and d.source == "closure" for d in engine.clock.days(parsed.year))
    if engine.clock.remove_day(parsed):
        flash(f"已删除 {parsed.isoformat()} 的录入，该日恢复按年度安排或周末计算。", "success")
        if closure:  # undoing a closure gives the day back to the items under way, as adding it took it
            refresh_open_deadlines(engine)
    else:
        flash(f"{parsed.isoformat()} 没有录入，无需删除。", "info")
    return redirect(url_for("admin_calendar.index", year=request.args.get("year", type=int)) + "#days")
