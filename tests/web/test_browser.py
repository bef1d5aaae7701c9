"""A real browser (Debian's headless Chromium) through the main path: log in, start, fill the form, see the next step."""
from tests.web.browser_support import SCREENSHOTS, require, shot

sync_api = require()


def test_clerk_starts_fills_and_sees_next_step(live_server, browser, request):
    expect = sync_api.expect
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)

    # Log in (a wrong password first: the message is Chinese).
    page.goto(f"{live_server}/login")
    page.fill("#username", "clerk1")
    page.fill("#password", "wrong")
    page.click("button[type=submit]")
    expect(page.locator(".alert-error")).to_contain_text("用户名或密码错误")
    page.fill("#password", "secret")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("待办任务")
    expect(page.locator(".user-name")).to_have_text("张经办")
    shot(page, "01-inbox-empty", request)

    # Start an approval instance from 流程实例 (items, 事项, are registered under 新建事项 instead).
    page.click("nav.main-nav >> text=流程实例")
    page.select_option("#process_key", "approval")
    page.fill("#business_key", "JY-2026-0088")
    page.fill("#title", "关于完善社区养老服务设施的建议")
    shot(page, "02-start-form", request)
    page.click("#start button[type=submit]")
    expect(page.locator("h1")).to_have_text("关于完善社区养老服务设施的建议")
    expect(page.locator(".alert-success")).to_contain_text("已发起")
    expect(page.locator(".task-list")).to_contain_text("填写申请")

    # Open the task from the inbox (待认领 tab).
    page.click("nav.main-nav >> text=待办")
    page.click(".tabs >> text=待认领")
    row = page.locator("tr", has_text="JY-2026-0088")
    expect(row).to_contain_text("填写申请")
    expect(row.locator(".due")).to_have_class("due due-soon")  # due in three days: amber
    shot(page, "03-inbox-to-claim", request)
    row.locator("a", has_text="填写申请").click()
    expect(page.locator("h1")).to_have_text("填写申请")

    # A first attempt with mistakes: messages by the fields, nothing typed is lost.
    page.fill("#f-subject", "")
    page.fill("#f-amount", "200000")
    page.fill("#f-details", "说明第一行\n说明第二行")
    page.click("form.task-form button[type=submit]")
    expect(page.locator("[data-field=subject] .field-error")).to_have_text("此项为必填项")
    expect(page.locator("[data-field=amount] .field-error")).to_contain_text("不能大于 100000")
    expect(page.locator("#f-amount")).to_have_value("200000")
    expect(page.locator("#f-details")).to_have_value("说明第一行\n说明第二行")
    shot(page, "04-task-form-errors", request)

    # Now correctly.
    page.fill("#f-subject", "养老服务设施建设")
    page.fill("#f-amount", "5000")
    page.check("#f-urgent")
    page.fill("#f-needed_by", "2026-12-31")
    page.select_option("#f-kind", "a")
    shot(page, "05-task-form-filled", request)
    page.click("form.task-form button[type=submit]")

    # The instance page: flash, the next task 审核 listed, the submission in the history.
    expect(page.locator(".alert-success")).to_have_text("已提交")
    expect(page.locator("h1")).to_have_text("关于完善社区养老服务设施的建议")
    expect(page.locator(".task-list")).to_contain_text("审核")
    expect(page.locator("table.history")).to_contain_text("养老服务设施建设")
    expect(page.locator("table.history")).to_contain_text("甲类")
    assert "/instances/" in page.url
    shot(page, "06-instance-next-task", request)
    context.close()


def test_phone_layout_inbox(live_server, browser, approval, request):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server}/login?next=/%3Ftab%3Dgroups")
    page.fill("#username", "clerk1")
    page.fill("#password", "secret")
    page.click("button[type=submit]")
    cell = page.locator("td[data-label=事项]").first
    sync_api.expect(cell).to_contain_text("购置办公设备")
    # Rows are stacked as cards: no horizontal scrolling on a phone.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px screen"
    shot(page, "07-phone-inbox", request)
    context.close()


