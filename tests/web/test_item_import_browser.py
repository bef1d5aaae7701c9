"""A real browser through the batch import: download the template, upload a file with mistakes and see
them listed, upload a good one and follow the progress bar to the imported items; the API's page."""
import threading

from webapp.items import batch, intake

from tests.web.browser_support import require, shot

from .test_item_import import app, city, row, workbook  # noqa: F401  (fixtures)

sync_api = require()


def test_the_office_imports_a_batch_and_watches_its_progress(live_server, browser, request, tmp_path, monkeypatch):
    expect = sync_api.expect
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server}/login")
    page.fill("#username", "office")
    page.fill("#password", "secret")
    page.click("button[type=submit]")
    page.goto(f"{live_server}/items")
    page.click("text=批量导入")
    expect(page.locator("h1")).to_have_text("批量导入")
    with page.expect_download() as download:
        page.click("[data-testid=template-link]")
    assert download.value.suggested_filename == "建议提案批量导入模板.xlsx"

    bad = tmp_path / "有误.xlsx"
    bad.write_bytes(workbook(row(), row(编号=1), row(编号=2, 案由="")))
    page.set_input_files("#i-file", str(bad))
    page.click("text=检查并导入")
    expect(page.locator("[data-testid=import-alert]")).to_contain_text("没有导入任何事项")
    expect(page.locator("[data-testid=import-problems]")).to_contain_text("与第 2 行重复")
    expect(page.locator("[data-testid=import-problems]")).to_contain_text("请填写案由。")
    shot(page, "import-01-problems", request)

    # The third row waits until the page has shown the import running.
    third_row, go_on = threading.Event(), threading.Event()
    real = intake.register_in

    def slow(engine, session, values, *args, **kwargs):
        if values["item_no"] == "3":
            third_row.set()
            go_on.wait(30)
        return real(engine, session, values, *args, **kwargs)

    monkeypatch.setattr(batch, "register_in", slow)
    good = tmp_path / "第一批.xlsx"
    good.write_bytes(workbook(*[row(编号=n, 案由=f"关于第 {n} 件事的建议") for n in range(1, 6)]))
    page.set_input_files("#i-file", str(good))
    page.click("text=检查并导入")
    try:
        expect(page.locator("[data-role=count]")).to_contain_text("正在导入：2 / 5（40%）")
        assert page.locator("progress").get_attribute("value") == "2"
        shot(page, "import-02-progress", request)
    finally:
        go_on.set()
    expect(page.locator("[data-role=label]")).to_have_text("已导入", timeout=30000)  # the page reloads by itself
    expect(page.locator("[data-role=count]")).to_contain_text("已导入全部 5 件")
    expect(page.locator("table")).to_contain_text("人大建议 十七届五次 第0005号")
    shot(page, "import-03-done", request)
    page.click("text=人大建议 十七届五次 第0001号")
    expect(page.locator("body")).to_contain_text("分类甄选／快速审查")


def test_the_api_page_reads_well(live_server, browser, request):
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/api/v1/docs")
    sync_api.expect(page.locator("h1")).to_contain_text("平台接入接口")
    sync_api.expect(page.locator("#createItem")).to_contain_text("提交一件建议或提案")
    shot(page, "api-docs", request)
