"""The item page as its readers meet it: what a deputy reads of his item (the steps and who took them,
his own entries in full, not the internal opinions or the raw process data), the menu and breadcrumb,
and the automatic steps under way before the next task."""
from tests.procedure.driver import accept, consult, dispatch, register
from webapp.items import register_item

INTERNAL = "了解代表的意图和诉求"  # the handler's summary of the 办前协商, as submitted in the task


def test_a_deputy_sees_the_steps_but_not_the_internal_opinions(login, procedure):
    values = dict(item_type="suggestion", session="十七届五次", timing="session", item_no="77",
                  title="关于增设公交站点的建议", body="建议在新区增设公交站点。", category="交通运输",
                  proposer_type="individual", proposer="deputy", contact="13800000000", source="manual",
                  key_source="none")
    item = register_item(procedure.engine, values, procedure.user("office"))
    procedure.instance_id = item.instance_id
    procedure.work()
    register(procedure)
    accept(procedure, "jtj")
    dispatch(procedure, "jtj")
    consult(procedure, "jtj", method="visit")
    page = f"/instances/{item.instance_id}"

    office = login("office").get(page).get_data(as_text=True)
    assert "流程变量（原始数据）" in office and "按期高质量办结" in office  # the 五定 requirements, in the history

    deputy = login("deputy").get(page).get_data(as_text=True)
    assert "内部意见不在此显示" in deputy
    assert "内部交办（五定）" in deputy and "分类甄选／快速审查" in deputy  # the steps are there …
    assert "按期高质量办结" not in deputy                                  # … without their content
    assert "流程变量（原始数据）" not in deputy and "intake_decision" not in deputy
    assert "生成待办" not in deputy and "服务任务完成" not in deputy
    assert INTERNAL in deputy  # the consultation with him is his to read and confirm (协商记录)


def test_deputies_menu_and_the_item_pages_breadcrumb(login, procedure):
    values = dict(item_type="suggestion", session="十七届五次", timing="session", item_no="78",
                  title="关于延长公交末班时间的建议", body="建议延长末班时间。", category="交通运输",
                  proposer_type="individual", proposer="deputy", source="manual", key_source="none")
    item = register_item(procedure.engine, values, procedure.user("office"))
    deputy = login("deputy").get(f"/instances/{item.instance_id}").get_data(as_text=True)
    assert ">流程实例</a>" not in deputy  # nothing for him to start or follow there
    assert '<a href="/items">事项</a> / 人大建议 十七届五次 第0078号' in deputy
    assert '<a href="/items" class="active">事项</a>' in deputy
    office = login("office").get(f"/instances/{item.instance_id}").get_data(as_text=True)
    assert ">流程实例</a>" in office


def test_the_item_page_says_which_automatic_steps_run_and_refreshes_until_the_next_task(login, procedure):
    values = dict(item_type="suggestion", session="十七届五次", timing="session", item_no="79",
                  title="关于增开夜间公交的建议", body="建议增开夜间公交。", category="交通运输",
                  proposer_type="individual", proposer="deputy", source="manual", key_source="none")
    item = register_item(procedure.engine, values, procedure.user("office"))
    procedure.instance_id = item.instance_id
    procedure.work()
    office = login("office")
    task = procedure.task("intake_review")
    done = office.post(f"/tasks/{task.id}", data={"intake_decision": "register", "category": "交通运输",
                                                  "key_source": "none"})
    assert done.status_code == 302, done.get_data(as_text=True)
    waiting = office.get(f"/instances/{item.instance_id}").get_data(as_text=True)
    assert 'data-auto-refresh="3"' in waiting and "系统正在执行：更新事项登记信息" in waiting
    procedure.work()  # the worker runs the service task; 交办 is next
    after = office.get(f"/instances/{item.instance_id}").get_data(as_text=True)
    assert "data-auto-refresh" not in after and "交办：确定承办单位" in after