def test_every_widget_in_the_browser(live_server, browser, deployed, people, units, request):
    from .conftest import open_task_id
    instance_id = deployed.runtime.start("all_fields", "AF-B1", title="全部字段演示", actor=people["clerk1"])
    task_id = open_task_id(deployed, instance_id, "fill")
    expect = sync_api.expect
    page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server}/login?next=/tasks/{task_id}")
    page.fill("#username", "clerk1")
    page.fill("#password", "secret")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("填写全部字段")
    expect(page.locator("[data-field=ref_no] .readonly-value")).to_have_text("REF-1")
    expect(page.locator("#f-subject")).to_have_attribute("placeholder", "一句话说明")
    expect(page.locator("#f-notes")).to_have_attribute("rows", "8")
    page.check("input[name=co_units][value=U2]")
    page.check("input[name=co_units][value=U3]")
    expect(page.locator("[data-field=co_units] .unit-count")).to_have_text("2")
    page.select_option("#f-lead_unit", "U1")
    page.set_input_files("#f-attachment", files=[{"name": "材料.txt", "mimeType": "text/plain",
                                                   "buffer": "办理材料".encode()}])
    page.fill("#f-subject", "全部字段")
    shot(page, "08-every-widget", request)
    page.click("form.task-form button[type=submit]")
    expect(page.locator(".alert-success")).to_have_text("已提交")
    expect(page.locator("table.history")).to_contain_text("材料.txt")
    expect(page.locator("table.history")).to_contain_text("市财政局、市教育局")
    expect(page.locator(".task-list")).to_contain_text("查看")


def test_admin_changes_a_rule_and_recomputes_the_open_due_dates(live_server, browser, deployed, people, request):
    """The 'handling' rule shortened from 3 to 2 months with the box ticked: the open task of an item
    (tests/diagrams/deadlines.bpmn: due `${deadline('handling')}`) shows its new due date."""
    from tests.conftest import diagram

    from .conftest import web_diagram
    deployed.repository.deploy([diagram("approval.bpmn"), web_diagram("all_fields.bpmn"), diagram("deadlines.bpmn")])
    instance_id = deployed.runtime.start("deadlines", "JY-2026-0123", title="关于优化城区公交线路的建议",
                                         actor=people["clerk1"], data={"received": deployed.clock.today().isoformat()})
    before = f"到期 {deployed.clock.deadline('handling').isoformat()} 23:59"
    expect = sync_api.expect
    page = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                               viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server}/login?next=/instances/{instance_id}")
    page.fill("#username", "admin")
    page.fill("#password", "secret")
    page.click("button[type=submit]")
    expect(page.locator(".task-list")).to_contain_text("办理答复")
    expect(page.locator(".task-list")).to_contain_text(before)

    page.goto(f"{live_server}/admin/deadlines#rule-handling")
    card = page.locator("#rule-handling")
    card.locator("input[name=value]").fill("2")
    card.locator("select[name=unit]").select_option("months")
    card.locator("input[name=reason]").fill("依据市政府办公室通知，办理期限缩短为2个月")
    checkbox = card.locator("input[name=refresh]")
    expect(checkbox).not_to_be_checked()
    checkbox.check()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    card.screenshot(path=str(SCREENSHOTS / f"09-rule-change-with-recompute-{request.node.callspec.id}.png"))
    card.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("已保存，新的期限立即生效")
    expect(page.locator(".alert-info")).to_contain_text("已重新计算 1 件办理中事项的期限和定时器")
    expect(page.locator("#rule-handling")).to_contain_text("现行：2 个月")

    after = f"到期 {deployed.clock.deadline('handling').isoformat()} 23:59"
    assert after != before
    page.goto(f"{live_server}/instances/{instance_id}")
    expect(page.locator(".task-list")).to_contain_text(after)
    expect(page.locator(".task-list")).not_to_contain_text(before)
    shot(page, "10-item-due-date-recomputed", request)
    page.context.close()
