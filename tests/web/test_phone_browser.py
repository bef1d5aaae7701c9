"""Issue 6: the pages on a phone (390x844, touch, Chromium's device emulation) and on a laptop (1366x768),
in Debian's headless Chromium, with the small city of tests/procedure/driver.py (password "secret").

Each main page is loaded as the role that uses it: the page must not scroll sideways (wide tables scroll
inside their .table-wrap or fold into cards), every visible button, field, tab and menu entry must be at
least 40 px high on the phone, and a screenshot is saved as test-artifacts/screenshots/phone-*.png. The
main navigation folds into a 菜单 button whose links work; a task form with unit pickers and one with a
file upload are filled and submitted on the phone; the item's diagram zooms with buttons.
"""
import pytest

from tests.conftest import sqlite_copy
from tests.procedure.driver import (accept, consult, dispatch, draft, evaluate, handle, office_and_reviewers,
                                    register, to_reply, unit_review)
from tests.web.browser_support import require, shot
from tests.web.reports_city import new_item

sync_api = require()
expect = sync_api.expect

PHONE = dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2)
LAPTOP = dict(viewport={"width": 1366, "height": 768})

# What does not fit on the page: elements sticking out on the right that no scrolling box holds.
OVERFLOW = """() => {
  const width = window.innerWidth, found = [];
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (!r.width || r.right <= width + 0.5) continue;
    let a = e.parentElement, held = false;
    for (; a && a !== document.body; a = a.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX)) { held = true; break; }
    }
    if (!held) found.push(name(e) + ' to ' + Math.round(r.right) + 'px');
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, found: found.slice(0, 10)};
}"""

# Tap targets under 40 px: buttons, links drawn as buttons, fields, tabs, the header's links and menu entries
# (the diagram viewer's own controls excepted).
SMALL_TARGETS = """() => {
  const small = [];
  const sel = 'main .btn, main button, main select, main summary, .tab, header a, header button, ' +
    'main input:not([type=hidden]):not([type=checkbox]):not([type=radio])';
  for (const e of document.querySelectorAll(sel)) {
    if (e.closest('.djs-container')) continue;
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height) continue;  // not shown
    if (r.height < 40) small.push((e.id ? '#' + e.id : e.tagName.toLowerCase()) + ' "' +
      (e.textContent || e.value || '').trim().slice(0, 12) + '" ' + Math.round(r.height) + 'px');
  }
  return small;
}"""


def log_in(browser, base, username, device):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **device)
    page = context.new_page()
    page.set_default_timeout(30000)
    page.goto(f"{base}/login")
    if username:
        page.fill("#username", username)
        page.fill("#password", "secret")
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("待办任务")
    return page


def fits(page, what):
    """The page does not scroll sideways (what is wider scrolls inside its own box)."""
    got = page.evaluate(OVERFLOW)
    assert got["scrollWidth"] <= got["innerWidth"], f"{what}: {got}"
    assert not got["found"], f"{what}: sticks out of the screen: {got['found']}"


def settle(page):
    """Wait for what scripts draw after loading: the diagram, the charts."""
    if page.locator("#diagram").count() and page.locator("#diagram").is_visible():
        expect(page.locator("#diagram .diagram-canvas[data-rendered=true]:not([hidden])")).to_have_count(1)
    if page.locator("canvas[data-chart], .chart-box canvas").count():
        page.wait_for_load_state("networkidle")


@pytest.fixture
def database_url(sqlite_template, tmp_path):
    """SQLite only: each test walks many pages (minutes); the procedure runs on PostgreSQL in tests/procedure."""
    return sqlite_copy(sqlite_template, tmp_path)


@pytest.fixture
def city(procedure, engine):
    """Items of the small city, registered as the office does, at the stages the pages show: 123 at 拟写书面答复 (市交通运输局), 124 answered,
    evaluated and published, 125 waiting for 分类甄选; the ids of the tasks and items the pages need."""
    p = procedure
    at_draft = new_item(p, 123, "关于改善城区公交线路的建议")
    register(p, lead="jtj")
    accept(p, "jtj")
    dispatch(p, "jtj")
    consult(p, "jtj")
    handle(p, "jtj")
    draft_task = p.task("draft_reply", "jtj").id
    answered = new_item(p, 124, "关于加强中小学课后服务和校外托管机构管理的建议", proposer="deputy")
    register(p, lead="jtj")
    accept(p, "jtj")
    to_reply(p, "jtj")
    evaluate(p)
    published = p.task("publish_reply", "jtj").id
    p.do("publish_reply", "jtj_liaison", unit="jtj", contact_removed="confirmed")
    waiting = new_item(p, 125, "关于老旧小区加装电梯的建议")
    return dict(draft=at_draft, answered=answered, waiting=waiting, draft_task=draft_task,
                intake_task=p.task("intake_review").id, published=published)


