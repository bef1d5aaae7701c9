"""Process owners change the procedure in a real browser (Debian's headless Chromium): the Camunda 7
modeler and the decision table editor served from node_modules, deploys that new items follow while
running items keep their version, refusals shown on the element, and the door closed to others."""
from datetime import datetime

import pytest

from tests.procedure.driver import accept, consult, dispatch, handle, register
from tests.web.browser_support import require, shot
from webapp.clock import OFFICE_TZ
from webapp.models import HumanTask
from webapp.web import vendor

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=OFFICE_TZ)

sync_api = require()
expect = sync_api.expect


@pytest.fixture(autouse=True)
def libraries():
    if not vendor.available():
        import os
        message = "node_modules is not installed (npm ci): the modelers cannot load"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def open_page(browser, live_server, username, path):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server}/login?next={path}")
    page.fill("#username", username)
    page.fill("#password", "secret")
    page.click("button[type=submit]")
    page.errors = errors
    return page


def open_editor(browser, live_server, username, path):
    page = open_page(browser, live_server, username, path)
    expect(page.locator("body[data-modeler-ready=true]")).to_be_attached()
    return page


def intake_task(engine, instance_id) -> int:
    with engine.db.read() as s:
        return s.query(HumanTask.id).filter_by(instance_id=instance_id, element_id="intake_review",
                                               status="open").scalar()


def test_owner_adds_a_form_field_new_items_get_it_running_ones_keep_theirs(live_server, browser, product, owner,
                                                                            engine, request):
    earlier = product.start(item_no=101, title="关于增设社区公交站点的建议")
    page = open_editor(browser, live_server, owner, "/modeler/processes/item_handling")
    # The real Camunda 7 modeler, with Chinese in the properties panel and the element templates loaded.
    assert page.evaluate("typeof window.modeler.get('elementTemplates').getAll") == "function"
    topics = page.evaluate("window.modeler.get('elementTemplates').getAll().map(t => t.name)")
    assert "生成答复函" in topics
    page.click('g.djs-element[data-element-id="intake_review"]')
    expect(page.locator(".bio-properties-panel-header-label")).to_contain_text("分类甄选")
    expect(page.locator(".bio-properties-panel-group-header-title", has_text="办理人设置")).to_be_visible()
    shot(page, "20-modeler-intake-review", request)

    # 表单字段 → + : a new field, filled in through the panel's own inputs.
    fields = page.locator(".bio-properties-panel-group-header", has_text="表单字段")
    count = int(fields.locator(".bio-properties-panel-list-badge").inner_text())
    fields.locator("button.bio-properties-panel-add-entry").click()
    prefix = f"#bio-properties-panel-intake_review-formField-{count}-formField"
    page.fill(prefix + "ID", "contact_note")
    page.fill(prefix + "Label", "联系情况备注")
    page.select_option(prefix + "Type", "string")
    page.locator(prefix + "Label").press("Tab")
    expect(fields.locator(".bio-properties-panel-list-badge")).to_have_text(str(count + 1))
    shot(page, "21-modeler-new-form-field", request)

    page.click("#check")
    expect(page.locator("#problems li.ok")).to_contain_text("没有发现问题")
    expect(page.locator('#diff li[data-element-id="intake_review"]')).to_contain_text("表单字段有变化")
    expect(page.locator('g.djs-element.diff-changed[data-element-id="intake_review"]')).to_be_attached()
    shot(page, "22-modeler-checked-with-differences", request)

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#deploy")
    expect(page.locator(".alert-success")).to_contain_text("流程 item_handling 第 2 版")
    expect(page.locator("[data-testid=editing-state]")).to_contain_text("正在查看第 2 版（现行版本）")
    shot(page, "23-modeler-deployed", request)
    assert not page.errors, page.errors

    later = product.start(item_no=102, title="关于延长公交末班车时间的建议")
    office = open_page(browser, live_server, "office", f"/tasks/{intake_task(engine, later)}")
    expect(office.locator("[data-field=contact_note]")).to_contain_text("联系情况备注")
    shot(office, "24-new-item-has-the-new-field", request)
    office.goto(f"{live_server}/tasks/{intake_task(engine, earlier)}")
    expect(office.locator("[data-field=intake_decision]")).to_be_visible()
    expect(office.locator("[data-field=contact_note]")).to_have_count(0)
    shot(office, "25-earlier-item-keeps-its-form", request)


