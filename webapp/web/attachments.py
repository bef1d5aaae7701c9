"""Long texts and uploaded files kept outside the workflow data, shown to people involved in the instance;
Word files also as a PDF preview (LibreOffice, when installed)."""
from io import BytesIO
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, abort, render_template, send_file
from sqlalchemy import select

from ..documents.preview import PreviewFailed, PreviewUnavailable, is_pdf, is_word, pdf_preview
from ..models import Instance, StoredFile, TextBlob
from .access import can_view_instance
from .helpers import actor, get_engine, get_settings

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


@bp.get("/files/<int:file_id>/preview")
def preview(file_id):
    """The file as a PDF shown in the browser: a PDF as it is, a Word file converted by LibreOffice."""
    with get_engine().db.read() as session:
        row = session.execute(select(StoredFile.instance_id, StoredFile.filename, StoredFile.content_type,
                                     StoredFile.sha256).where(StoredFile.id == file_id)).first()
        if row is None:
            abort(404, description=f"文件 {file_id} 不存在。")
        _check(session, row.instance_id)
        if not (is_pdf(row.content_type, row.filename) or is_word(row.content_type, row.filename)):
            abort(415, description=f"“{row.filename}”不能在线预览，请下载后查看。")
        content = session.scalar(select(StoredFile.content).where(StoredFile.id == file_id))
    name = Path(row.filename).stem + ".pdf"
    if is_pdf(row.content_type, row.filename):
        response = send_file(BytesIO(content), mimetype="application/pdf", download_name=name)
    else:
        try:
            path = pdf_preview(file_id, row.sha256, content, row.filename, get_settings().preview_dir)
        except PreviewUnavailable as e:
            return render_template("error.html", code=503, title="无法在线预览", message=str(e)), 503
        except PreviewFailed as e:
            return render_template("error.html", code=500, title="无法在线预览", message=str(e)), 500
        response = send_file(path, mimetype="application/pdf", download_name=name)
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name)}"
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
