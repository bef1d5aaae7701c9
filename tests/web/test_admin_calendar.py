"""The work calendar in the browser: coverage by year, a year's schedule pasted, single days, local
closures, and which of them recompute the deadlines of the items in handling; invalid input changes
nothing and keeps what was typed; administrators only."""
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from tests.procedure.driver import register
from tests.support.calendar import SCHEDULE_2027, package_until_2026  # noqa: F401 (fixture)
from webapp.models import Timer

from .pages import read_form, text_of

SHANGHAI = timezone(timedelta(hours=8))
LATE_2026 = datetime(2026, 12, 28, 10, 0, tzinfo=SHANGHAI)  # 2027 is not covered yet


def workday_after(engine, start: str, n: int):
    return engine.clock.calendar().add_workdays(date.fromisoformat(start), n)


def snapshot(engine):
    """Everything the page can change: the entered years and the days."""
    years = [(y.year, y.note, y.entered_by) for y in engine.clock.years()]
    days = [(d.day, d.is_workday, d.source, d.note, d.created_by) for d in engine.clock.days()]
    return years, days


@pytest.fixture
def refreshes(deployed, monkeypatch):
    """The recomputations of open deadlines the page asks for (each pretends 4 items are in handling)."""
    calls = []
    monkeypatch.setattr(deployed.runtime, "refresh_deadlines", lambda *args, **kwargs: calls.append(args) or 4)
    return calls


def test_forbidden_for_non_admins(login, people, engine):
    for username in ("clerk1", "reviewer1"):
        client = login(username)
        response = client.get("/admin/calendar")
        assert response.status_code == 403
        assert "只有系统管理员可以维护工作日历" in text_of(response)
        posts = {"/admin/calendar/import": {"year": "2027", "note": "x", "schedule": SCHEDULE_2027},
                 "/admin/calendar/days": {"day": "2024-10-08", "kind": "rest", "note": "x"},
                 "/admin/calendar/closures": {"day": "2024-10-08", "note": "x"},
                 "/admin/calendar/days/2024-10-08/remove": {},
                 "/admin/calendar/years/2027/remove": {}}
        for path, data in posts.items():
            assert client.post(path, data=data).status_code == 403, path
        assert "/admin/calendar" not in client.get("/").get_data(as_text=True)
    assert snapshot(engine) == ([], [])


def test_admin_sees_coverage(login, people, package_until_2026):
    with time_machine.travel(LATE_2026, tick=False):
        client = login("admin")
        home = client.get("/").get_data(as_text=True)
        assert "/admin/calendar" in home and "工作日历" in home
        assert "/admin/calendar?import_year=2027#import" in home  # the banner links to the page
        response = client.get("/admin/calendar")
    assert response.status_code == 200
    page = text_of(response)
    assert "内置安排：2004–2026 年" in page
    assert "2025 年 内置安排" in page and "2026 年 内置安排" in page
    assert "2027 年 未录入 按周末临时计算" in page
    assert "尚无录入的日期" in page
    assert "2027-02-20 班 春节调休上班" in page  # the accepted format is shown
    values, _ = read_form(response)
    assert values["year"] == "2027"  # the first missing year is offered


def test_paste_a_year(login, deployed, package_until_2026):
    engine = deployed
    before = workday_after(engine, "2026-12-31", 1)
    assert (before.isoformat(), before.provisional, before.uncovered_years) == ("2027-01-01", True, (2027,))
    with time_machine.travel(LATE_2026, tick=False):
        client = login("admin")
        assert "2027 年的节假日安排尚未录入" in text_of(client.get("/admin/calendar"))
        response = client.post("/admin/calendar/import", follow_redirects=True,
                               data={"year": "2027", "note": "国办发明电〔2026〕9 号", "schedule": SCHEDULE_2027})
        assert response.status_code == 200
        page = text_of(response)
        assert "已导入 2027 年安排：9 天，该年已标记为完整录入" in page
        assert "尚未录入" not in page
        assert "2027 年 管理员录入 9 天 国办发明电〔2026〕9 号 系统管理员" in page
        assert "2027-01-01 周五 休息日 年度安排 元旦 系统管理员" in page
        assert "2027-02-20 周六 工作日 年度安排 春节调休上班" in page

        after = workday_after(engine, "2026-12-31", 1)  # New Year's Day is now a holiday
        assert (after.isoformat(), after.provisional) == ("2027-01-04", False)
        assert workday_after(engine, "2027-02-05", 1).isoformat() == "2027-02-15"  # Spring Festival
        assert engine.clock.calendar().is_workday(date(2027, 2, 20))
        [year] = engine.clock.years()
        assert (year.year, year.note, year.entered_by) == (2027, "国办发明电〔2026〕9 号", "系统管理员")
        assert len(engine.clock.days(2027)) == 9

        # Entering the year again replaces the earlier schedule.
        response = client.post("/admin/calendar/import", follow_redirects=True,
                               data={"year": "2027", "note": "更正", "schedule": "2027-01-01 休 元旦\n"})
        assert "已导入 2027 年安排：1 天" in text_of(response)
        assert [d.day for d in engine.clock.days(2027)] == [date(2027, 1, 1)]
        assert not engine.clock.calendar().is_workday(date(2027, 1, 1))
        assert engine.clock.calendar().is_workday(date(2027, 2, 8))

        # Removing the year makes 2027 provisional again.
        response = client.post("/admin/calendar/years/2027/remove", follow_redirects=True)
        assert "已删除 2027 年录入的安排，涉及该年的期限将按周末临时计算" in text_of(response)
        assert engine.clock.years() == [] and engine.clock.days() == []
        assert workday_after(engine, "2026-12-31", 1).provisional
        response = client.post("/admin/calendar/years/2027/remove", follow_redirects=True)
        assert "2027 年没有管理员录入的安排" in text_of(response)


