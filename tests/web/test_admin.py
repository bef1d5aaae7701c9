"""Incidents: only administrators see them; retry and skip from the browser."""
import pytest

from tests.support import topics
from webapp.models import Incident

from .conftest import open_task_id, web_diagram
from .pages import text_of


@pytest.fixture
def incident(deployed, people):
    deployed.repository.deploy([*_current_sources(), web_diagram("flaky.bpmn")])
    topics.FAILURES["remaining"] = 100
    instance_id = deployed.runtime.start("flaky", "FL-1", title="外部服务故障测试", actor=people["clerk1"])
    for _ in range(5):
        deployed.management.run_once()
    with deployed.db.read() as s:
        row = s.query(Incident).filter_by(instance_id=instance_id).one()
    yield instance_id, row.id
    topics.FAILURES["remaining"] = 0


def _current_sources():
    from tests.conftest import diagram
    return [diagram("approval.bpmn"), web_diagram("all_fields.bpmn")]


def test_forbidden_for_non_admins(login, people):
    for username in ("clerk1", "reviewer1"):
        response = login(username).get("/admin/incidents")
        assert response.status_code == 403
        assert "只有系统管理员可以处理故障" in text_of(response)
        assert login(username).post("/admin/incidents/1/retry").status_code == 403


def test_nav_shows_incidents_to_admins_only(login, people):
    assert "/admin/incidents" in login("admin").get("/").get_data(as_text=True)
    assert "/admin/incidents" not in login("clerk1").get("/").get_data(as_text=True)


def test_empty_list(login, people):
    assert "目前没有未处理的故障" in text_of(login("admin").get("/admin/incidents"))


def test_incident_listed_and_retried(login, incident, deployed):
    instance_id, incident_id = incident
    client = login("admin")
    response = client.get("/admin/incidents")
    page = text_of(response)
    assert "外部服务故障测试" in page and "调用外部服务" in page and "模拟的外部服务故障" in page
    assert "最近一次错误详情" in page and "RuntimeError" in page
    assert f"/instances/{instance_id}" in response.get_data(as_text=True)

    topics.FAILURES["remaining"] = 0
    response = client.post(f"/admin/incidents/{incident_id}/retry", follow_redirects=True)
    assert "已安排重试" in text_of(response)
    assert "目前没有未处理的故障" in text_of(response)
    deployed.management.run_once()
    assert open_task_id(deployed, instance_id, "after") is not None

    response = client.post(f"/admin/incidents/{incident_id}/retry", follow_redirects=True)
    assert "该故障已处理" in text_of(response)


def test_incident_skipped(login, incident, deployed):
    instance_id, incident_id = incident
    response = login("admin").post(f"/admin/incidents/{incident_id}/skip", follow_redirects=True)
    assert "已跳过" in text_of(response)
    assert open_task_id(deployed, instance_id, "after") is not None
    page = text_of(login("admin").get(f"/instances/{instance_id}"))
    assert "产生故障" in page and "故障跳过" in page


def test_unknown_incident(login, people):
    response = login("admin").post("/admin/incidents/4711/skip", follow_redirects=True)
    assert "故障 4711 不存在" in text_of(response)
