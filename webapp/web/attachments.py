"""Long texts and uploaded files kept outside the workflow data, shown to people involved in the instance."""
from io import BytesIO

from flask import Blueprint, abort, render_template, send_file

from ..models import Instance, StoredFile, TextBlob
from .access import can_view_instance
from .helpers import actor, get_engine

bp = Blueprint("attachments", __name__)


def _check(session, instance_id):
    if not can_view_instance(session, actor(), instance_id):
        abort(403, description="您没有参与该事项，无权查看其材料。")


@bp.get("/files/<int:file_id>")
def download(file_id):
    with get_engine().db.read() as session:
        row = session.get(StoredFile, file_id)
        if row is None:
            abort(404, description=f"文件 {file_id} 不存在。")
        _check(session, row.instance_id)
        data, name, content_type = row.content, row.filename, row.content_type
    response = send_file(BytesIO(data), mimetype=content_type or "application/octet-stream",
                         as_attachment=True, download_name=name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/texts/<int:text_id>")
def text(text_id):
    with get_engine().db.read() as session:
        row = session.get(TextBlob, text_id)
        if row is None:
            abort(404, description=f"文本 {text_id} 不存在。")
        _check(session, row.instance_id)
        instance = session.get(Instance, row.instance_id) if row.instance_id else None
    return render_template("text.html", text=row, instance=instance)