def test_which_changes_recompute_open_deadlines(login, deployed, package_until_2026, refreshes):
    client = login("admin")
    done = "已重新计算 4 件办理中事项的期限和定时器"

    def post(path, data=None):
        before = len(refreshes)
        page = text_of(client.post(path, data=data or {}, follow_redirects=True))
        return page, len(refreshes) - before

    # A year entered: always (its deadlines were provisional).
    page, calls = post("/admin/calendar/import", {"year": "2027", "note": "通知", "schedule": SCHEDULE_2027})
    assert calls == 1 and done in page
    # A single day: only when the box is ticked.
    page, calls = post("/admin/calendar/days", {"day": "2027-03-01", "kind": "rest", "note": "补休"})
    assert calls == 0 and "已重新计算" not in page
    page, calls = post("/admin/calendar/days", {"day": "2027-03-01", "kind": "rest", "note": "补休", "refresh": "on"})
    assert calls == 1 and done in page
    # A closure of a working day: always; of a rest day: nothing to recompute.
    page, calls = post("/admin/calendar/closures", {"day": "2027-03-02", "note": "台风停工"})
    assert calls == 1 and done in page
    page, calls = post("/admin/calendar/closures", {"day": "2027-03-06", "note": "台风停工"})
    assert calls == 0 and "该日原本就是休息日" in page
    # Removing: a closure gives the day back (always), a schedule day does not ask.
    assert post("/admin/calendar/days/2027-03-02/remove")[1] == 1
    assert post("/admin/calendar/days/2027-03-01/remove")[1] == 0
    assert post("/admin/calendar/years/2027/remove")[1] == 1
    assert all(args == () for args in refreshes)  # every item in handling, not some


def test_a_failed_recomputation_does_not_hide_the_change(login, deployed, package_until_2026, monkeypatch):
    def broken(*args):
        raise RuntimeError("boom")
    monkeypatch.setattr(deployed.runtime, "refresh_deadlines", broken)
    client = login("admin")
    response = client.post("/admin/calendar/import", follow_redirects=True,
                           data={"year": "2027", "note": "通知", "schedule": SCHEDULE_2027})
    page = text_of(response)
    assert response.status_code == 200
    assert "已导入 2027 年安排" in page and "重新计算办理中事项的期限时出错" in page
    response = client.post("/admin/calendar/closures", follow_redirects=True, data={"day": "2027-03-02", "note": "台风"})
    assert "已设为全市休息日" in text_of(response) and "重新计算办理中事项的期限时出错" in text_of(response)
    assert [d.day.isoformat() for d in deployed.clock.days(2027) if d.source == "closure"] == ["2027-03-02"]


