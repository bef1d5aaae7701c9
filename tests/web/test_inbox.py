"""The inbox: who sees which task, claiming and returning, due-date colours, the bell."""
from datetime import timedelta

from webapp.models import HumanTask, Notification, utcnow

from .pages import text_of


def test_candidate_sees_task_to_claim(login, approval):
    _, task_id = approval
    client = login("clerk1")
    mine = client.get("/?tab=mine")
    assert "没有分配给您的任务" in text_of(mine)
    # With nothing assigned yet, the inbox opens on the tasks to claim.
    assert f"/tasks/{task_id}/claim" in client.get("/").get_data(as_text=True)
    groups = client.get("/?tab=groups")
    page = text_of(groups)
    assert "填写申请" in page and "购置办公设备" in page and "SP-2026-001" in page
    assert f"/tasks/{task_id}/claim" in groups.get_data(as_text=True)
    assert "待认领 1" in text_of(mine)  # the tab shows the count


def test_other_roles_do_not_see_it(login, approval):
    client = login("reviewer1")
    for tab in ("mine", "groups"):
        assert "填写申请" not in text_of(client.get(f"/?tab={tab}"))


def test_claim_and_unclaim(login, approval, engine):
    _, task_id = approval
    client = login("clerk1")
    response = client.post(f"/tasks/{task_id}/claim", data={"next": "/?tab=mine"}, follow_redirects=True)
    page = text_of(response)
    assert "已认领" in page and "填写申请" in page
    assert f"/tasks/{task_id}/unclaim" in response.get_data(as_text=True)
    # clerk2 no longer sees it to claim, and cannot take it over.
    other = login("clerk2")
    assert "填写申请" not in text_of(other.get("/?tab=groups"))
    response = other.post(f"/tasks/{task_id}/claim", follow_redirects=True)
    assert "该任务已由张经办认领" in text_of(response)

    response = client.post(f"/tasks/{task_id}/unclaim", data={"next": "/?tab=groups"}, follow_redirects=True)
    assert "已退回" in text_of(response)
    assert f"/tasks/{task_id}/claim" in response.get_data(as_text=True)
    with engine.db.read() as s:
        assert s.get(HumanTask, task_id).assignee_id is None


def test_claim_refused_for_non_candidate(login, approval):
    _, task_id = approval
    response = login("reviewer1").post(f"/tasks/{task_id}/claim", follow_redirects=True)
    assert "不能认领" in text_of(response)


def test_claim_unknown_task_is_404(login, people):
    response = login("clerk1").post("/tasks/999999/claim")
    assert response.status_code == 404
    assert "任务 999999 不存在" in text_of(response)


def test_due_dates_in_office_time_with_colours(login, approval, engine):
    instance_id, task_id = approval
    due = utcnow().replace(microsecond=0) + timedelta(days=10)
    with engine.db.write() as s:
        s.get(HumanTask, task_id).due_at = due
    client = login("clerk1")
    html = client.get("/?tab=groups").get_data(as_text=True)
    shanghai = due + timedelta(hours=8)
    assert shanghai.strftime("%Y-%m-%d %H:%M") in html
    assert "due-normal" in html

    with engine.db.write() as s:
        s.get(HumanTask, task_id).due_at = utcnow() + timedelta(days=2)
    html = client.get("/?tab=groups").get_data(as_text=True)
    assert "due-soon" in html and "即将到期" in html

    with engine.db.write() as s:
        s.get(HumanTask, task_id).due_at = utcnow() - timedelta(hours=1)
    html = client.get("/?tab=groups").get_data(as_text=True)
    assert "due-overdue" in html and "已超期" in html


def test_bell_counts_unread_and_list_marks_read(login, approval, engine, people):
    instance_id, _ = approval
    with engine.db.write() as s:
        s.add_all([Notification(user_id=people["clerk1"].id, instance_id=instance_id, subject="新交办事项",
                                body="请及时办理"),
                   Notification(user_id=people["clerk1"].id, subject="系统维护通知")])
    client = login("clerk1")
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="unread-count">2<' in html
    response = client.get("/notifications")
    page = text_of(response)
    assert "新交办事项" in page and "请及时办理" in page and "系统维护通知" in page
    assert f"/instances/{instance_id}" in response.get_data(as_text=True)
    assert "unread-count" not in client.get("/").get_data(as_text=True)
    with engine.db.read() as s:
        assert all(n.read_at is not None for n in s.query(Notification))
    # Someone else's notifications are not shown.
    assert "新交办事项" not in text_of(login("clerk2").get("/notifications"))
