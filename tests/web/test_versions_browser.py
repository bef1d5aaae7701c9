"""A process owner moves running items to a newer version in a real browser (Debian's headless
Chromium): the versions page, the dry run with its verdicts, and the move of the item chosen."""
import pytest

from tests.support.helpers import instance
from tests.web.browser_support import require, shot
from tests.web.test_versions import items, owner  # noqa: F401 - fixtures

sync_api = require()
expect = sync_api.expect


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def test_dry_run_then_move_the_item_that_can(live_server, page, items, owner, engine, request):  # noqa: F811
    page.goto(f"{live_server}/login")
    page.fill("#username", owner)
    page.fill("#password", "secret")
    page.click("button[type=submit]")

    page.goto(f"{live_server}/modeler/")
    page.locator("tr[data-key=mig_main]").get_by_role("link", name="版本与迁移").click()
    expect(page.locator("h1")).to_have_text("迁移测试 · 版本")
    expect(page.locator("[data-testid=versions] tr[data-version='1'] .count-running")).to_have_text("1")
    expect(page.locator("[data-testid=versions] tr[data-version='1'] .count-suspended")).to_have_text("1")
    shot(page, "versions-01-page", request)

    page.locator("[data-testid=usage] tr[data-deployment='2']").get_by_role("link", name="迁移预检").click()
    expect(page.locator("h1")).to_have_text("迁移预检：第 1 版（部署 2） → 第 2 版（部署 3）")
    expect(page.locator("[data-testid=migration-summary]")).to_contain_text("1 件可迁移，1 件不能迁移")
    movable = page.locator(f"tr[data-instance='{items['M-1']}']")
    refused = page.locator(f"tr[data-instance='{items['M-2']}']")
    expect(movable.locator(".tag")).to_have_text("可迁移")
    expect(refused.locator(".tag")).to_have_text("不能迁移")
    expect(refused.locator(".reasons")).to_contain_text("当前环节“第二步”在新版本中已删除")
    expect(refused.locator("input[type=checkbox]")).to_have_count(0)
    shot(page, "versions-02-dry-run", request)

    movable.locator("input[type=checkbox]").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("migrate-selected").click()
    expect(page.locator(".alert-success")).to_contain_text("已将 1 件事项从第 1 版（部署 2）迁移到第 2 版（部署 3）")
    shot(page, "versions-03-moved", request)
    assert (instance(engine, items["M-1"]).deployment_id, instance(engine, items["M-2"]).deployment_id) == (3, 2)