def test_a_closure_moves_the_open_due_dates_and_timers(login, procedure):
    """Over the product's diagrams: the assignment's check is due after the 7-working-day objection
    window, with a timer closing the window at the same moment."""

    def window():
        task = procedure.task("check_remit", "jtj")
        with procedure.engine.db.read() as s:
            timer = s.scalars(select(Timer).where(Timer.instance_id == procedure.instance_id,
                                                  Timer.element_id == "objection_window_closed")).one()
        due = task.due_at.astimezone(SHANGHAI).date().isoformat()
        assert timer.due_at == task.due_at
        return due

    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI), tick=False):
        procedure.start()
        register(procedure, lead="jtj")
        assert window() == "2026-12-02"  # Monday 11/23 + 7 working days
        client = login("admin")
        page = text_of(client.post("/admin/calendar/closures", follow_redirects=True,
                                   data={"day": "2026-11-30", "note": "台风停工"}))
        assert "已重新计算 1 件办理中事项的期限和定时器" in page
        assert window() == "2026-12-03"
        assert "到期 2026-12-03 23:59" in text_of(login("jtj_liaison").get(f"/instances/{procedure.instance_id}"))

        client.post("/admin/calendar/days", data={"day": "2026-12-01", "kind": "rest", "note": "补休"})
        assert window() == "2026-12-03"  # not asked to
        client.post("/admin/calendar/days", data={"day": "2026-12-01", "kind": "rest", "note": "补休", "refresh": "on"})
        assert window() == "2026-12-04"

        client.post("/admin/calendar/days/2026-11-30/remove")  # the closure is lifted: the day is back
        assert window() == "2026-12-03"


def test_day_by_day(login, engine, people):
    # 7 working days from Friday 2024-09-27: 9/29 (Sunday, worked), 9/30, 10/8 … 10/11, 10/12 (Saturday, worked)
    assert workday_after(engine, "2024-09-27", 7).isoformat() == "2024-10-12"
    client = login("admin")
    response = client.post("/admin/calendar/days", follow_redirects=True,
                           data={"day": "2024-10-08", "kind": "rest", "note": "补休"})
    page = text_of(response)
    assert "2024-10-08（周二）已设为休息日" in page
    assert "2024-10-08 周二 休息日 年度安排 补休 系统管理员" in page
    assert workday_after(engine, "2024-09-27", 7).isoformat() == "2024-10-14"

    response = client.post("/admin/calendar/days", follow_redirects=True,
                           data={"day": "2024-10-13", "kind": "work", "note": "调休上班"})
    assert "2024-10-13（周日）已设为工作日" in text_of(response)
    assert workday_after(engine, "2024-09-27", 7).isoformat() == "2024-10-13"
    assert [(d.day.isoformat(), d.is_workday, d.source) for d in engine.clock.days()] == \
        [("2024-10-08", False, "schedule"), ("2024-10-13", True, "schedule")]

    for day in ("2024-10-08", "2024-10-13"):
        response = client.post(f"/admin/calendar/days/{day}/remove", follow_redirects=True)
        assert f"已删除 {day} 的录入" in text_of(response)
    assert engine.clock.days() == []
    assert workday_after(engine, "2024-09-27", 7).isoformat() == "2024-10-12"
    assert "没有录入，无需删除" in text_of(client.post("/admin/calendar/days/2024-10-08/remove",
                                                      follow_redirects=True))
    assert client.post("/admin/calendar/days/2024-99-99/remove").status_code == 404


def test_local_closure(login, engine, people, package_until_2026):
    client = login("admin")
    response = client.post("/admin/calendar/closures", follow_redirects=True,
                           data={"day": "2024-09-30", "note": "台风“摩羯”停工"})
    page = text_of(response)
    assert "2024-09-30（周一）已设为全市休息日：台风“摩羯”停工" in page
    assert "2024-09-30 周一 休息日 临时调整 台风“摩羯”停工 系统管理员" in page
    assert not engine.clock.calendar().is_workday(date(2024, 9, 30))
    [day] = engine.clock.days()
    assert (day.source, day.note, day.created_by) == ("closure", "台风“摩羯”停工", "系统管理员")

    response = client.post("/admin/calendar/closures", follow_redirects=True,
                           data={"day": "2024-10-05", "note": "台风"})
    assert "该日原本就是休息日" in text_of(response)

    # A closure on a day the year's schedule makes a working day survives entering the schedule.
    client.post("/admin/calendar/closures", data={"day": "2027-02-20", "note": "台风停工"})
    response = client.post("/admin/calendar/import", follow_redirects=True,
                           data={"year": "2027", "note": "通知", "schedule": SCHEDULE_2027})
    assert "已导入 2027 年安排：8 天（1 天保留原有临时调整）" in text_of(response)
    assert not engine.clock.calendar().is_workday(date(2027, 2, 20))
    client.post("/admin/calendar/years/2027/remove")
    assert [(d.day.isoformat(), d.source) for d in engine.clock.days(2027)] == [("2027-02-20", "closure")]


