"""The task page: generated widgets, validation messages with values kept, completion and conflicts."""
import io

from webapp.models import HumanTask, StoredFile, TextBlob

from .conftest import open_task_id
from .pages import read_form, submit_disabled, text_of

FILLED = {"subject": "采购打印机", "amount": "5000", "urgent": "on", "needed_by": "2026-12-15", "kind": "b",
          "details": "第一行\n第二行"}


def test_form_renders_every_field_type(login, deployed, people, units):
    instance_id = deployed.runtime.start("all_fields", "AF-1", actor=people["clerk1"])
    task_id = open_task_id(deployed, instance_id, "fill")
    response = login("clerk1").get(f"/tasks/{task_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    values, widgets = read_form(response)

    assert widgets["subject"]["type"] == "text" and "required" in widgets["subject"]
    assert widgets["subject"]["placeholder"] == "一句话说明"
    assert "将显示在台账中" in text_of(response)
    assert widgets["count"]["type"] == "number"
    assert widgets["urgent"]["type"] == "checkbox"
    assert widgets["due"]["type"] == "date"
    assert widgets["kind"]["tag"] == "select" and "甲类" in html and "乙类" in html
    assert widgets["notes"]["tag"] == "textarea" and widgets["notes"]["rows"] == "8"
    assert widgets["attachment"]["type"] == "file" and widgets["attachment"]["accept"] == ".pdf,.txt"
    assert widgets["lead_unit"]["tag"] == "select"
    assert "市财政局（U2）" in html and "市教育局（U3）" in html
    assert widgets["co_units"]["type"] == "checkbox"  # several units: a checkbox list
    assert html.count('name="co_units"') == 3
    # The read-only field is shown as text, not as an input, with its default value.
    assert "ref_no" not in widgets
    assert "REF-1" in text_of(response) and "文号" in text_of(response)
    # Required marker and the enabled submit button.
    assert 'class="req"' in html
    assert not submit_disabled(response)


def test_prefilled_from_form_data(login, approval):
    _, task_id = approval
    values, _ = read_form(login("clerk1").get(f"/tasks/{task_id}"))
    assert values["amount"] == "0"  # the diagram's default value
    assert values["subject"] == ""
    assert values["urgent"] == []


def test_validation_errors_in_chinese_and_values_kept(login, approval, engine):
    _, task_id = approval
    typed = {"subject": "这是一段明显超过二十个字限制的事由文字，用来测试长度校验", "amount": "abc", "urgent": "on",
             "needed_by": "2026-12-15", "kind": "b", "details": "\n保留前导换行\n  和缩进"}
    response = login("clerk1").post(f"/tasks/{task_id}", data=typed)
    assert response.status_code == 422
    page = text_of(response)
    assert "最多输入 20 个字" in page
    assert "请输入整数" in page
    assert "表单中有 2 处需要修改" in page
    values, _ = read_form(response)
    assert values["subject"] == typed["subject"]
    assert values["amount"] == "abc"
    assert values["urgent"] == "on"
    assert values["needed_by"] == "2026-12-15"
    assert values["kind"] == "b"
    assert values["details"] == typed["details"]
    with engine.db.read() as s:
        assert s.get(HumanTask, task_id).status == "open"  # nothing saved


def test_required_and_range_messages(login, approval):
    _, task_id = approval
    response = login("clerk1").post(f"/tasks/{task_id}", data={"subject": "", "amount": "200000"})
    page = text_of(response)
    assert "此项为必填项" in page and "不能大于 100000" in page
    html = response.get_data(as_text=True)
    assert 'id="f-subject-error"' in html and 'aria-invalid="true"' in html


def test_successful_completion_shows_next_task(login, approval, engine):
    instance_id, task_id = approval
    client = login("clerk1")
    response = client.post(f"/tasks/{task_id}", data=FILLED)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/instances/{instance_id}"
    response = client.get(response.headers["Location"])
    page = text_of(response)
    assert "已提交" in page
    assert "当前待办" in page and "审核" in page
    # The history shows the submitted data by field label, with the choice's name.
    assert "办理完成" in page and "事由" in page and "采购打印机" in page and "乙类" in page
    review_id = open_task_id(engine, instance_id, "review")
    assert f'href="/tasks/{review_id}"' in response.get_data(as_text=True)
    # reviewer1 now has it to claim; the completed task is closed for everyone.
    assert "审核" in text_of(login("reviewer1").get("/?tab=groups"))
    done = client.get(f"/tasks/{task_id}")
    assert "已完成" in text_of(done) and submit_disabled(done)


def test_second_user_gets_message_and_keeps_values(login, approval):
    _, task_id = approval
    first, second = login("clerk1"), login("clerk2")
    second.get(f"/tasks/{task_id}")  # both opened the form
    assert first.post(f"/tasks/{task_id}", data=FILLED).status_code == 302
    mine = {**FILLED, "subject": "李经办的填写", "amount": "777", "details": "我写了很多内容"}
    response = second.post(f"/tasks/{task_id}", data=mine)
    assert response.status_code == 409
    page = text_of(response)
    assert "该任务已由张经办于" in page and "办理完成，您的填写未提交" in page
    values, _ = read_form(response)
    assert values["subject"] == "李经办的填写"
    assert values["amount"] == "777"
    assert values["details"] == "我写了很多内容"
    assert submit_disabled(response)


def test_claimed_by_other_user_is_view_only(login, approval):
    _, task_id = approval
    login("clerk1").post(f"/tasks/{task_id}/claim")
    client = login("clerk2")
    response = client.get(f"/tasks/{task_id}")
    assert response.status_code == 200
    assert "该任务已由张经办认领，您只能查看" in text_of(response)
    response = client.post(f"/tasks/{task_id}", data=FILLED)
    assert response.status_code == 409
    assert "您不能办理该任务" in text_of(response)
    assert read_form(response)[0]["subject"] == "采购打印机"


def test_forbidden_for_users_not_allowed(login, approval):
    _, task_id = approval
    for username in ("reviewer1", "boss"):
        client = login(username)
        response = client.get(f"/tasks/{task_id}")
        assert response.status_code == 403
        assert "无权查看" in text_of(response)
        assert client.post(f"/tasks/{task_id}", data=FILLED).status_code == 403


def test_admin_may_view_but_not_submit(login, approval):
    _, task_id = approval
    response = login("admin").get(f"/tasks/{task_id}")
    assert response.status_code == 200
    assert "只能查看" in text_of(response)
    assert submit_disabled(response)


def test_unknown_task_is_404_in_chinese(login, people):
    response = login("clerk1").get("/tasks/424242")
    assert response.status_code == 404
    page = text_of(response)
    assert "页面不存在" in page and "任务 424242 不存在" in page


def test_files_units_and_long_text(login, deployed, people, units, engine):
    instance_id = deployed.runtime.start("all_fields", "AF-2", actor=people["clerk1"])
    task_id = open_task_id(deployed, instance_id, "fill")
    client = login("clerk1")
    long_text = "长" * 800
    data = {"subject": "附件测试", "count": "3", "notes": long_text, "lead_unit": "U2", "co_units": ["U1", "U3"],
            "attachment": (io.BytesIO(b"hello"), "说明.txt", "text/plain")}
    response = client.post(f"/tasks/{task_id}", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, text_of(response)
    with engine.db.read() as s:
        stored = s.query(StoredFile).one()
        blob = s.query(TextBlob).one()
    page = client.get(f"/instances/{instance_id}")
    html = page.get_data(as_text=True)
    assert f"/files/{stored.id}" in html and "说明.txt" in html
    assert f"/texts/{blob.id}" in html and "查看全文（800 字）" in html
    download = client.get(f"/files/{stored.id}")
    assert download.status_code == 200 and download.data == b"hello"
    assert "attachment" in download.headers["Content-Disposition"]
    assert long_text in client.get(f"/texts/{blob.id}").get_data(as_text=True)
    # Someone with no part in the instance may not read its files or texts.
    other = login("reviewer1")
    assert other.get(f"/files/{stored.id}").status_code == 403
    assert other.get(f"/texts/{blob.id}").status_code == 403
    assert client.get("/files/99999").status_code == 404


def test_file_rules_and_reselect_note(login, deployed, people, units):
    instance_id = deployed.runtime.start("all_fields", "AF-3", actor=people["clerk1"])
    task_id = open_task_id(deployed, instance_id, "fill")
    data = {"subject": "", "co_units": ["U2"], "lead_unit": "U3",
            "attachment": (io.BytesIO(b"x" * 10), "图片.png", "image/png")}
    response = login("clerk1").post(f"/tasks/{task_id}", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    page = text_of(response)
    assert "只接受以下类型的文件" in page
    assert "您刚才选择了“图片.png”" in page
    values, _ = read_form(response)
    assert values["co_units"] == "U2" and values["lead_unit"] == "U3"


def test_unknown_unit_is_rejected(login, deployed, people, units):
    instance_id = deployed.runtime.start("all_fields", "AF-4", actor=people["clerk1"])
    task_id = open_task_id(deployed, instance_id, "fill")
    response = login("clerk1").post(f"/tasks/{task_id}", data={"subject": "x", "co_units": ["U2", "NOPE"]})
    assert response.status_code == 422
    assert "未知的单位：NOPE" in text_of(response)
