"""The live preview of the reply letter on a task page, and its Word file as a 预览稿.

A user task declares the preview in its diagram with the extension property
`letter_preview` = the id of the service task (topic `reply_letter`) that will make the letter; its
input parameters are evaluated on the task's data merged with the form's current, unsaved values
(`Tasks.service_parameters`), so the preview says exactly what the letter will say. Whoever may view
the task may see its preview. Nothing is saved: no file is stored, the process data is not touched.

    POST /tasks/<id>/letter-preview        the letter as HTML (for the preview box)
    POST /tasks/<id>/letter-preview.docx   the real .docx of the current values, "（预览稿）" in its name
"""
from io import BytesIO

from flask import Blueprint, abort, request, send_file

from service_tasks.documents import build_reply_letter
from ..clock import Clock
from ..documents.letter import DOCX_CONTENT_TYPE, LetterError, ReplyLetter, render_reply_letter
from ..documents.letter_html import render_error_html, render_letter_html
from ..engine.errors import EngineError, NotFound
from ..engine.forms import Form
from ..models import TextBlob
from .helpers import get_engine, get_settings, is_text_ref
from .tasks import _visible_task

bp = Blueprint("letter_preview", __name__)

PROPERTY = "letter_preview"
LETTER_TOPIC = "reply_letter"
HTML_TYPE = "text/html; charset=utf-8"


@bp.post("/tasks/<int:task_id>/letter-preview")
def html(task_id):
    try:
        letter = _draft_letter(task_id)
    except (EngineError, LetterError) as e:
        return str(render_error_html(str(e))), 422, {"Content-Type": HTML_TYPE}
    return str(render_letter_html(letter)), 200, {"Content-Type": HTML_TYPE, "Cache-Control": "no-store"}


@bp.post("/tasks/<int:task_id>/letter-preview.docx")
def docx(task_id):
    try:
        letter = _draft_letter(task_id)
        data = render_reply_letter(letter, getattr(get_settings(), "letter_template_path", None))
    except (EngineError, LetterError) as e:
        return str(render_error_html(str(e))), 422, {"Content-Type": HTML_TYPE}
    response = send_file(BytesIO(data), mimetype=DOCX_CONTENT_TYPE, as_attachment=True,
                         download_name=letter.filename)
    response.headers["Cache-Control"] = "no-store"
    return response


def _draft_letter(task_id: int) -> ReplyLetter:
    """The letter of the task's current, unsaved form values, as a draft (placeholders for gaps)."""
    tasks = get_engine().tasks
    with get_engine().db.read() as session:
        task = _visible_task(session, task_id)
        if not tasks.preview_property(task.instance, task.element_id, PROPERTY):
            abort(404, description=f"任务“{task.name}”没有答复函预览。")
        try:
            topic, params = tasks.service_parameters(session, task, PROPERTY, _posted_values(tasks.form(task)))
        except NotFound as e:
            raise EngineError(str(e)) from None
        if topic != LETTER_TOPIC:
            raise EngineError(f"预览只支持生成答复函的服务任务（主题 {LETTER_TOPIC}），而不是“{topic}”")
        instance_id = task.instance_id

        def text(value) -> str:
            if is_text_ref(value):
                blob = session.get(TextBlob, value["text_id"])
                if blob is None or blob.instance_id != instance_id:
                    raise LetterError(f"正文 {value['text_id']} 不存在或不属于本事项")
                return blob.content.strip()
            return "" if value is None else str(value).strip()

        return build_reply_letter(params, text=text, today=Clock.today(), draft=True)


def _posted_values(form: Form) -> dict:
    """The form's editable fields as posted (files left out). Fields not posted — a locked form's
    disabled inputs — keep the task's stored values."""
    values = {}
    for f in form.fields:
        if f.readonly or f.type == "file" or f.id not in request.form:
            continue
        values[f.id] = request.form.getlist(f.id) if f.type == "units" else request.form.get(f.id, "")
    return values
