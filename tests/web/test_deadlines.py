"""Deadline rules in the browser (and, when the administrator asks, applied to the items in handling),
the working days left on due dates, and the calendar banner."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import diagram
from tests.procedure.driver import register
from tests.support.calendar import SCHEDULE_2027, package_until_2026  # noqa: F401 (fixture)
from tests.support.helpers import open_tasks
from webapp.clock import parse_schedule
from webapp.models import HumanTask, Timer

from .conftest import web_diagram
from .pages import read_form, text_of

SHANGHAI = timezone(timedelta(hours=8))
T0 = datetime(2024, 9, 27, 10, 0, tzinfo=SHANGHAI)  # the Friday before National Day 2024


def end_of(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=23, minute=59, second=59, tzinfo=SHANGHAI)


def rule(engine, name):
    return next(r for r in engine.clock.rules() if r.name == name)


def test_forbidden_for_non_admins(login, people):
    for username in ("clerk1", "reviewer1"):
        client = login(username)
        response = client.get("/admin/deadlines")
        assert response.status_code == 403
        assert "只有系统管理员可以修改期限规则" in text_of(response)
        response = client.post("/admin/deadlines/handling", data={"value": "1", "unit": "months", "reason": "x"})
        assert response.status_code == 403
        assert "/admin/deadlines" not in client.get("/").get_data(as_text=True)


def test_admin_sees_the_rules(login, people):
    client = login("admin")
    assert "期限规则" in text_of(client.get("/")) and "/admin/deadlines" in client.get("/").get_data(as_text=True)
    page = text_of(client.get("/admin/deadlines"))
    assert "办理答复期限（自收到交办之日起）" in page and "handling" in page and "3 个月" in page
    assert "交办异议期" in page and "7 个工作日" in page
    assert "修改原因" in page and "尚无修改" in page


def test_changing_a_rule_applies_to_new_instances(login, deployed, people):
    deployed.repository.deploy([diagram("approval.bpmn"), web_diagram("all_fields.bpmn"), diagram("deadlines.bpmn")])
    with time_machine.travel(T0, tick=False):
        client = login("admin")
        response = client.post("/admin/deadlines/handling", follow_redirects=True,
                               data={"value": "2", "unit": "months", "effective_from": "2024-09-27",
                                     "reason": "本市规定缩短办理期限"})
        assert response.status_code == 200
        page = text_of(response)
        assert "已保存，新的期限立即生效" in page
        assert "2 个月" in page and "本市规定缩短办理期限" in page and "系统管理员" in page
        assert "3 个月（自" in page and "→ 2 个月（自 2024-09-27）" in page

        stored = rule(deployed, "handling")
        assert (stored.value, stored.unit, stored.effective_from.isoformat()) == (2, "months", "2024-09-27")
        assert stored.updated_by == "系统管理员"
        [change] = deployed.clock.rule_history("handling")
        assert (change.old_value, change.old_unit, change.new_value, change.new_unit) == (3, "months", 2, "months")
        assert change.reason == "本市规定缩短办理期限" and change.changed_by == "系统管理员"

        iid = deployed.runtime.start("deadlines", "DL-1", data={"received": "2024-09-28"})
    # 2 months from Friday 9/27 → Wednesday 11/27 (was 12/27 with 3 months)
    assert open_tasks(deployed, iid)["handle"].due_at == end_of("2024-11-27")


def test_unit_change_is_shown_in_chinese(login, people, engine):
    client = login("admin")
    response = client.post("/admin/deadlines/publication", follow_redirects=True,
                           data={"value": "30", "unit": "days", "reason": "改按自然日"})
    assert "已保存" in text_of(response) and "30 个自然日" in text_of(response)
    assert rule(engine, "publication").unit == "days"


def test_invalid_input_changes_nothing(login, people, engine):
    client = login("admin")
    cases = [({"value": "0", "unit": "months", "reason": "测试"}, "期限数值必须大于 0"),
             ({"value": "-2", "unit": "months", "reason": "测试"}, "期限数值必须大于 0"),
             ({"value": "", "unit": "months", "reason": "测试"}, "请填写期限数值"),
             ({"value": "abc", "unit": "months", "reason": "测试"}, "期限数值必须是整数"),
             ({"value": "2", "unit": "months", "reason": "  "}, "请填写修改原因"),
             ({"value": "2", "unit": "weeks", "reason": "测试"}, "请选择期限单位"),
             ({"value": "2", "unit": "months", "reason": "测试", "effective_from": "2024-13-01"}, "生效日期格式"),
             ({"value": "99999", "unit": "months", "reason": "测试"}, "期限过长")]
    for data, message in cases:
        response = client.post("/admin/deadlines/handling", data=data)
        assert response.status_code == 400, data
        page = text_of(response)
        assert message in page, (data, page)
        assert "已保存" not in page
    stored = rule(engine, "handling")
    assert (stored.value, stored.unit, stored.updated_by) == (3, "months", None)
    assert engine.clock.rule_history("handling") == []
    assert client.post("/admin/deadlines/no_such_rule", data={"value": "1", "unit": "months",
                                                              "reason": "x"}).status_code == 404


def test_inbox_shows_working_days_left(login, approval, engine):
    _, task_id = approval
    cases = [("2024-10-11", "剩余 6 个工作日", "due-normal"),  # 9/29 (Sun, worked), 9/30, 10/8 … 10/11
             ("2024-10-08", "即将到期 · 剩余 3 个工作日", "due-soon"),
             ("2024-09-27", "今天到期", "due-soon"),
             ("2024-09-24", "已超期 3 个工作日", "due-overdue")]  # 9/25, 9/26, 9/27
    with time_machine.travel(T0, tick=False):
        client = login("clerk1")
        for day, label, css in cases:
            with engine.db.write() as s:
                s.get(HumanTask, task_id).due_at = end_of(day)
            html = client.get("/?tab=groups").get_data(as_text=True)
            assert label in text_of(html), day
            assert css in html, day
            assert "（临时）" not in text_of(html)
        page = text_of(client.get(f"/instances/{approval[0]}"))
        assert "已超期 3 个工作日" in page


def test_one_calendar_per_request(login, approval, deployed, people, monkeypatch):
    second = deployed.runtime.start("approval", "SP-2026-002", title="第二件", actor=people["clerk1"])
    with deployed.db.write() as s:
        for t in s.query(HumanTask).filter(HumanTask.instance_id.in_([approval[0], second])):
            t.due_at = end_of("2024-10-11")
    calls = []
    real = deployed.clock.calendar
    monkeypatch.setattr(deployed.clock, "calendar", lambda: calls.append(1) or real())
    with time_machine.travel(T0, tick=False):
        page = text_of(login("clerk1").get("/?tab=groups"))
    assert page.count("剩余 6 个工作日") == 2
    assert len(calls) == 1


def test_banner_and_provisional_marker_for_a_missing_year(login, approval, engine, package_until_2026):
    _, task_id = approval
    with engine.db.write() as s:
        s.get(HumanTask, task_id).due_at = end_of("2027-01-08")
    with time_machine.travel(datetime(2026, 12, 28, 10, 0, tzinfo=SHANGHAI), tick=False):
        admin = login("admin")
        for path in ("/admin/deadlines", "/admin/incidents", "/"):
            assert "2027 年的节假日安排尚未录入，涉及该年的期限按周末临时计算" in text_of(admin.get(path)), path
        clerk = login("clerk1")
        page = text_of(clerk.get("/?tab=groups"))
        assert "尚未录入" not in page
        # 12/29, 12/30, 12/31 (2026, known), then 2027 counted by weekends only: 1/1 (Fri) and 1/4 … 1/8
        assert "剩余 9 个工作日（临时）" in page

        engine.clock.import_year(2027, parse_schedule(SCHEDULE_2027), by="admin")
        assert "尚未录入" not in text_of(admin.get("/admin/deadlines"))
        page = text_of(clerk.get("/?tab=groups"))  # 1/1 is New Year's Day once the year is entered
        assert "剩余 8 个工作日" in page and "（临时）" not in page


# --- applying a rule change to the items in handling ------------------------------------------------------

ASSIGNED = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)  # a Monday; 2026 has its holiday schedule


def _window(proc) -> tuple[str, str]:
    """The open check of the assignment (due at the end of the objection window) and its timer."""
    task = proc.task("check_remit", "jtj")
    with proc.engine.db.read() as s:
        timer = s.scalars(select(Timer).where(Timer.instance_id == proc.instance_id,
                                              Timer.element_id == "objection_window_closed")).one()
    return task.due_at.astimezone(SHANGHAI).isoformat(), timer.due_at.astimezone(SHANGHAI).isoformat()


@pytest.mark.parametrize("ticked", [True, False])
def test_a_rule_change_moves_open_deadlines_only_when_asked(login, procedure, ticked):
    with time_machine.travel(ASSIGNED, tick=False):
        procedure.start()
        register(procedure, lead="jtj")
        # 7 working days from Monday 11/23: Tuesday 12/02
        assert _window(procedure) == (end_of("2026-12-02").isoformat(), end_of("2026-12-02").isoformat())
        data = {"value": "10", "unit": "workdays", "effective_from": "2026-11-23", "reason": "本市规定延长异议期"}
        if ticked:
            data["refresh"] = "on"
        response = login("admin").post("/admin/deadlines/objection_window", data=data, follow_redirects=True)
        page = text_of(response)
        assert "已保存，新的期限立即生效" in page
        assert ("已重新计算 1 件办理中事项的期限和定时器" in page) is ticked
        expected = "2026-12-07" if ticked else "2026-12-02"  # 10 working days: Monday 12/07
        assert _window(procedure) == (end_of(expected).isoformat(), end_of(expected).isoformat())
        item = text_of(login("jtj_liaison").get(f"/instances/{procedure.instance_id}"))
        assert f"到期 {expected} 23:59" in item


def test_ticking_the_box_without_a_change_applies_an_earlier_change(login, procedure):
    with time_machine.travel(ASSIGNED, tick=False):
        procedure.start()
        register(procedure, lead="jtj")
        procedure.engine.clock.change_rule("objection_window", value=10, reason="先改规则", by="admin")
        assert _window(procedure)[0] == end_of("2026-12-02").isoformat()
        response = login("admin").post("/admin/deadlines/objection_window", follow_redirects=True,
                                       data={"value": "10", "unit": "workdays", "reason": "补算办理中事项",
                                             "refresh": "on"})
        page = text_of(response)
        assert "没有修改" in page and "已重新计算 1 件办理中事项的期限和定时器" in page
        assert _window(procedure) == (end_of("2026-12-07").isoformat(), end_of("2026-12-07").isoformat())


def test_the_box_is_unticked_and_kept_when_the_form_comes_back(login, people):
    client = login("admin")
    values, widgets = read_form(client.get("/admin/deadlines"))
    assert widgets["refresh"]["type"] == "checkbox" and "checked" not in widgets["refresh"]
    assert "同时重新计算办理中事项的期限和定时器" in text_of(client.get("/admin/deadlines"))
    response = client.post("/admin/deadlines/handling", data={"value": "0", "unit": "months", "reason": "x",
                                                              "refresh": "on"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    card = html[html.index('id="rule-handling"'):]
    card = card[:card.index("</section>")]
    assert 'name="refresh" value="on" checked' in card


def test_a_failed_recomputation_is_reported_and_the_rule_kept(login, people, deployed, monkeypatch):
    def broken(*args):
        raise RuntimeError("boom")
    monkeypatch.setattr(deployed.runtime, "refresh_deadlines", broken)
    response = login("admin").post("/admin/deadlines/handling", follow_redirects=True,
                                   data={"value": "2", "unit": "months", "reason": "缩短", "refresh": "on"})
    page = text_of(response)
    assert response.status_code == 200
    assert "已保存" in page and "重新计算办理中事项的期限时出错" in page
    assert rule(deployed, "handling").value == 2
