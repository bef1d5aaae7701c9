"""The reply letter's live preview on the task page: POST /tasks/<id>/letter-preview (HTML) and
/letter-preview.docx (the Word 预览稿), evaluated from the diagram's `letter_preview` property on the
task's data merged with the form's unsaved values — on the product's own diagrams. A preview stores
nothing: no file, no text, no change of the process data."""
import io
import re
from urllib.parse import unquote

import pytest
from docx import Document
from lxml import html as lxml_html
from sqlalchemy import func, select

from tests.procedure.driver import accept, consult, dispatch, draft, handle, register
from tests.support.bpmn import linear
from tests.support.helpers import instance_data
from webapp.models import AuditEvent, HumanTask, Instance, StoredFile, TextBlob

BODY = ("您提出的建议收悉。现答复如下：\n一、基本情况\n近年来，我局持续推进公交优先发展。\n"
        "（一）线网优化。新开通社区微循环线路3条。\n二、下一步工作\n感谢您的关心和支持。")
FORM = dict(result_class="A", class_basis="问题已经解决", reply_body=BODY, commitments="", commitment_due="",
            publication="public", no_publish_reason="", contact_person="李四", contact_phone="0359-2345678")


@pytest.fixture
def at_draft(procedure):
    """The procedure at 拟写书面答复 of 市交通运输局 (item 十七届五次 第123号, 刘代表)."""
    procedure.start()
    register(procedure, lead="jtj")
    accept(procedure, "jtj")
    dispatch(procedure, "jtj")
    consult(procedure, "jtj")
    handle(procedure, "jtj")
    return procedure


def parts(response) -> dict[str, str]:
    """data-part → text of the letter in a preview response."""
    tree = lxml_html.fragment_fromstring(response.get_data(as_text=True))
    return {e.get("data-part"): e.text_content() for e in tree.iter() if e.get("data-part")}


def marks(response) -> list[str]:
    tree = lxml_html.fragment_fromstring(response.get_data(as_text=True))
    return [m.text_content() for m in tree.iter("mark")]


def snapshot(engine, instance_id):
    """What a preview must leave alone: the instance (state, version), its tasks, files, texts, history."""
    with engine.db.read() as s:
        inst = s.get(Instance, instance_id)
        return dict(state=inst.state, version=inst.lock_version,
                    tasks=sorted((t.id, t.status, t.lock_version, str(t.form_data))
                                 for t in s.scalars(select(HumanTask).filter_by(instance_id=instance_id))),
                    files=s.scalar(select(func.count()).select_from(StoredFile)),
                    texts=s.scalar(select(func.count()).select_from(TextBlob)),
                    events=s.scalar(select(func.count()).select_from(AuditEvent)))


def test_the_draft_preview_shows_the_unsaved_form_as_the_letter(at_draft, login, engine):
    task = at_draft.task("draft_reply", "jtj")
    client = login("jtj_handler")
    before = snapshot(engine, at_draft.instance_id)
    data_before = instance_data(engine, at_draft.instance_id)
    long_body = BODY + "\n" + "我局将继续听取代表意见，加快推进线路优化。" * 40  # stored apart when submitted
    response = client.post(f"/tasks/{task.id}/letter-preview", data={**FORM, "reply_body": long_body})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    got = parts(response)
    assert got["letterhead"] == "市交通运输局" and got["sign_unit"] == "市交通运输局"
    assert got["class_mark"] == "A"
    assert got["doc_number"] == "〔2026〕×号"  # not numbered before 主要领导签发
    assert got["title"] == "关于市十七届人大五次会议第123号建议的答复"
    assert got["addressee"] == "刘代表代表："
    assert "（一）线网优化。新开通社区微循环线路3条。" in got["body"]
    assert got["body"].endswith("加快推进线路优化。")
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", got["sign_date"])
    assert got["publication"] == "公开属性：主动公开"
    assert got["note"] == "（联系人：李四，联系电话：0359-2345678）"
    assert got["cc"] == "抄送：市政府办公室，市人大常委会代表工委。"
    assert marks(response) == ["〔2026〕×号"]
    assert snapshot(engine, at_draft.instance_id) == before
    assert instance_data(engine, at_draft.instance_id) == data_before


def test_what_is_not_filled_in_shows_as_placeholders(at_draft, login):
    task = at_draft.task("draft_reply", "jtj")
    client = login("jtj_handler")
    response = client.post(f"/tasks/{task.id}/letter-preview",
                           data={**FORM, "reply_body": "  ", "publication": "", "result_class": "",
                                 "contact_person": "", "contact_phone": ""})
    assert response.status_code == 200
    got = parts(response)
    assert marks(response) == ["〔2026〕×号", "【答复正文】", "【公开属性】"]
    assert "class_mark" not in got and "note" not in got
    assert got["publication"] == "公开属性：【公开属性】"
    # Nothing posted at all (a page whose inputs are locked): the task's stored values, here none yet.
    response = client.post(f"/tasks/{task.id}/letter-preview")
    assert response.status_code == 200 and "【答复正文】" in marks(response)


