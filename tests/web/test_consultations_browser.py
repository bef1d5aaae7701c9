"""A real browser on the 协商记录 card: the deputy confirms one consultation record and disputes the
other with a comment; the handling unit and the office see the answers, the dispute in red."""
from tests.web.browser_support import require, shot

from .test_consultations import consulted  # noqa: F401  (fixture)

sync_api = require()


def log_in(context, base, username):
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", "secret")
    page.click("button[type=submit]")
    return page


def test_the_deputy_confirms_and_disputes_and_the_office_sees_it(consulted, live_server, browser, request):  # noqa: F811
    expect = sync_api.expect
    instance_id, (before, during) = consulted
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 900})
    page = log_in(context, live_server, "deputy")
    page.goto(f"{live_server}/instances/{instance_id}")
    card = page.locator("[data-testid=consultations]")
    expect(card.locator("h2")).to_have_text("协商记录")
    first, second = card.locator(f"#consultation-{before}"), card.locator(f"#consultation-{during}")
    expect(first.locator("[data-testid=consultation-status]")).to_have_text("待确认")
    expect(first).to_contain_text("了解代表的意图和诉求")
    shot(page, "consultations-01-pending", request)

    first.get_by_role("button", name="确认").click()
    expect(page.locator(".alert-success")).to_contain_text("已确认协商记录")
    expect(first.locator("[data-testid=consultation-status]")).to_have_text("已确认")
    expect(first.locator("form")).to_have_count(0)

    # 有异议 without a word: the browser asks for the comment, nothing is sent.
    second.get_by_role("button", name="有异议").click()
    expect(second.locator("[data-testid=consultation-status]")).to_have_text("待确认")
    second.locator("textarea[name=comment]").fill("办中只电话告知了进展，没有听取我的意见")
    second.get_by_role("button", name="有异议").click()
    expect(page.locator(".alert-success")).to_contain_text("已提交对协商记录的异议")
    expect(second.locator("[data-testid=consultation-status]")).to_have_text("有异议")
    context.close()

    for username in ("jtj_handler", "office"):
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                      viewport={"width": 1366, "height": 900})
        page = log_in(context, live_server, username)
        page.goto(f"{live_server}/instances/{instance_id}#consultations")
        card = page.locator("[data-testid=consultations]")
        expect(card.locator(f"#consultation-{before} [data-testid=consultation-status]")).to_have_text("已确认")
        disputed = card.locator(f"#consultation-{during}")
        expect(disputed.locator("[data-testid=consultation-status]")).to_have_text("有异议")
        expect(disputed.locator("[data-testid=consultation-comment]")).to_have_text("办中只电话告知了进展，没有听取我的意见")
        expect(card.locator("[data-testid=consultations-disputed]")).to_have_text("有异议 1 条。")
        expect(card.locator("form")).to_have_count(0)
        # red: the status tag and the row
        assert disputed.locator("[data-testid=consultation-status]").evaluate("e => getComputedStyle(e).color") \
            == "rgb(179, 38, 30)"
        assert disputed.locator("td").first.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 236, 234)"
        shot(page, f"consultations-02-{username}", request)
        context.close()
