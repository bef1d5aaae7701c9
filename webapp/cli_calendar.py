"""`flask --app webapp calendar …`: the work calendar and deadline rules from the command line.

Results go to stdout alone (an ISO date, a number, true/false), so scripts can use them; whether a
result is provisional (a year nobody has entered yet) is said on stderr. The commands use the same
code and the same database overrides as the engine.
"""
import click
from flask import current_app
from flask.cli import AppGroup

from .clock import SCHEDULE_FORMAT, UNITS, CalendarError, as_date, parse_schedule, provisional_note
from .db import upgrade_schema

_NUMBER_ARGS = {"ignore_unknown_options": True}  # lets a count be negative: add-workdays 2024-10-12 -5


def _clock():
    return current_app.extensions["engine"].clock


def _date(value):
    try:
        return as_date(value)
    except CalendarError as e:
        raise click.BadParameter(str(e)) from None


def _print(result):
    click.echo(result.isoformat() if hasattr(result, "isoformat") else result)
    if result.provisional:
        click.echo(f"（{provisional_note(result.uncovered_years)}）", err=True)


def _run(fn, *args):
    try:
        return fn(*args)
    except CalendarError as e:
        raise click.ClickException(str(e)) from None


@click.group("calendar", cls=AppGroup)  # AppGroup: every subcommand runs inside the app context
def calendar_group():
    """Working days, periods and deadline rules (民法典 arts. 201–203)."""


@calendar_group.command("add-workdays", context_settings=_NUMBER_ARGS)
@click.argument("start")
@click.argument("n", type=int)
def add_workdays(start, n):
    """The N-th working day after START (START itself not counted)."""
    _print(_run(_clock().calendar().add_workdays, _date(start), n))


@calendar_group.command("add-months", context_settings=_NUMBER_ARGS)
@click.argument("start")
@click.argument("n", type=int)
def add_months(start, n):
    """N months after START: the corresponding day or the month's last day, then the next working day."""
    _print(_run(_clock().calendar().add_months, _date(start), n))


@calendar_group.command("add-days", context_settings=_NUMBER_ARGS)
@click.argument("start")
@click.argument("n", type=int)
def add_days(start, n):
    """N calendar days after START, moved to the next working day if that is a rest day."""
    _print(_run(_clock().calendar().add_calendar_days, _date(start), n))


@calendar_group.command("workdays-between")
@click.argument("first")
@click.argument("last")
def workdays_between(first, last):
    """Working days after FIRST up to and including LAST (negative if LAST is earlier)."""
    result = _run(_clock().calendar().workdays_between, _date(first), _date(last))
    click.echo(result.days)
    if result.provisional:
        click.echo(f"（{provisional_note(result.uncovered_years)}）", err=True)


@calendar_group.command("is-workday")
@click.argument("day")
def is_workday(day):
    """true if DAY is a working day, else false."""
    calendar = _clock().calendar()
    d = _date(day)
    click.echo("true" if calendar.is_workday(d) else "false")
    if calendar.is_provisional(d):
        click.echo(f"（{provisional_note([d.year])}）", err=True)


@calendar_group.command("deadline")
@click.argument("rule")
@click.option("--from", "start", help="起算日（默认今天；当日不计入）")
def deadline(rule, start):
    """The last day of the period the deadline rule RULE sets."""
    _print(_run(_clock().deadline, rule, _date(start) if start else None))


@calendar_group.command("status")
def status():
    """Which years are covered by the bundled schedule and which an administrator has entered."""
    clock = _clock()
    package = clock.package
    click.echo(f"内置国务院办公厅节假日安排：{package.first_year}–{package.last_year} 年"
               f"（chinesecalendar {package.version}）")
    years = clock.years()
    if years:
        for y in years:
            click.echo(f"管理员录入：{y.year} 年（{y.entered_by or '未知'}，{y.entered_at:%Y-%m-%d}）{y.note}")
    else:
        click.echo("管理员录入：无")
    today = clock.today()
    missing = clock.missing_years(today.year, today.year + 1)
    if missing:
        click.echo(provisional_note(missing), err=True)


@calendar_group.command("import-year", help="Enter YEAR's holidays and make-up working days from FILE "
                        "('-' for standard input).\n\n\b\n" + SCHEDULE_FORMAT)
@click.argument("year", type=int)
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--note", default="", help="说明，如通知文号")
@click.option("--by", default="命令行", help="录入人")
@click.option("--partial", is_flag=True, help="只导入这些日期，不把该年标记为已完整录入")
def import_year(year, file, note, by, partial):
    upgrade_schema(_clock().db)
    entries = _run(parse_schedule, file.read())
    result = _run(lambda: _clock().import_year(year, entries, by=by, note=note, complete=not partial))
    click.echo(f"已导入 {year} 年安排：{result.days} 天" + (f"（{result.kept_closures} 天保留原有临时调整）"
                                                           if result.kept_closures else "")
               + ("。" if partial else "，该年已标记为完整录入。"))


@calendar_group.command("set-day")
@click.argument("day")
@click.argument("kind", type=click.Choice(["休", "班"]))
@click.option("--note", default="", help="说明，如“台风停工”")
@click.option("--by", default="命令行", help="录入人")
def set_day(day, kind, note, by):
    """Make DAY a rest day (休) or a working day (班), e.g. a local closure."""
    upgrade_schema(_clock().db)
    _run(lambda: _clock().set_day(_date(day), kind == "班", note=note, source="closure", by=by))
    click.echo(f"{_date(day).isoformat()} 已设为{'工作日' if kind == '班' else '休息日'}。")


@calendar_group.command("remove-day")
@click.argument("day")
def remove_day(day):
    """Remove the administrator's entry for DAY (the official schedule applies again)."""
    removed = _clock().remove_day(_date(day))
    click.echo(f"已删除 {_date(day).isoformat()} 的录入。" if removed else "该日没有录入。")


@calendar_group.command("rules")
def rules():
    """The deadline rules and their current values."""
    for rule in _clock().rules():
        click.echo(f"{rule.name}\t{rule.value} {UNITS[rule.unit]}\t{rule.label}\t"
                   f"自 {rule.effective_from.isoformat()} 起")


@calendar_group.command("set-rule")
@click.argument("name")
@click.argument("value", type=int)
@click.option("--unit", type=click.Choice(list(UNITS)), help="单位（默认不变）")
@click.option("--from", "effective_from", help="生效日期（默认今天）")
@click.option("--reason", default="", help="修改原因")
@click.option("--by", default="命令行", help="修改人")
def set_rule(name, value, unit, effective_from, reason, by):
    """Change a deadline rule; deadlines computed from then on use the new value."""
    change = _run(lambda: _clock().change_rule(name, value=value, unit=unit, by=by, reason=reason,
                                               effective_from=_date(effective_from) if effective_from else None))
    if change is None:
        click.echo("没有变化。")
    else:
        click.echo(f"{name}：{change.old_value} {UNITS[change.old_unit]} → {change.new_value} "
                   f"{UNITS[change.new_unit]}，自 {change.new_effective_from.isoformat()} 起生效。")

