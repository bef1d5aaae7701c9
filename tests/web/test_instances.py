"""The instance list, starting a process from the browser, and an instance's page."""
import re

from .conftest import open_task_id
from .pages import read_form, text_of


def test_start_from_the_list(login, deployed):
    client = login("clerk1")
    page = client.get("/instances")
    assert "测试审批（第 1 版）" in text_of(page) and "全部字段" in text_of(page)
    response = client.post("/instances", data={"process_key": "approval", "business_key": "JY-2026-0001",
                                               "title": "关于增设公交线路的建议"})
    assert response.status_code == 302
    response = client.get(response.headers["Location"])
    page = text_of(response)
    assert "已发起" in page and "关于增设公交线路的建议" in page and "JY-2026-0001" in page
    assert "测试审批（第 1 版）" in page and "办理中" in page and "张经办" in page
    assert "填写申请" in page  # the first open task
    assert "启动流程" in page and "生成待办" in page  # history with action labels
    assert "流程变量" in page and "JY-2026-0001" in response.get_data(as_text=True)


def test_duplicate_business_key_keeps_the_form(login, approval):
    client = login("clerk1")
    response = client.post("/instances", data={"process_key": "approval", "business_key": "SP-2026-001",
                                               "title": "重复"})
    assert response.status_code == 422
    assert "业务编号“SP-2026-001”已经存在，不能重复启动" in text_of(response)
    values, _ = read_form(response)
    assert values["business_key"] == "SP-2026-001" and values["title"] == "重复"
    assert values["process_key"] == "approval"


def test_start_needs_a_business_key(login, deployed):
    response = login("clerk1").post("/instances", data={"process_key": "approval", "business_key": " "})
    assert "请填写业务编号" in text_of(response)


def test_list_search_and_status_filter(login, deployed, people):
    for key, title in (("A-1", "道路维修"), ("A-2", "学校扩建"), ("B-1", "道路绿化")):
        deployed.runtime.start("approval", key, title=title, actor=people["clerk1"])
    client = login("clerk1")
    page = text_of(client.get("/instances?q=道路"))
    assert "道路维修" in page and "道路绿化" in page and "学校扩建" not in page
    page = text_of(client.get("/instances?q=A-"))
    assert "道路维修" in page and "学校扩建" in page and "道路绿化" not in page
    assert "填写申请" in page  # the current step column
    assert "没有符合条件的事项" in text_of(client.get("/instances?status=completed"))
    assert "学校扩建" in text_of(client.get("/instances?status=running"))
    assert "没有符合条件的事项" in text_of(client.get("/instances?q=100%25"))  # a literal %, not a wildcard


def test_list_shows_only_instances_one_takes_part_in(login, approval):
    assert "购置办公设备" in text_of(login("clerk2").get("/instances"))  # a candidate of its task
    assert "购置办公设备" not in text_of(login("reviewer1").get("/instances"))
    assert "购置办公设备" in text_of(login("admin").get("/instances"))


def test_instance_page_permissions_and_404(login, approval):
    instance_id, _ = approval
    response = login("reviewer1").get(f"/instances/{instance_id}")
    assert response.status_code == 403 and "无权查看" in text_of(response)
    assert login("admin").get(f"/instances/{instance_id}").status_code == 200
    response = login("clerk1").get("/instances/98765")
    assert response.status_code == 404 and "事项实例 98765 不存在" in text_of(response)


def test_history_after_review(login, approval, engine):
    instance_id, task_id = approval
    login("clerk1").post(f"/tasks/{task_id}", data={"subject": "大额采购", "amount": "9000"})
    reviewer = login("reviewer1")
    review_id = open_task_id(engine, instance_id, "review")
    reviewer.post(f"/tasks/{review_id}/claim")
    response = reviewer.post(f"/tasks/{review_id}", data={"approved": "on"}, follow_redirects=True)
    page = text_of(response)
    assert "王审核" in page and re.search(r"同意\s*：\s*是", page)
    assert "认领任务" in page


def test_history_marks_the_engines_own_steps_to_hide_them(login, approval):
    instance_id, task_id = approval
    login("clerk1").post(f"/tasks/{task_id}", data={"subject": "大额采购", "amount": "9000"})
    html = login("clerk1").get(f"/instances/{instance_id}").get_data(as_text=True)
    assert re.search(r'<tr class="action-task_completed">', html)  # people's work is always shown
    hidden = re.findall(r'<tr class="action-(\w+) automatic">', html)
    assert hidden and set(hidden) <= {"task_created", "step", "job_done"}
    assert f"显示系统自动步骤（{len(hidden)} 条）" in html
