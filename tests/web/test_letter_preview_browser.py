"""A real browser on the reply draft: the letter's preview beside the form follows what the handler
types (debounced posts of the unsaved form), stacks under the form on a phone, and downloads the Word
预览稿; the leader's review page shows the draft being reviewed."""
import io

from docx import Document

from tests.procedure.driver import draft
from tests.web.browser_support import require, shot

from .test_letter_preview import at_draft  # noqa: F401  (fixture)

sync_api = require()


def log_in(page, base, username):
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", "secret")
    page.click("button[type=submit]")


def test_the_preview_follows_the_draft_as_it_is_typed(at_draft, live_server, browser, request, tmp_path):  # noqa: F811
    expect = sync_api.expect
    task = at_draft.task("draft_reply", "jtj")
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20000)
    log_in(page, live_server, "jtj_handler")
    page.goto(f"{live_server}/tasks/{task.id}")
    preview = page.locator("[data-testid=letter-preview]")
    # Nothing typed yet: the letter with its gaps marked.
    expect(preview.locator("[data-part=title]")).to_have_text("关于市十七届人大五次会议第123号建议的答复")
    expect(preview.locator("mark.lp-missing")).to_have_text(["〔2026〕×号", "【答复正文】", "【公开属性】"])

    page.select_option("#f-result_class", "B")
    page.locator("#f-reply_body").press_sequentially("一、基本情况\n我局已调整3条公交线路。\n（一）站点建设。新建候车亭30座。")
    body = preview.locator("[data-part=body]")
    expect(body).to_contain_text("我局已调整3条公交线路。")
    expect(body.locator("span.lp-heiti")).to_have_text("一、基本情况")
    expect(body.locator("span.lp-kaiti")).to_have_text("（一）站点建设。")
    expect(preview.locator("[data-part=class_mark]")).to_have_text("B")
    page.select_option("#f-publication", "public")
    page.fill("#f-contact_person", "李四")
    page.fill("#f-contact_phone", "0359-2345678")
    expect(preview.locator("[data-part=publication]")).to_have_text("公开属性：主动公开")
    expect(preview.locator("[data-part=note]")).to_have_text("（联系人：李四，联系电话：0359-2345678）")
    expect(preview.locator("mark.lp-missing")).to_have_text(["〔2026〕×号"])
    # Side by side on a laptop.
    form_box = page.locator("form.task-form").bounding_box()
    panel_box = page.locator("[data-letter-preview]").bounding_box()
    assert panel_box["x"] >= form_box["x"] + form_box["width"]
    shot(page, "letter-preview-01-laptop", request)

    # The Word 预览稿 of what is typed, nothing saved.
    with page.expect_download() as download:
        page.click("[data-testid=letter-docx]")
    assert download.value.suggested_filename == "关于市十七届人大五次会议第123号建议的答复（预览稿）.docx"
    saved = tmp_path / "preview.docx"
    download.value.save_as(saved)
    texts = [p.text for p in Document(io.BytesIO(saved.read_bytes())).paragraphs]
    assert "我局已调整3条公交线路。" in texts and "公开属性：主动公开" in texts
    assert at_draft.task("draft_reply", "jtj").form_data.get("reply_body") is None

    # Clearing the body brings its placeholder back.
    page.fill("#f-reply_body", "")
    expect(preview.locator("mark.lp-missing")).to_have_text(["〔2026〕×号", "【答复正文】"])

    # On a phone the preview is under the form.
    page.set_viewport_size({"width": 390, "height": 844})
    page.fill("#f-reply_body", "一、基本情况\n手机上也能看到答复函。")
    expect(body).to_contain_text("手机上也能看到答复函。")
    form_box = page.locator("form.task-form").bounding_box()
    panel_box = page.locator("[data-letter-preview]").bounding_box()
    assert panel_box["y"] >= form_box["y"] + form_box["height"]
    shot(page, "letter-preview-02-phone", request)
    context.close()


def test_the_leaders_review_shows_the_draft_under_review(at_draft, live_server, browser, request):  # noqa: F811
    expect = sync_api.expect
    draft(at_draft, "jtj", reply_body="一、基本情况\n" + "已按建议调整公交线路。" * 6)
    task = at_draft.task("leader_review", "jtj")
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20000)
    log_in(page, live_server, "jtj_leader")
    page.goto(f"{live_server}/tasks/{task.id}")
    preview = page.locator("[data-testid=letter-preview]")
    expect(preview.locator("[data-part=body]")).to_contain_text("已按建议调整公交线路。")
    expect(preview.locator("[data-part=note]")).to_have_text("（联系人：李四，联系电话：0359-2345678）")
    # Choosing a decision changes nothing of the letter, and the preview stays.
    page.select_option("#f-leader_decision", "approve")
    expect(preview.locator("[data-part=class_mark]")).to_have_text("A")
    shot(page, "letter-preview-03-leader", request)
    context.close()
