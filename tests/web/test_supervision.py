"""Supervision on the item page (PROCESS.md §4), over the product's diagrams: a handling unit's
综合科室 or 主要领导 asks for an extension that the office approves or refuses in its task form; the
office urges a handling unit, whose 综合科室 answers. Refusals (403) and invalid input (422) record
and change nothing.

The clock is frozen on Monday 2026-11-23, 10:00 office time, as in tests/procedure/test_paths.py: the
unit's handling is due at the end of 2027-02-23 (3 months after the assignment that day).
"""
from datetime import datetime

import pytest
import time_machine
from sqlalchemy import select

from tests.procedure.driver import accept, dispatch, register
from tests.support.helpers import audit
from webapp.clock import OFFICE_TZ
from webapp.models import Timer

from .pages import read_form, text_of

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=OFFICE_TZ)
DUE = "2027-02-23T23:59:59+08:00"


@pytest.fixture
def clock():
    traveller = time_machine.travel(T0, tick=False)
    yield traveller.start()
    traveller.stop()


def handling(proc, *units, mode="single") -> int:
    """An item whose units have dispatched it internally: their handling waits for messages."""
    units = units or ("jtj",)
    proc.start()
    if mode == "split":
        register(proc, mode="split", lead=None, split=units)
    else:
        register(proc, lead=units[0])
    accept(proc, *units)
    for unit in units:
        dispatch(proc, unit)
    return proc.instance_id


def due_of(proc, element_id, unit=None) -> str:
    return proc.task(element_id, unit).due_at.astimezone(OFFICE_TZ).isoformat()


def timers(proc) -> dict[str, str]:
    with proc.engine.db.read() as s:
        return {t.element_id: t.due_at.astimezone(OFFICE_TZ).isoformat()
                for t in s.scalars(select(Timer).where(Timer.instance_id == proc.instance_id))}


def unchanged(proc, open_before):
    """Nothing was recorded and no task came or went."""
    assert audit(proc.engine, proc.instance_id, "message") == []
    assert proc.open_summary() == open_before


def complete_in_browser(client, proc, element_id, unit=None, **values):
    """Submit a task's form the way a browser does: what the page shows, changed by `values`."""
    task = proc.task(element_id, unit)
    shown, widgets = read_form(client.get(f"/tasks/{task.id}"))
    data = {k: v for k, v in shown.items() if k in widgets and widgets[k]["tag"] != "button"}
    data.update(values)
    response = client.post(f"/tasks/{task.id}", data=data)
    assert response.status_code == 302, text_of(response)
    proc.work()


# --- extension requests -----------------------------------------------------------------------------------