def test_who_may_see_the_preview(at_draft, login):
    task = at_draft.task("draft_reply", "jtj")
    response = login("zjj_handler").post(f"/tasks/{task.id}/letter-preview", data=FORM)
    assert response.status_code == 403
    assert "无权查看" in response.get_data(as_text=True)
    assert login("zjj_handler").post(f"/tasks/{task.id}/letter-preview.docx", data=FORM).status_code == 403
    assert login("jtj_handler").post("/tasks/999999/letter-preview", data=FORM).status_code == 404
    assert login("jtj_handler").post("/tasks/999999/letter-preview.docx", data=FORM).status_code == 404
    # A task whose diagram declares no preview.
    with at_draft.engine.db.read() as s:
        handled = s.scalars(select(HumanTask).filter_by(instance_id=at_draft.instance_id,
                                                         element_id="handle_item")).one()
    response = login("jtj_handler").post(f"/tasks/{handled.id}/letter-preview", data=FORM)
    assert response.status_code == 404 and "没有答复函预览" in response.get_data(as_text=True)
    # The office sees the item, but is no candidate of the unit's own drafting.
    assert login("office").post(f"/tasks/{task.id}/letter-preview", data=FORM).status_code == 403


def test_the_word_preview_is_the_real_letter_marked_as_draft_and_stores_nothing(at_draft, login, engine):
    task = at_draft.task("draft_reply", "jtj")
    before = snapshot(engine, at_draft.instance_id)
    response = login("jtj_handler").post(f"/tasks/{task.id}/letter-preview.docx", data=FORM)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    disposition = unquote(response.headers["Content-Disposition"])
    assert "attachment" in disposition and "关于市十七届人大五次会议第123号建议的答复（预览稿）.docx" in disposition
    doc = Document(io.BytesIO(response.data))
    texts = [p.text.replace("\n", "") for p in doc.paragraphs if p.text]
    assert texts[:3] == ["A", "〔2026〕×号", "关于市十七届人大五次会议第123号建议的答复"]
    assert "（一）线网优化。新开通社区微循环线路3条。" in texts
    assert doc.sections[0].first_page_header.paragraphs[0].text == "市交通运输局"
    assert snapshot(engine, at_draft.instance_id) == before


def test_signing_numbers_the_letter_and_reviewers_see_the_draft_being_reviewed(at_draft, login):
    draft(at_draft, "jtj", reply_body=BODY)
    leader = at_draft.task("leader_review", "jtj")
    # The leader's review: nothing of the letter on the form, the preview shows the stored draft.
    response = login("jtj_leader").post(f"/tasks/{leader.id}/letter-preview",
                                        data={"leader_decision": "", "leader_comment": ""})
    assert response.status_code == 200
    got = parts(response)
    assert "（一）线网优化。新开通社区微循环线路3条。" in got["body"]
    assert got["note"] == "（联系人：李四，联系电话：0359-2345678）"
    page = login("jtj_leader").get(f"/tasks/{leader.id}").get_data(as_text=True)
    assert 'data-letter-preview' in page and "下载预览稿（Word）" in page and "letter_preview.css" in page
    at_draft.do("leader_review", "jtj_leader", unit="jtj", leader_decision="approve")
    head = at_draft.task("head_sign", "jtj")
    response = login("jtj_head").post(f"/tasks/{head.id}/letter-preview",
                                      data={"head_decision": "approve", "doc_prefix": "交函", "doc_serial": "12"})
    assert parts(response)["doc_number"] == "交函〔2026〕12号" and marks(response) == []
    response = login("jtj_head").post(f"/tasks/{head.id}/letter-preview",
                                      data={"head_decision": "approve", "doc_prefix": "交函", "doc_serial": ""})
    assert parts(response)["doc_number"] == "交函〔2026〕×号"
    # The completed review stays viewable with its preview for the leader who did it.
    assert login("jtj_leader").post(f"/tasks/{leader.id}/letter-preview").status_code == 200


def test_pages_without_a_preview_do_not_load_it(at_draft, login):
    with at_draft.engine.db.read() as s:
        handled = s.scalars(select(HumanTask).filter_by(instance_id=at_draft.instance_id,
                                                         element_id="handle_item")).one()
    page = login("jtj_handler").get(f"/tasks/{handled.id}").get_data(as_text=True)
    assert "letter_preview.js" not in page and "data-letter-preview" not in page
    draft_page = login("jtj_handler").get(f"/tasks/{at_draft.task('draft_reply', 'jtj').id}").get_data(as_text=True)
    assert "letter_preview.js" in draft_page and 'class="task-with-preview"' in draft_page


# --- an expression that fails ------------------------------------------------------------------------------

