"""A process's versions page and the migration of its items (webapp/web/versions.py): for process
owners and administrators; versions with their running items and XML; the dry run and the move."""
import pytest

from tests.conftest import diagram, secret_hash
from tests.support.helpers import audit, instance, refresh_user, the_task
from tests.test_migration import MAIN, REMOVE_SECOND, SUB, changed
from webapp.models import Role, RoleAssignment, User

from .conftest import web_diagram
from .pages import text_of


@pytest.fixture
def owner(engine, people):
    with engine.db.write() as s:
        s.add(Role(code="process_owner", name="流程管理员"))
        user = User(username="owner", display_name="周流程", password_hash=secret_hash())
        s.add(user)
        s.flush()
        s.add(RoleAssignment(user_id=user.id, role_code="process_owner"))
    return "owner"


@pytest.fixture
def items(app, engine):
    """Deployment 2 adds the migration test diagrams; M-1 waits in `first`, M-2 in `second` (suspended);
    deployment 3 removes `second`. Returns {business key: instance id}."""
    base = [diagram("approval.bpmn"), web_diagram("all_fields.bpmn")]
    engine.repository.deploy(base + [diagram(MAIN), diagram(SUB)], created_by="admin", source="cli")
    ids = {key: engine.runtime.start("mig_main", key, title=f"测试事项{key}", data={"voters": ["clerk1"]})
           for key in ("M-1", "M-2")}
    engine.tasks.complete(the_task(engine, ids["M-2"], "first").id, refresh_user(engine, "clerk1"), {})
    from webapp.engine.operations import Operations
    Operations(engine).suspend(ids["M-2"], refresh_user(engine, "admin"), "等待")
    engine.repository.deploy(base + [changed(MAIN, *REMOVE_SECOND), diagram(SUB)], created_by="owner",
                             source="browser")
    return ids


def test_only_process_owners_and_administrators_see_versions(login, items, owner):
    for url in ("/modeler/processes/mig_main/versions", "/modeler/processes/mig_main/migration?from=2"):
        response = login("clerk1").get(url)
        assert response.status_code == 403
        assert "只有流程管理员和系统管理员可以查看流程版本和迁移事项" in text_of(response)
        assert login(owner).get(url).status_code == 200
        assert login("admin").get(url).status_code == 200
    response = login("clerk1").post("/modeler/processes/mig_main/migration", data={"from": 2, "to": 3, "all": "1"})
    assert response.status_code == 403
    assert login(owner).get("/modeler/processes/nothing/versions").status_code == 404


def test_the_versions_page_counts_the_items_per_version_and_deployment(login, items, owner):
    client = login(owner)
    page = client.get("/modeler/processes/mig_main/versions")
    text = text_of(page)
    assert "第 2 版 现行" in text and "第 1 版" in text
    html = page.get_data(as_text=True)
    rows = html.split('data-version="')
    v2, v1 = rows[1], rows[2]
    assert "浏览器" in v2 and "owner" in v2 and '<td class="count-running">0</td>' in v2
    assert "命令行" in v1 and '<td class="count-running">1</td>' in v1 and '<td class="count-suspended">1</td>' in v1
    assert '/modeler/processes/mig_main/migration?from=2' in html  # the dry run for deployment 2's items
    xml = client.get("/modeler/processes/mig_main/versions/1.xml")
    assert xml.status_code == 200 and 'id="second"' in xml.get_data(as_text=True)
    assert "attachment" in xml.headers["Content-Disposition"]
    # The called process: its items are those of the process that calls it.
    called = text_of(client.get("/modeler/processes/mig_sub/versions"))
    assert "mig_main" in called and "已是最新部署" not in called


def test_the_dry_run_tells_which_items_can_move_and_why_not(login, items, owner, engine):
    page = login(owner).get("/modeler/processes/mig_main/migration?from=2")
    assert page.status_code == 200
    text = text_of(page)
    assert "迁移预检：第 1 版（部署 2） → 第 2 版（部署 3）" in text
    assert "共 2 件： 1 件可迁移， 1 件不能迁移" in text
    html = page.get_data(as_text=True)
    assert f'name="instance_id" value="{items["M-1"]}"' in html
    assert f'name="instance_id" value="{items["M-2"]}"' not in html
    assert "当前环节“第二步”在新版本中已删除" in text and "已挂起" in text
    assert instance(engine, items["M-1"]).deployment_id == 2  # nothing moved
    client = login(owner)
    assert client.get("/modeler/processes/mig_main/migration").status_code == 400
    latest = client.get("/modeler/processes/mig_main/migration?from=3")
    assert latest.status_code == 302
    assert "只能迁移到更新的部署" in text_of(client.get(latest.headers["Location"]))


def test_moving_the_chosen_items(login, items, owner, engine):
    client = login(owner)
    nothing = client.post("/modeler/processes/mig_main/migration", data={"from": 2, "to": 3})
    assert nothing.status_code == 302 and "migration?from=2" in nothing.headers["Location"]
    assert "请选择要迁移的事项" in text_of(client.get(nothing.headers["Location"]))

    moved = client.post("/modeler/processes/mig_main/migration",
                        data={"from": 2, "to": 3, "instance_id": [items["M-1"], items["M-2"]]})
    assert moved.headers["Location"].endswith("/modeler/processes/mig_main/versions")
    text = text_of(client.get(moved.headers["Location"]))
    assert "已将 1 件事项从第 1 版（部署 2）迁移到第 2 版（部署 3）" in text
    assert "1 件事项未迁移，仍按原版本办理（M-2：当前环节“第二步”在新版本中已删除）" in text
    assert (instance(engine, items["M-1"]).deployment_id, instance(engine, items["M-2"]).deployment_id) == (3, 2)
    assert [a.actor_name for a in audit(engine, items["M-1"], "instance_migrated")] == ["周流程"]

    page = text_of(login("admin").get(f"/instances/{items['M-1']}"))
    assert "迁移到新版本" in page and "原版本" in page and "第 2 版（部署 3）" in page
    assert "迁移测试（第 2 版）" in page  # the item now runs on the new version


def test_moving_every_movable_item(login, items, owner, engine):
    client = login(owner)
    response = client.post("/modeler/processes/mig_main/migration", data={"from": 2, "to": 3, "all": "1"})
    assert response.status_code == 302
    assert instance(engine, items["M-1"]).deployment_id == 3
    assert instance(engine, items["M-2"]).deployment_id == 2
    again = text_of(client.get("/modeler/processes/mig_main/migration?from=2"))
    assert "共 1 件： 0 件可迁移， 1 件不能迁移" in again
    assert "迁移所选事项" not in again  # nothing to choose