@pytest.mark.parametrize("data, messages", [
    ({"year": "2027", "note": "通知", "schedule": "2027-01-01 休 元旦\n\n2027-02-20 上 调休\n2027/13/01 休\n"},
     ["第 3 行应写“休”或“班”，而不是“上”", "第 4 行的日期不存在"]),
    ({"year": "2027", "note": "通知", "schedule": "# 注释\n元旦 2027-01-01 休"}, ["第 2 行无法识别：元旦 2027-01-01 休"]),
    ({"year": "2027", "note": "通知", "schedule": "2027-01-01 休 元旦\n2026-12-31 休"},
     ["以下日期不属于 2027 年：2026-12-31"]),
    ({"year": "2027", "note": "通知", "schedule": "2027-01-01 休\n2027-01-01 班"}, ["2027-01-01 既写作上班又写作休息"]),
    ({"year": "2027", "note": "通知", "schedule": "# 只有注释\n"}, ["粘贴的内容里没有任何日期"]),
    ({"year": "2027", "note": "通知", "schedule": "  "}, ["请粘贴该年的节假日安排"]),
    ({"year": "2027", "note": " ", "schedule": SCHEDULE_2027}, ["请填写说明（如通知文号）"]),
    ({"year": "2027", "note": "长" * 201, "schedule": SCHEDULE_2027}, ["说明（如通知文号）不能超过 200 字"]),
    ({"year": "", "note": "通知", "schedule": SCHEDULE_2027}, ["请填写年份"]),
    ({"year": "27", "note": "通知", "schedule": SCHEDULE_2027}, ["年份应为 2000–2099 之间的四位数字"]),
    ({"year": "2025", "note": "通知", "schedule": "2025-01-01 休 元旦"}, ["2025 年已有内置的国务院办公厅节假日安排"]),
])
def test_invalid_paste_changes_nothing(login, engine, people, package_until_2026, data, messages):
    client = login("admin")
    response = client.post("/admin/calendar/import", data=data)
    assert response.status_code == 400
    page = text_of(response)
    for message in messages:
        assert message in page, (message, page)
    assert "已导入" not in page
    values, _ = read_form(response)
    assert values["schedule"] == data["schedule"]  # exactly as typed, blank lines and all
    assert values["note"][0] == data["note"] and values["year"] == data["year"]  # the paste form comes first
    assert snapshot(engine) == ([], [])


@pytest.mark.parametrize("path, data, messages", [
    ("/admin/calendar/days", {"day": "2024-13-01", "kind": "rest", "note": "补休"}, ["日期“2024-13-01”无法识别"]),
    ("/admin/calendar/days", {"day": "", "kind": "rest", "note": "补休"}, ["请填写日期"]),
    ("/admin/calendar/days", {"day": "1999-10-08", "kind": "rest", "note": "补休"}, ["日期应在 2000–2099 年之间"]),
    ("/admin/calendar/days", {"day": "2024-10-08", "kind": "", "note": "补休"}, ["请选择工作日或休息日"]),
    ("/admin/calendar/days", {"day": "2024-10-08", "kind": "rest", "note": ""}, ["请填写说明"]),
    ("/admin/calendar/closures", {"day": "2024-9-30", "note": "台风"}, ["日期“2024-9-30”无法识别"]),
    ("/admin/calendar/closures", {"day": "2024-09-30", "note": "  "}, ["请填写原因"]),
    ("/admin/calendar/closures", {"day": "2024-09-30", "note": "长" * 201}, ["原因不能超过 200 字"]),
])
def test_invalid_day_changes_nothing(login, engine, people, path, data, messages):
    client = login("admin")
    response = client.post(path, data=data)
    assert response.status_code == 400
    page = text_of(response)
    for message in messages:
        assert message in page, (message, page)
    assert "已设为" not in page
    form = "day-errors" if path.endswith("/days") else "closure-errors"
    assert f'data-testid="{form}"' in response.get_data(as_text=True)
    values, _ = read_form(response)
    assert data["day"] in values["day"] and data["note"] in values["note"]  # both forms have these fields
    if "kind" in data:
        assert values["kind"] == data["kind"]
    assert snapshot(engine) == ([], [])


def test_csrf_token_required(app, login, engine, people):
    client = login("admin")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/admin/calendar/closures", data={"day": "2024-09-30", "note": "台风"})
        assert response.status_code == 400
        response = client.post("/admin/calendar/import", data={"year": "2027", "note": "x", "schedule": SCHEDULE_2027})
        assert response.status_code == 400
        page = client.get("/admin/calendar").get_data(as_text=True)
        assert page.count('name="csrf_token"') >= 3
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert snapshot(engine) == ([], [])