def test_extension_requested_on_the_page_and_approved_moves_the_due_dates_and_timers(login, procedure, clock):
    iid = handling(procedure)
    assert due_of(procedure, "consult_before", "jtj") == DUE
    assert timers(procedure)["overdue"] == DUE

    liaison = login("jtj_liaison")
    page = liaison.get(f"/instances/{iid}")
    html = page.get_data(as_text=True)
    assert 'data-testid="extension-form"' in html and 'data-testid="urge-form"' not in html
    assert "申请单位： 市交通运输局" in text_of(page)
    response = liaison.post(f"/instances/{iid}/extension",
                            data={"unit": "jtj", "extension_reason": "需等待年度预算批复", "requested_due": "2027-04-30"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/instances/{iid}")
    page = text_of(liaison.get(f"/instances/{iid}"))
    assert "已为市交通运输局提交延期申请（申请延期至 2027-04-30），等待市政府办公室审批" in page
    assert "发起 申请延期（市交通运输局）" in page  # the history: who asked, for which unit, what
    assert "延期理由 ：需等待年度预算批复" in page and "申请延期至 ：2027-04-30" in page
    [message] = audit(procedure.engine, iid, "message")
    assert message.actor_name == "市交通运输局liaison"
    procedure.work()

    office = login("office")
    assert "审批延期申请" in text_of(office.get("/?tab=groups"))
    task_page = office.get(f"/tasks/{procedure.task('approve_extension').id}")
    assert "需等待年度预算批复" in text_of(task_page)
    assert read_form(task_page)[0]["approved_due"] == "2027-04-30"  # the requested date, pre-filled
    complete_in_browser(office, procedure, "approve_extension", extension_decision="approve")

    new_due = "2027-04-30T23:59:59+08:00"
    assert due_of(procedure, "consult_before", "jtj") == new_due
    assert timers(procedure)["overdue"] == new_due
    assert timers(procedure)["due_day"] == "2027-04-30T09:00:00+08:00"
    handler = login("jtj_handler")
    assert "2027-04-30 23:59" in text_of(handler.get("/?tab=groups"))
    page = text_of(handler.get(f"/instances/{iid}"))
    assert "到期 2027-04-30 23:59" in page and "2027-02-23 23:59" not in page
    assert "延期申请已同意，新期限 2027-04-30：关于改善城区公交线路的建议" in procedure.notices("jtj_liaison")


def test_a_refused_extension_keeps_the_due_dates_and_timers(login, procedure, clock):
    iid = handling(procedure)
    before = timers(procedure)
    response = login("jtj_liaison").post(f"/instances/{iid}/extension",
                                         data={"extension_reason": "人手不足", "requested_due": "2027-03-31"})
    assert response.status_code == 302  # one unit: the form need not name it
    complete_in_browser(login("office"), procedure, "approve_extension", extension_decision="refuse",
                        extension_opinion="理由不充分")
    assert due_of(procedure, "consult_before", "jtj") == DUE
    assert timers(procedure) == before
    assert "到期 2027-02-23 23:59" in text_of(login("jtj_handler").get(f"/instances/{iid}"))
    assert "延期申请未同意：关于改善城区公交线路的建议" in procedure.notices("jtj_liaison")


def test_the_unit_head_may_ask_for_an_extension_too(login, procedure, clock):
    iid = handling(procedure)
    head = login("jtj_head")  # no task of this item so far: the page is open to them while the unit handles it
    page = head.get(f"/instances/{iid}")
    assert page.status_code == 200 and 'data-testid="extension-form"' in page.get_data(as_text=True)
    response = head.post(f"/instances/{iid}/extension",
                         data={"unit": "jtj", "extension_reason": "涉及跨部门协调", "requested_due": "2027-03-31"})
    assert response.status_code == 302
    procedure.work()
    assert procedure.task("approve_extension").form_data["approved_due"] == "2027-03-31"


# --- urges ---------------------------------------------------------------------------------------------

def test_the_office_urges_and_the_unit_liaison_answers(login, procedure, clock):
    iid = handling(procedure)
    office = login("office")
    page = office.get(f"/instances/{iid}")
    html = page.get_data(as_text=True)
    assert 'data-testid="urge-form"' in html and 'data-testid="extension-form"' not in html
    assert "催办单位： 市交通运输局" in text_of(page) and "网上督办" in html and "电话催办" in html
    response = office.post(f"/instances/{iid}/urge", data={"unit": "jtj", "urge_method": "phone",
                                                           "urge_message": "请加快办理进度"})
    assert response.status_code == 302
    page = text_of(office.get(f"/instances/{iid}"))
    assert "已向市交通运输局电话催办，等待其答复" in page
    assert "发起 催办（市交通运输局）" in page and "督办方式 ：电话催办" in page and "督办内容 ：请加快办理进度" in page
    procedure.work()

    assert procedure.claimants("answer_urge", "jtj") == {"jtj_liaison"}
    liaison = login("jtj_liaison")
    assert "答复督办" in text_of(liaison.get("/?tab=groups"))
    assert "答复督办" not in text_of(login("jtj_handler").get("/?tab=groups"))
    assert "请加快办理进度" in text_of(liaison.get(f"/tasks/{procedure.task('answer_urge', 'jtj').id}"))
    complete_in_browser(liaison, procedure, "answer_urge", "jtj", urge_answer="已完成调研，正在起草答复")
    assert "督办答复：关于改善城区公交线路的建议" in procedure.notices("office")
    assert procedure.open_summary() == [("consult_before", "jtj")]


def test_the_office_chooses_which_of_several_units_to_urge(login, procedure, clock):
    iid = handling(procedure, "jtj", "jyj", mode="split")
    office = login("office")
    _, widgets = read_form(office.get(f"/instances/{iid}"))
    assert widgets["unit"]["tag"] == "select"  # the urge form offers both units
    page = office.get(f"/instances/{iid}").get_data(as_text=True)
    assert "市交通运输局" in page and "市教育局" in page

    response = office.post(f"/instances/{iid}/urge", data={"urge_method": "online", "urge_message": "请报送进展"})
    assert response.status_code == 422 and "请选择要催办的承办单位" in text_of(response)
    response = office.post(f"/instances/{iid}/urge", data={"unit": "jyj", "urge_method": "online",
                                                           "urge_message": "请报送进展"})
    assert response.status_code == 302
    procedure.work()
    assert procedure.claimants("answer_urge", "jyj") == {"jyj_liaison"}
    assert ("answer_urge", "jtj") not in procedure.open_summary()

    # A unit's liaison asks for its own unit only.
    liaison = login("jtj_liaison")
    response = liaison.post(f"/instances/{iid}/extension",
                            data={"unit": "jyj", "extension_reason": "x", "requested_due": "2027-03-31"})
    assert response.status_code == 403 and "只能为本单位正在办理的事项申请延期" in text_of(response)


# --- refusals and invalid input ------------------------------------------------------------------------------

EXTENSION = {"unit": "jtj", "extension_reason": "需等待年度预算批复", "requested_due": "2027-04-30"}
URGE = {"unit": "jtj", "urge_method": "phone", "urge_message": "请加快办理进度"}


def test_wrong_role_or_unit_is_refused_and_records_nothing(login, procedure, clock):
    iid = handling(procedure)
    open_before = procedure.open_summary()
    refusals = [
        ("jtj_handler", "extension", EXTENSION, "只有承办单位的综合科室或主要领导可以申请延期"),
        ("office", "extension", EXTENSION, "只有承办单位的综合科室或主要领导可以申请延期"),
        ("jyj_liaison", "extension", {**EXTENSION, "unit": "jyj"}, "您所在的单位当前没有在办理该事项"),
        ("jyj_head", "extension", EXTENSION, "您所在的单位当前没有在办理该事项"),
        ("jtj_liaison", "urge", URGE, "只有市政府办公室可以催办"),
        ("jtj_head", "urge", URGE, "只有市政府办公室可以催办"),
        ("deputy", "urge", URGE, "只有市政府办公室可以催办"),
        ("admin", "urge", URGE, "只有市政府办公室可以催办"),
    ]
    for username, path, data, message in refusals:
        response = login(username).post(f"/instances/{iid}/{path}", data=data)
        assert response.status_code == 403, (username, path)
        assert message in text_of(response), (username, path)
    unchanged(procedure, open_before)

    # Who may not act sees no form (and a unit that does not handle the item not even the page).
    assert 'data-testid="supervision"' not in login("jtj_handler").get(f"/instances/{iid}").get_data(as_text=True)
    assert login("jyj_liaison").get(f"/instances/{iid}").status_code == 403
    assert login("deputy").get(f"/instances/{iid}").status_code == 403


def test_nothing_to_ask_before_the_handling_starts_or_after_the_item_ended(login, procedure, clock):
    procedure.start()
    register(procedure, lead="jtj")
    accept(procedure, "jtj")  # the unit's 综合科室 now dispatches: its handling has not started
    iid = procedure.instance_id
    open_before = procedure.open_summary()
    liaison = login("jtj_liaison")
    assert 'data-testid="supervision"' not in liaison.get(f"/instances/{iid}").get_data(as_text=True)
    response = liaison.post(f"/instances/{iid}/extension", data=EXTENSION)
    assert response.status_code == 403 and "尚未进入办理阶段" in text_of(response)
    response = login("office").post(f"/instances/{iid}/urge", data=URGE)
    assert response.status_code == 409 and "该事项当前没有正在办理的承办单位" in text_of(response)
    unchanged(procedure, open_before)
    assert login("office").post("/instances/99999/urge", data=URGE).status_code == 404


@pytest.mark.parametrize("data, message", [
    ({**EXTENSION, "extension_reason": "  "}, "请填写延期理由"),
    ({**EXTENSION, "extension_reason": "长" * 501}, "延期理由不能超过 500 字（现为 501 字）"),
    ({**EXTENSION, "requested_due": ""}, "请填写申请延期至的日期"),
    ({**EXTENSION, "requested_due": "2027/04/30"}, "日期“2027/04/30”无法识别"),
    ({**EXTENSION, "requested_due": "2027-02-30"}, "日期“2027-02-30”无法识别"),
    ({**EXTENSION, "requested_due": "2026-11-23"}, "申请延期至的日期必须晚于今天（2026-11-23）"),
    ({**EXTENSION, "requested_due": "2026-10-01"}, "申请延期至的日期必须晚于今天"),
    ({**EXTENSION, "requested_due": "2100-01-01"}, "不能晚于 2099-12-31"),
])
def test_invalid_extension_request_keeps_what_was_typed(login, procedure, clock, data, message):
    iid = handling(procedure)
    open_before = procedure.open_summary()
    response = login("jtj_liaison").post(f"/instances/{iid}/extension", data=data)
    assert response.status_code == 422
    page = text_of(response)
    assert message in page, page
    assert 'data-testid="extension-errors"' in response.get_data(as_text=True)
    values, _ = read_form(response)
    assert values["extension_reason"] == data["extension_reason"].strip()
    assert values["requested_due"] == data["requested_due"]
    unchanged(procedure, open_before)


@pytest.mark.parametrize("data, message", [
    ({**URGE, "urge_message": ""}, "请填写督办内容"),
    ({**URGE, "urge_message": "催" * 501}, "督办内容不能超过 500 字"),
    ({**URGE, "urge_method": ""}, "请选择督办方式（网上督办或电话催办）"),
    ({**URGE, "urge_method": "fax"}, "请选择督办方式"),
    ({**URGE, "unit": "jyj"}, "所选单位当前没有在办理该事项"),
])
def test_invalid_urge_keeps_what_was_typed(login, procedure, clock, data, message):
    iid = handling(procedure)
    open_before = procedure.open_summary()
    response = login("office").post(f"/instances/{iid}/urge", data=data)
    assert response.status_code == 422
    assert message in text_of(response)
    assert 'data-testid="urge-errors"' in response.get_data(as_text=True)
    values, _ = read_form(response)
    assert values["urge_message"] == data["urge_message"]
    assert values["urge_method"] == (data["urge_method"] if data["urge_method"] in ("online", "phone") else [])
    unchanged(procedure, open_before)


def test_csrf_token_required(app, login, procedure, clock):
    iid = handling(procedure)
    liaison, office = login("jtj_liaison"), login("office")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert liaison.post(f"/instances/{iid}/extension", data=EXTENSION).status_code == 400
        assert office.post(f"/instances/{iid}/urge", data=URGE).status_code == 400
        values, _ = read_form(liaison.get(f"/instances/{iid}"))
        assert values["csrf_token"]
        response = liaison.post(f"/instances/{iid}/extension", data={**EXTENSION, "csrf_token": values["csrf_token"]})
        assert response.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert len(audit(procedure.engine, iid, "message")) == 1