LETTER_DEMO = linear(
    "letter_demo",
    '<bpmn:userTask id="write" name="拟写" camunda:candidateUsers="clerk1"><bpmn:extensionElements>'
    '<camunda:properties><camunda:property name="letter_preview" value="make" /></camunda:properties>'
    '<camunda:formData><camunda:formField id="text" label="正文" type="textarea" /></camunda:formData>'
    '</bpmn:extensionElements></bpmn:userTask>',
    '<bpmn:serviceTask id="make" name="生成答复函" camunda:type="external" camunda:topic="reply_letter">'
    '<bpmn:extensionElements><camunda:inputOutput>'
    '<camunda:inputParameter name="unit_name">市测试局</camunda:inputParameter>'
    '<camunda:inputParameter name="doc_prefix">测函</camunda:inputParameter>'
    '<camunda:inputParameter name="doc_serial">${serial}</camunda:inputParameter>'
    '<camunda:inputParameter name="item_type">suggestion</camunda:inputParameter>'
    '<camunda:inputParameter name="session_label">${session.replace(\'届\', \'届人大\', 1)}</camunda:inputParameter>'
    '<camunda:inputParameter name="item_no">8</camunda:inputParameter>'
    '<camunda:inputParameter name="proposer_name">张三</camunda:inputParameter>'
    '<camunda:inputParameter name="body">${text}</camunda:inputParameter>'
    '<camunda:inputParameter name="publication">主动公开</camunda:inputParameter>'
    '</camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>',
    name="答复函预览测试")


@pytest.fixture
def letter_demo(app, engine, people):
    engine.repository.deploy([LETTER_DEMO])

    def start(**data):
        instance_id = engine.runtime.start("letter_demo", f"L-{len(data)}-{data.get('serial')}", data=data)
        with engine.db.read() as s:
            return s.scalars(select(HumanTask.id).filter_by(instance_id=instance_id, element_id="write")).one()
    return start


def test_an_expression_error_is_shown_in_chinese_in_the_preview_box(letter_demo, login):
    task_id = letter_demo(session=17, serial=3)
    response = login("clerk1").post(f"/tasks/{task_id}/letter-preview", data={"text": "正文"})
    assert response.status_code == 422
    tree = lxml_html.fragment_fromstring(response.get_data(as_text=True))
    assert tree.get("class") == "letter-preview-error" and tree.get("role") == "alert"
    assert "无法预览答复函" in tree.text_content()
    assert "参数“session_label”的表达式无法计算（AttributeError" in tree.text_content()
    response = login("clerk1").post(f"/tasks/{task_id}/letter-preview.docx", data={"text": "正文"})
    assert response.status_code == 422 and "session_label" in response.get_data(as_text=True)


def test_a_value_the_process_lacks_is_a_placeholder_not_an_error(letter_demo, login):
    task_id = letter_demo(session="十七届五次")  # no `serial` in the data at all
    response = login("clerk1").post(f"/tasks/{task_id}/letter-preview", data={"text": "一、情况\n已办理。"})
    assert response.status_code == 200
    got = parts(response)
    assert got["doc_number"] == "测函〔2026〕×号"
    assert got["title"] == "关于市十七届人大五次会议第8号建议的答复"
    assert got["body"] == "一、情况已办理。"


def test_a_co_unit_previews_its_opinion_to_the_lead_unit(procedure, login):
    procedure.start()
    register(procedure, mode="lead_co", lead="jtj", co=["zjj"])
    accept(procedure, "jtj", "zjj")
    dispatch(procedure, "jtj")
    procedure.do("co_dispatch", "zjj_liaison", unit="zjj", co_division="规划科", co_handler="赵六")
    task = procedure.task("write_co_opinion", "zjj")
    response = login("zjj_handler").post(f"/tasks/{task.id}/letter-preview",
                                         data={"co_opinion_text": "我局同意配合调整公交站点布局。", "co_contact": "赵六",
                                               "co_phone": "0359-3456789"})
    assert response.status_code == 200
    got = parts(response)
    assert got["letterhead"] == "市住房和城乡建设局"
    assert got["title"] == "关于市十七届人大五次会议第123号建议的协办意见"
    assert got["addressee"] == "市交通运输局："
    assert got["body"] == "我局同意配合调整公交站点布局。"
    assert "publication" not in got and got["cc"] == "抄送：市政府办公室。"
    # A long opinion is stored apart once submitted; the head's preview reads it in full.
    long_text = "我局负责新建站台的规划审批和建设，" * 40 + "预计明年三月完工。"
    procedure.do("write_co_opinion", "zjj_handler", unit="zjj", co_opinion_text=long_text, co_contact="赵六",
                 co_phone="0359-3456789")
    assert "text_id" in procedure.task("sign_co_opinion", "zjj").form_data["co_opinion_view"]
    sign = procedure.task("sign_co_opinion", "zjj")
    response = login("zjj_head").post(f"/tasks/{sign.id}/letter-preview",
                                      data={"co_sign_decision": "approve", "co_doc_prefix": "住建函",
                                            "co_doc_serial": "8"})
    got = parts(response)
    assert got["doc_number"] == "住建函〔2026〕8号"
    assert got["body"] == long_text
