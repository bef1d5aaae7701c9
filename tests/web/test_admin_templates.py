"""Notice templates and the outbox in the browser: administrators list and edit templates with a live
preview; a template that does not compile is refused in Chinese and nothing is saved; the outbox
lists and shows the mails kept when no SMTP server is configured. Nobody else gets in."""
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.support.bpmn import linear
from tests.web.browser_support import require, serve
from webapp.messaging import templates
from webapp.messaging.mail import Mailer, build_message
from webapp.models import MessageTemplate, Notification, User

from .pages import read_form, text_of

SEEDED = {"assigned", "reminder", "due_today", "overdue", "redo", "reply_delivered", "not_registered"}


def stored(engine, name) -> MessageTemplate | None:
    return templates.get_template(engine.db, name)


def form_for(engine, name, **changes) -> dict:
    row = stored(engine, name)
    return {"label": row.label, "subject": row.subject, "body": row.body, **changes}


# --- who may ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, path, message", [
    ("get", "/admin/templates", "只有系统管理员可以维护通知模板"),
    ("get", "/admin/templates/reminder", "只有系统管理员可以维护通知模板"),
    ("get", "/admin/templates/new", "只有系统管理员可以维护通知模板"),
    ("post", "/admin/templates/reminder", "只有系统管理员可以维护通知模板"),
    ("post", "/admin/templates/new", "只有系统管理员可以维护通知模板"),
    ("post", "/admin/templates/preview", "只有系统管理员可以维护通知模板"),
    ("get", "/admin/outbox", "只有系统管理员可以查看发件箱"),
    ("get", "/admin/outbox/20260101T000000000000Z-abcd.eml", "只有系统管理员可以查看发件箱"),
    ("get", "/admin/outbox/20260101T000000000000Z-abcd.eml/raw", "只有系统管理员可以查看发件箱"),
])
def test_only_administrators(login, deployed, method, path, message):
    before = stored(deployed, "reminder")
    for username in ("clerk1", "reviewer1"):
        response = getattr(login(username), method)(path, data={"label": "x", "subject": "改了", "body": ""})
        assert response.status_code == 403
        assert message in text_of(response)
    after = stored(deployed, "reminder")
    assert (after.subject, after.updated_by) == (before.subject, before.updated_by)


def test_anonymous_visitors_are_sent_to_log_in(app):
    response = app.test_client().get("/admin/templates")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_nav_shows_templates_to_admins_only(login):
    assert "/admin/templates" in login("admin").get("/").get_data(as_text=True)
    assert "/admin/templates" not in login("clerk1").get("/").get_data(as_text=True)


# --- listing and editing ----------------------------------------------------------------------------------

def test_the_seeded_templates_are_listed(login, deployed):
    assert {t.name for t in templates.all_templates(deployed.db)} == SEEDED
    page = text_of(login("admin").get("/admin/templates"))
    for label in ("交办通知（承办单位）", "到期提醒", "到期当日提醒", "超期督办", "重新办理通知", "答复送达（代表委员）", "不予立案告知"):
        assert label in page
    assert "办理期限将至（{{ due | cn_date }}）：{{ title }}" in page and "初始设置" in page


def test_the_edit_page_shows_the_template_and_its_preview(login, deployed):
    response = login("admin").get("/admin/templates/reminder")
    assert response.status_code == 200
    values, _ = read_form(response)
    row = stored(deployed, "reminder")
    assert (values["label"], values["subject"], values["body"]) == (row.label, row.subject, row.body)
    page = text_of(response)
    assert "办理期限将至（2026年9月30日）：关于加强城区停车管理的建议" in page  # with the sample variables
    assert "张经办： 市交通运输局承办的建议《关于加强城区停车管理的建议》（编号 JY-2026-0123）将于 2026年9月30日 到期" in page
    assert "可用变量" in page and "cn_date" in page