def test_a_decision_table_edit_changes_the_outcome_for_new_items(live_server, browser, product, owner, engine, request):
    import time_machine
    earlier = product.start(item_no=201, title="关于优化学校周边交通的建议")
    page = open_editor(browser, live_server, owner, "/modeler/decisions/face_to_face")
    expect(page.locator("[data-testid=decision-table]")).to_contain_text("命中策略")
    # 力争面商 now means the reply waits for a face-to-face record: the cell edited in the table itself.
    cell = page.locator('td[data-element-id="rule_feasible_blocks"] [contenteditable]')
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("True")
    page.locator("h1").click()  # leave the cell
    expect(page.locator('td[data-element-id="rule_feasible_blocks"]')).to_contain_text("True")

    page.select_option("select[name=face_to_face_feasible]", "true")
    page.select_option("select[name=is_key]", "false")
    page.click("#trial-run")
    expect(page.locator('#trial-draft tr[data-output="face_to_face_required"]')).to_contain_text("true")
    expect(page.locator('#trial-deployed tr[data-output="face_to_face_required"]')).to_contain_text("false")
    expect(page.locator('#trial-draft tr[data-output="face_to_face_required"]')).to_have_class("differs")
    shot(page, "30-decision-trial-run", request)

    page.click("#check")
    expect(page.locator('#diff li[data-element-id="rule_feasible_blocks"]')).to_contain_text("有条件开展面商的力争面商")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#deploy")
    expect(page.locator(".alert-success")).to_contain_text("决策表 face_to_face 第 2 版")
    shot(page, "31-decision-deployed", request)
    assert not page.errors, page.errors

    # Both items reach the decision now: the new one under the new table, the earlier one under its own.
    with time_machine.travel(T0, tick=True):
        for instance_id in (product.start(item_no=202, title="关于增加校车线路的建议"), earlier):
            product.instance_id = instance_id
            register(product, lead="jtj")
            accept(product, "jtj")
            dispatch(product, "jtj")
            consult(product, "jtj", face_to_face_feasible=True)
            handle(product, "jtj")
            data = product.data()
            assert data["face_to_face_label"] == "力争面商"
            if instance_id == earlier:
                assert data["face_to_face_required"] is False
                assert product.open_summary() == [("draft_reply", "jtj")]
            else:
                assert data["face_to_face_required"] is True
                assert product.open_summary() == [("record_face_to_face", "jtj")]  # no reply without a meeting


def test_a_refused_deploy_shows_the_problem_on_the_element(live_server, browser, product, owner, request):
    page = open_editor(browser, live_server, owner, "/modeler/processes/item_handling")
    page.click('g.djs-element[data-element-id="intake_review"]')
    page.locator(".bio-properties-panel-group-header", has_text="办理人设置").click()  # open the group
    page.fill("#bio-properties-panel-dueDate", "${deadline('no_such_rule')}")
    page.locator("#bio-properties-panel-dueDate").press("Tab")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#deploy")
    expect(page.locator("#status")).to_contain_text("部署被拒绝")
    problem = page.locator('#problems li[data-element-id="intake_review"]').first
    expect(problem).to_contain_text("期限规则“no_such_rule”不存在")
    expect(page.locator('g.djs-element.has-problem[data-element-id="intake_review"]')).to_be_attached()
    expect(page.locator('.problem-badge[data-problem-for="intake_review"]')).to_be_visible()
    shot(page, "40-deploy-refused-on-the-element", request)
    # Nothing was deployed: the page still offers version 1 only.
    page.reload()
    expect(page.locator("[data-testid=editing-state]")).to_contain_text("第 1 版（现行版本）")


def test_service_tasks_from_the_template_list(live_server, browser, product, owner, request):
    page = open_editor(browser, live_server, owner, "/modeler/processes/item_handling")
    page.click('g.djs-element[data-element-id="notify_not_registered"]')
    page.locator(".bio-properties-panel-group-header", has_text="模板").locator("button", has_text="选择").click()
    chooser = page.locator("[data-testid=template-chooser]")
    expect(chooser).to_contain_text("生成答复函")
    shot(page, "50-template-chooser", request)
    chooser.locator(".template-option", has_text="生成答复函").click()
    expect(chooser).to_have_count(0)
    # The task is now a reply-letter task: its parameters are the topic's, with their labels.
    expect(page.locator(".bio-properties-panel-group-header", has_text="模板")).to_contain_text("已应用")
    panel = page.locator("#properties")
    expect(panel).to_contain_text("承办单位名称（红头）")
    xml = page.evaluate("window.modeler.saveXML().then(r => r.xml)")
    assert 'camunda:topic="reply_letter"' in xml and 'camunda:type="external"' in xml
    assert '<camunda:inputParameter name="unit_name"' in xml
    shot(page, "51-template-applied", request)


def test_others_are_refused(live_server, browser, product, request):
    page = open_page(browser, live_server, "office", "/modeler/")
    expect(page.locator("h1")).to_have_text("没有权限")
    expect(page.locator(".error-message")).to_contain_text("只有流程管理员和系统管理员")
    expect(page.locator("nav.main-nav")).not_to_contain_text("流程建模")
    shot(page, "60-modeler-refused", request)