def pages_of(city):
    """(role, screenshot name, path) of every main page."""
    pages = [
        (None, "login", "/login"),
        (None, "public", "/public"),
        ("office", "inbox", "/"),
        ("office", "inbox-groups", "/?tab=groups"),
        ("office", "items", "/items"),
        ("office", "items-search", "/items?q=建议&item_type=suggestion"),
        ("office", "item", f"/instances/{city['draft']}"),
        ("office", "item-answered", f"/instances/{city['answered']}"),
        ("office", "task-intake", f"/tasks/{city['intake_task']}"),
        ("office", "board", "/board"),
        ("office", "statistics", "/statistics"),
        ("office", "notifications", "/notifications"),
        ("office", "item-new", "/items/new"),
        ("jtj_handler", "task-draft", f"/tasks/{city['draft_task']}"),
        ("jtj_handler", "item-unit", f"/instances/{city['draft']}"),
        ("deputy", "inbox-deputy", "/"),
        ("deputy", "item-deputy", f"/instances/{city['answered']}"),
        ("deputy", "notifications-deputy", "/notifications"),
        ("admin", "admin-deadlines", "/admin/deadlines"),
        ("admin", "admin-calendar", "/admin/calendar"),
        ("admin", "admin-templates", "/admin/templates"),
        ("admin", "admin-outbox", "/admin/outbox"),
        ("admin", "admin-incidents", "/admin/incidents"),
        ("admin", "modeler", "/modeler/"),
        (None, "public-reply", f"/public/{city['published']}"),
    ]
    return pages


def test_every_main_page_fits_a_phone_and_a_laptop(city, live_server, browser, request):
    by_role = {}
    for role, name, path in pages_of(city):
        by_role.setdefault(role, []).append((name, path))
    for role, pages in by_role.items():
        for device_name, device in (("phone", PHONE), ("laptop", LAPTOP)):
            page = log_in(browser, live_server, role, device)
            for name, path in pages:
                response = page.goto(live_server + path)
                assert response.status == 200, f"{role} {path}: {response.status}"
                assert page.url.endswith(path.split("?")[0]) or "?" in path, f"{role} {path} went to {page.url}"
                settle(page)
                fits(page, f"{device_name} {role} {path}")
                if device_name == "phone":
                    assert page.evaluate(SMALL_TARGETS) == [], f"{role} {path}: tap targets under 40 px"
                    if role:  # the menu is folded, the 菜单 button shown
                        expect(page.locator("#main-nav")).to_be_hidden()
                        expect(page.get_by_test_id("nav-toggle")).to_be_visible()
                    shot(page, f"phone-{name}", request)
                elif role:
                    expect(page.locator("#main-nav")).to_be_visible()
                    expect(page.get_by_test_id("nav-toggle")).to_be_hidden()
            page.context.close()


def test_the_menu_opens_on_a_phone_and_its_links_work(city, live_server, browser, request):
    page = log_in(browser, live_server, "office", PHONE)
    toggle = page.get_by_test_id("nav-toggle")
    nav = page.locator("#main-nav")
    expect(nav).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.tap()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    names = [n.strip() for n in nav.get_by_role("link").all_inner_texts()]
    assert names == ["待办", "事项", "新建事项", "流程实例", "台账", "督办看板", "统计"]
    for link in nav.get_by_role("link").all():
        assert link.bounding_box()["height"] >= 40
        assert link.bounding_box()["width"] >= 300  # one entry a line, across the screen
    fits(page, "open menu")
    shot(page, "phone-menu-open", request)
    # Escape folds it again; each link leads to its page, where the menu starts folded.
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    for name, heading in (("督办看板", "督办看板"), ("事项", "事项"), ("统计", "办理情况统计"), ("待办", "待办任务")):
        toggle.tap()
        nav.get_by_role("link", name=name, exact=True).tap()
        expect(page.locator("h1")).to_have_text(heading)
        expect(nav).to_be_hidden()
        expect(nav.locator("a.active")).to_have_text(name)  # folded, with the page marked for when it opens
    # The notices and logging out stay in the header, outside the menu.
    page.get_by_role("link", name="通知").tap()
    expect(page.locator("h1")).to_have_text("通知")
    page.get_by_role("button", name="退出").tap()
    expect(page.locator("#username")).to_be_visible()
    page.context.close()


def test_without_scripts_the_links_wrap_on_a_phone(procedure, live_server, browser):
    context = browser.new_context(locale="zh-CN", java_script_enabled=False, **PHONE)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#username", "admin")
    page.fill("#password", "secret")
    page.click("button[type=submit]")
    nav = page.locator("#main-nav")
    expect(nav).to_be_visible()
    expect(page.get_by_test_id("nav-toggle")).to_be_hidden()
    fits(page, "admin's navigation without scripts")
    for link in nav.get_by_role("link").all():
        box = link.bounding_box()
        assert box["height"] >= 40 and box["x"] + box["width"] <= 390
    context.close()


