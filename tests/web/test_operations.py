"""Administrators' operations on the item page (webapp/web/operations.py): the panel only for
administrators, 403 for anyone else, 422 for what cannot be used, 409 for what the state refuses —
each refusal in Chinese and changing nothing."""
import re

import pytest
from sqlalchemy import select

from tests.support.helpers import audit, instance, instance_data, refresh_user, the_task
from webapp.models import HumanTask

from .conftest import open_task_id
from .pages import text_of


@pytest.fixture
def in_review(deployed, people):
    """An approval of 5000 waiting in `review` (its submit completed by clerk1)."""
    iid = deployed.runtime.start("approval", "SP-1", title="购置设备", actor=people["clerk1"])
    deployed.tasks.complete(open_task_id(deployed, iid, "submit"), people["clerk1"],
                            {"subject": "买电脑", "amount": "5000"})
    return iid


def form_html(response, testid) -> str:
    html = response.get_data(as_text=True)
    start = html.index(f'data-testid="{testid}"')
    return html[start:html.index("</form>", start)]


def post(client, iid, operation, **data):
    return client.post(f"/instances/{iid}/operations/{operation}", data=data)


def test_only_administrators_see_the_panel_and_may_act(login, in_review, engine):
    assert 'data-testid="operations"' in login("admin").get(f"/instances/{in_review}").get_data(as_text=True)
    clerk = login("clerk1")
    assert 'data-testid="operations"' not in clerk.get(f"/instances/{in_review}").get_data(as_text=True)
    for operation in ("suspend", "resume", "cancel", "return", "correct"):
        response = post(clerk, in_review, operation, reason="试试")
        assert response.status_code == 403
        assert "只有系统管理员可以执行管理操作" in text_of(response)
    assert instance(engine, in_review).status == "running"
    assert audit(engine, in_review, "instance_suspended") == []
    admin = login("admin")
    assert post(admin, in_review, "explode", reason="x").status_code == 404
    assert post(admin, 9999, "suspend", reason="x").status_code == 404


def test_suspend_then_resume(login, in_review, engine):
    admin = login("admin")
    blank = post(admin, in_review, "suspend", reason=" ")
    assert blank.status_code == 422 and "请填写原因" in text_of(blank)
    assert instance(engine, in_review).status == "running"

    done = post(admin, in_review, "suspend", reason="等待预算批复")
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/instances/{in_review}#operations")
    page = admin.get(f"/instances/{in_review}")
    text = text_of(page)
    assert "已挂起：办理暂停" in text and "恢复办理" in text
    assert "挂起 — 原因 ：等待预算批复" in text  # in the history
    assert "恢复办理" in form_html(page, "op-resume") and 'data-testid="op-suspend"' not in page.get_data(as_text=True)

    # The reviewer's inbox marks the task as suspended and its page says why it cannot be done now.
    reviewer = login("reviewer1")
    task_id = open_task_id(engine, in_review, "review")
    inbox = text_of(reviewer.get("/?tab=groups"))
    assert "已挂起" in inbox and "查看" in inbox
    task_page = reviewer.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "该事项已被管理员挂起，恢复后才能办理" in task_page
    assert re.search(r'<button type="submit" class="btn btn-primary"\s+disabled', task_page)

    # A reviewer's submission is refused while it is suspended.
    refused = reviewer.post(f"/tasks/{task_id}", data={"approved": "on"}, follow_redirects=True)
    assert "已挂起" in text_of(refused)
    with engine.db.read() as s:
        assert s.get(HumanTask, task_id).status == "open"

    again = post(admin, in_review, "suspend", reason="再挂起")
    assert again.status_code == 409 and "只有办理中的事项可以挂起" in text_of(again)
    assert post(admin, in_review, "resume", reason="批复已到").status_code == 302
    assert "已挂起" not in text_of(reviewer.get("/?tab=groups"))
    wrong = post(admin, in_review, "resume", reason="再恢复")
    assert wrong.status_code == 409 and "只有已挂起的事项可以恢复" in text_of(wrong)
    assert [a.detail["reason"] for a in audit(engine, in_review) if a.action.startswith("instance_")
            and a.action != "instance_started"] == ["等待预算批复", "批复已到"]


def test_return_to_the_submission(login, in_review, engine):
    admin = login("admin")
    page = admin.get(f"/instances/{in_review}")
    guid = re.findall(r'<option value="([0-9a-f-]{36})"', form_html(page, "op-return"))
    assert len(guid) == 1
    missing = post(admin, in_review, "return", reason="金额有误")
    assert missing.status_code == 422 and "请选择要退回到的环节" in text_of(missing)
    done = post(admin, in_review, "return", task_guid=guid[0], reason="金额有误")
    assert done.status_code == 302
    assert the_task(engine, in_review, "submit").form_data["amount"] == 5000
    assert "已退回到“填写申请”" in text_of(admin.get(f"/instances/{in_review}"))
    off = post(admin, in_review, "return", task_guid=guid[0], reason="再退")
    assert off.status_code == 409 and "不能退回到该环节" in text_of(off)


def test_correct_a_value(login, in_review, engine):
    admin = login("admin")
    bad = post(admin, in_review, "correct", scope="process", variable="amount", kind="number", value="很多",
               reason="笔误")
    assert bad.status_code == 422 and "“很多”不是数字" in text_of(bad)
    assert ">很多</textarea>" in form_html(bad, "op-correct")  # kept for another try
    done = post(admin, in_review, "correct", scope="process", variable="amount", kind="number", value="4800",
                reason="发票金额为 4800 元")
    assert done.status_code == 302
    assert instance_data(engine, in_review)["amount"] == 4800
    text = text_of(admin.get(f"/instances/{in_review}"))
    assert "更正数据" in text and "原值" in text and "新值" in text and "发票金额为 4800 元" in text


def test_cancel(login, in_review, engine):
    admin = login("admin")
    assert post(admin, in_review, "cancel", reason="申请人撤回").status_code == 302
    inst = instance(engine, in_review)
    assert inst.status == "cancelled"
    with engine.db.read() as s:
        assert s.scalars(select(HumanTask.status).where(HumanTask.instance_id == in_review,
                                                        HumanTask.element_id == "review")).all() == ["cancelled"]
    text = text_of(admin.get(f"/instances/{in_review}"))
    assert "已撤销：待办已取消" in text and "没有可执行的管理操作" in text
    again = post(admin, in_review, "cancel", reason="再撤销")
    assert again.status_code == 409 and "该事项已撤销，不能撤销" in text_of(again)
    assert refresh_user(engine, "admin").is_admin