def test_saving_a_valid_template(login, deployed):
    client = login("admin")
    response = client.post("/admin/templates/reminder", data=form_for(
        deployed, "reminder", subject="【提醒】{{ title }}", body="{{ recipient }}：\r\n请于 {{ due | cn_date }} 前答复。"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/templates/reminder")
    row = stored(deployed, "reminder")
    assert (row.subject, row.body, row.updated_by) == ("【提醒】{{ title }}", "{{ recipient }}：\n请于 {{ due | cn_date }} 前答复。",
                                                       "系统管理员")
    assert row.updated_at is not None
    page = text_of(client.get("/admin/templates/reminder"))
    assert "已保存通知模板“到期提醒”" in page and "最近修改：系统管理员" in page
    assert "【提醒】关于加强城区停车管理的建议" in page
    assert "系统管理员" in text_of(client.get("/admin/templates"))


@pytest.mark.parametrize("changes, message", [
    ({"subject": "办理期限将至：{{ title "}, "标题模板第 1 行：{{ 没有配对的 }}"),
    ({"body": "{% if comment %}\n审核意见：{{ comment }}\n"}, "正文模板第 2 行：模板意外结束，缺少 {% endif %}"),
    ({"body": "{{ due | datum }}"}, "正文模板第 1 行：没有名为“datum”的过滤器"),
    ({"subject": ""}, "标题模板不能为空"),
    ({"label": " "}, "请填写模板的中文名称"),
    ({"body": "{{ title.__class__.__mro__ }}"}, "正文模板不能访问以下划线开头的属性（__class__、__mro__）"),
    ({"body": "{{ '-' * 100000000 }}"}, "正文模板使用了不允许的写法（重复次数过多）"),
])
def test_a_template_that_does_not_compile_is_refused_and_nothing_saved(login, deployed, changes, message):
    before = stored(deployed, "reminder")
    response = login("admin").post("/admin/templates/reminder", data=form_for(deployed, "reminder", **changes))
    assert response.status_code == 400
    page = text_of(response)
    assert "未保存" in page and message in page
    values, _ = read_form(response)  # what was typed is shown again
    for key, value in changes.items():
        assert values[key] == value
    after = stored(deployed, "reminder")
    assert (after.label, after.subject, after.body, after.updated_by, after.updated_at) == \
        (before.label, before.subject, before.body, before.updated_by, before.updated_at)


def test_the_preview_button_saves_nothing(login, deployed):
    before = stored(deployed, "redo")
    response = login("admin").post("/admin/templates/redo", data=form_for(
        deployed, "redo", subject="重新办理：{{ title }}（{{ unit_name }}）", action="preview"))
    assert response.status_code == 200
    assert "重新办理：关于加强城区停车管理的建议（市交通运输局）" in text_of(response)
    assert stored(deployed, "redo").subject == before.subject


def test_unknown_template(login):
    response = login("admin").get("/admin/templates/nonexistent")
    assert response.status_code == 404 and "通知模板“nonexistent”不存在" in text_of(response)
    assert login("admin").post("/admin/templates/nonexistent", data={"label": "x", "subject": "y"}).status_code == 404


def test_adding_a_template(login, deployed):
    client = login("admin")
    assert "新增通知模板" in text_of(client.get("/admin/templates/new"))
    data = {"name": "extension_result", "label": "延期审批结果", "subject": "延期申请{{ result }}：{{ title }}",
            "body": "{{ recipient }}：\n您单位的延期申请{{ result }}。"}
    response = client.post("/admin/templates/new", data=data)
    assert response.status_code == 302
    row = stored(deployed, "extension_result")
    assert (row.label, row.subject, row.updated_by) == ("延期审批结果", data["subject"], "系统管理员")
    assert "已添加通知模板“延期审批结果”（extension_result）" in text_of(client.get(response.headers["Location"]))

    again = client.post("/admin/templates/new", data=data)
    assert again.status_code == 400 and "模板代码“extension_result”已存在" in text_of(again)
    for bad in ("Extension", "1st", "new", "延期", ""):
        response = client.post("/admin/templates/new", data={**data, "name": bad})
        assert response.status_code == 400 and "模板代码应以小写字母开头" in text_of(response), bad
    assert len(templates.all_templates(deployed.db)) == len(SEEDED) + 1


# --- the live preview -------------------------------------------------------------------------------------

def test_live_preview_renders_the_typed_text(login):
    response = login("admin").post("/admin/templates/preview", data={
        "subject": "今日到期：{{ title }}", "body": "{{ recipient }}：\n{{ unit_name }}{% if comment %}，{{ comment }}{% endif %}"})
    assert response.status_code == 200
    result = response.get_json()
    assert result == {"ok": True, "subject": "今日到期：关于加强城区停车管理的建议", "problems": [], "unknown": [],
                      "body": "张经办：\n市交通运输局，答复未逐条回应代表提出的三项具体建议，请补充完善后重新报送。"}


def test_live_preview_with_own_sample_variables_and_unknown_names(login):
    result = login("admin").post("/admin/templates/preview", data={
        "subject": "{{ title }}（{{ seq }}）", "body": "{{ extension_days }} 天",
        "sample": '{"title": "关于农村饮水安全的建议"}'}).get_json()
    assert result["ok"] and result["subject"] == "关于农村饮水安全的建议（）" and result["body"] == "天"
    assert result["unknown"] == ["extension_days", "seq"]


@pytest.mark.parametrize("data, message", [
    ({"subject": "{{ title", "body": ""}, "标题模板第 1 行：{{ 没有配对的 }}"),
    ({"subject": "x", "body": "{% for a in b %}"}, "正文模板第 1 行：模板意外结束，缺少 {% endfor %}"),
    ({"subject": "x", "body": "", "sample": "{title: 1}"}, "示例变量不是有效的 JSON（第 1 行第 2 列）"),
    ({"subject": "x", "body": "", "sample": "[1, 2]"}, "示例变量应为 JSON 对象"),
])
def test_live_preview_reports_problems_in_chinese(login, data, message):
    result = login("admin").post("/admin/templates/preview", data=data).get_json()
    assert not result["ok"]
    assert any(message in p for p in result["problems"]), result["problems"]


# --- the outbox -------------------------------------------------------------------------------------------

def put_in_outbox(settings, subject="请办理：测试", to="clerk1@example.org", name="张经办", body="请于本周内办理。"):
    with Mailer(settings) as mailer:
        return mailer.send(build_message(settings.mail_sender, to, name, subject, body))


def test_the_outbox_lists_and_shows_mails(login, settings):
    client = login("admin")
    empty = text_of(client.get("/admin/outbox"))
    assert "发件箱中没有邮件" in empty and "未配置邮件服务器（环境变量 SMTP_HOST）" in empty
    first = put_in_outbox(settings, subject="第一封")
    second = put_in_outbox(settings, subject="第二封：答复审核未通过", to="clerk2@example.org", name="李经办",
                           body="审核意见：\n请补充。")
    response = client.get("/admin/outbox")
    page = text_of(response)
    assert page.index("第二封") < page.index("第一封")  # newest first
    assert "李经办 <clerk2@example.org>" in page
    html = response.get_data(as_text=True)
    assert f"/admin/outbox/{first}" in html and f"/admin/outbox/{second}" in html

    mail = client.get(f"/admin/outbox/{second}")
    assert mail.status_code == 200
    page = text_of(mail)
    assert "第二封：答复审核未通过" in page and "李经办 <clerk2@example.org>" in page
    assert "建议提案办理系统 <noreply@localhost>" in page
    assert "审核意见：\n请补充。" in mail.get_data(as_text=True)

    raw = client.get(f"/admin/outbox/{second}/raw")
    assert raw.status_code == 200 and raw.mimetype == "message/rfc822"
    assert raw.data == (settings.outbox_dir / second).read_bytes()


def test_outbox_files_outside_the_folder_cannot_be_read(login, settings):
    put_in_outbox(settings)
    (Path(settings.outbox_dir).parent / "secret.eml").write_text("Subject: TOP-SECRET\n\nTOP-SECRET")
    client = login("admin")
    for path in ("/admin/outbox/..%2Fsecret.eml", "/admin/outbox/../secret.eml", "/admin/outbox/secret.txt",
                 "/admin/outbox/..%2Fsecret.eml/raw", "/admin/outbox/20990101T000000000000Z-0000.eml"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "TOP-SECRET" not in response.get_data(as_text=True)


def test_a_notice_of_the_worker_shows_in_the_outbox(login, deployed, people, settings):
    with deployed.db.write() as s:
        s.execute(update(User).where(User.username == "clerk1").values(email="clerk1@example.org"))
    deployed.repository.deploy([linear(
        "notice",
        '<bpmn:serviceTask id="send" name="发通知" camunda:type="external" camunda:topic="notify">'
        '<bpmn:extensionElements><camunda:inputOutput>'
        '<camunda:inputParameter name="template">overdue</camunda:inputParameter>'
        '<camunda:inputParameter name="variables"><camunda:map>'
        '<camunda:entry key="title">${title}</camunda:entry><camunda:entry key="due">2026-09-30</camunda:entry>'
        '</camunda:map></camunda:inputParameter>'
        '<camunda:inputParameter name="users">clerk1</camunda:inputParameter>'
        '</camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>')])
    deployed.runtime.start("notice", "JY-2026-0042", data={"title": "关于治理噪音扰民的建议"})
    assert deployed.management.run_jobs() == 1
    with deployed.db.read() as s:
        assert s.scalar(select(Notification.subject)) == "已超期未答复：关于治理噪音扰民的建议"
    client = login("admin")
    page = text_of(client.get("/admin/outbox"))
    assert "已超期未答复：关于治理噪音扰民的建议" in page and "张经办 <clerk1@example.org>" in page


# --- in a real browser: the preview follows the typing -------------------------------------------------------

@pytest.fixture
def page(app, browser):
    sync_api = require(module_level=False)
    app.config["WTF_CSRF_ENABLED"] = True  # the live preview must pass the CSRF check as a browser does
    with serve(app) as url:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15000)
        page.base = url
        page.expect = sync_api.expect
        yield page
        context.close()


def test_live_preview_in_the_browser(page, deployed):
    expect = page.expect
    page.goto(f"{page.base}/login")
    page.fill("#username", "admin")
    page.fill("#password", "secret")
    page.click("button[type=submit]")
    page.click("nav.main-nav >> text=通知模板")
    page.click("a >> text=到期当日提醒")
    expect(page.locator(".preview-subject")).to_have_text("今日到期：关于加强城区停车管理的建议")

    page.fill("#subject", "【今日到期】{{ title }}（{{ unit_name }}）")
    expect(page.locator(".preview-subject")).to_have_text("【今日到期】关于加强城区停车管理的建议（市交通运输局）")
    page.fill("#body", "{% if due %}到期日：{{ due | cn_date }}")
    expect(page.locator(".preview-problems")).to_contain_text("正文模板第 1 行：模板意外结束")
    page.fill("#body", "到期日：{{ due | cn_date }}；{{ contact }}")
    expect(page.locator(".preview-problems")).to_be_hidden()
    expect(page.locator(".preview-body")).to_have_text("到期日：2026年9月30日；")
    expect(page.locator(".preview-unknown")).to_contain_text("contact")
    assert stored(deployed, "due_today").subject == "今日到期：{{ title }}"  # previewing saves nothing

    page.click("button >> text=保存")
    expect(page.locator(".alert-success")).to_contain_text("已保存通知模板“到期当日提醒”")
    assert stored(deployed, "due_today").subject == "【今日到期】{{ title }}（{{ unit_name }}）"