def test_task_forms_are_filled_and_submitted_on_a_phone(procedure, live_server, browser, request):
    p = procedure
    new_item(p, 123, "关于改善城区公交线路的建议")
    p.do("intake_review", "office", intake_decision="register", category="交通运输")
    page = log_in(browser, live_server, "office", PHONE)
    # From 待认领: claim, then 办理 from 我的任务.
    page.locator(".tabs a", has_text="待认领").tap()
    row = page.locator("tbody tr", has_text="关于改善城区公交线路的建议")
    row.get_by_role("button", name="认领").tap()
    expect(page.locator(".alert-success")).to_contain_text("已认领")
    page.locator(".tabs a", has_text="我的任务").tap()
    page.locator("tbody tr", has_text="关于改善城区公交线路的建议").get_by_role("link", name="办理", exact=True).tap()
    expect(page.locator("h1")).to_have_text("交办：确定承办单位")
    fits(page, "交办 form")
    page.select_option("#f-handling_mode", "lead_co")
    page.select_option("#f-lead_unit", "jtj")
    picker = page.locator("#f-co_units")
    box = picker.bounding_box()
    assert box["width"] >= 390 - 2 * 12 - 2 * 14 - 4, f"the unit picker is not full width: {box}"
    # 市住房和城乡建设局 comes suggested (decision table unit_suggestion); the office adds 市教育局 by a tap.
    expect(picker.locator("input[value=zjj]")).to_be_checked()
    option = picker.locator("label.unit-option", has_text="市教育局")
    assert option.bounding_box()["height"] >= 40
    option.tap()
    expect(picker.locator("input[value=jyj]")).to_be_checked()
    shot(page, "phone-task-assign-filled", request)
    page.locator("form.task-form button[type=submit]").tap()
    expect(page.locator(".alert-success")).to_contain_text("已提交")
    fits(page, "the item after 交办")
    p.work()  # what the worker runs next (the notices to the units)
    assert sorted(p.open_summary()) == [("check_remit", "jtj"), ("check_remit", "jyj"), ("check_remit", "zjj")]
    page.context.close()

    # 签章送达答复函 with its file upload, by the unit's liaison (another item, handled by 市交通运输局 alone).
    new_item(p, 126, "关于增设公交站点的建议")
    register(p, lead="jtj")
    accept(p, "jtj")
    dispatch(p, "jtj")
    consult(p, "jtj")
    handle(p, "jtj")
    draft(p, "jtj")
    unit_review(p, "jtj")
    office_and_reviewers(p)
    task = p.task("deliver_reply", "jtj")
    page = log_in(browser, live_server, "jtj_liaison", PHONE)
    page.goto(f"{live_server}/tasks/{task.id}")
    if page.get_by_role("button", name="认领", exact=True).count():
        page.get_by_role("button", name="认领", exact=True).tap()
        expect(page.locator(".alert-success")).to_contain_text("已认领")
    fits(page, "签章送达 form")
    page.set_input_files("#f-signed_scan", {"name": "答复函（签章）.pdf", "mimeType": "application/pdf",
                                            "buffer": b"%PDF-1.4 signed scan"})
    page.fill("#f-delivered_on", procedure.engine.clock.today().isoformat())
    page.select_option("#f-delivery_method", "platform")
    shot(page, "phone-task-deliver-filled", request)
    page.locator("form.task-form button[type=submit]").tap()
    expect(page.locator(".alert-success")).to_contain_text("已提交")
    assert [f.filename for f in p.files()].count("答复函（签章）.pdf") == 1
    page.context.close()


def test_the_items_diagram_zooms_on_a_phone(city, live_server, browser, request):
    page = log_in(browser, live_server, "office", PHONE)
    page.goto(f"{live_server}/instances/{city['draft']}")
    diagram = page.get_by_test_id("diagram")
    if not diagram.count():
        pytest.skip("the diagram viewer (node_modules) is not installed")
    canvas = diagram.locator(".diagram-canvas:not([hidden])")
    expect(canvas).to_have_attribute("data-rendered", "true")
    viewport = canvas.locator("svg g.viewport").first

    def scale():
        return page.evaluate("g => g.transform.baseVal.consolidate().matrix.a", viewport.element_handle())

    fitted = scale()
    for control in diagram.locator(".diagram-zoom button").all():
        assert control.bounding_box()["height"] >= 40
    diagram.get_by_role("button", name="放大").tap()
    diagram.get_by_role("button", name="放大").tap()
    assert scale() == pytest.approx(fitted * 1.4 * 1.4, rel=0.02)
    diagram.get_by_role("button", name="缩小").tap()
    assert scale() == pytest.approx(fitted * 1.4, rel=0.02)
    fits(page, "zoomed diagram")
    shot(page, "phone-item-diagram-zoomed", request)
    diagram.get_by_role("button", name="适应窗口").tap()
    assert scale() == pytest.approx(fitted, rel=0.02)
    page.context.close()
