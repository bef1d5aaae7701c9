"""Spreadsheet batches (批量导入, during 两会): the template, the upload with every problem listed by row
and column, and the import's progress. The office only. How a batch runs: webapp/items/batch.py."""
import io

from flask import Blueprint, abort, jsonify, redirect, render_template, request, send_file, url_for

from ..items import batch
from ..items.numbering import item_label
from ..items.spreadsheet import MAX_ROWS, XLSX_CONTENT_TYPE, UnreadableFile, read_workbook, template_workbook
from .helpers import actor, file_size, get_engine, get_settings, restrict
from .items import may_register

bp = Blueprint("item_import", __name__, url_prefix="/items/import")

TEMPLATE_NAME = "建议提案批量导入模板.xlsx"


restrict(bp, may_register, "只有市政府办公室可以批量导入建议、提案。")


@bp.get("")
def index():
    return _page()


@bp.get("/template.xlsx")
def template():
    return send_file(io.BytesIO(template_workbook()), mimetype=XLSX_CONTENT_TYPE, as_attachment=True,
                     download_name=TEMPLATE_NAME, max_age=0)


@bp.post("")
def upload():
    limit = get_settings().max_upload_bytes
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return _page(alert="请选择要导入的 Excel 文件（.xlsx）。", status=422)
    filename = sent.filename
    if not filename.lower().endswith(".xlsx"):
        return _page(alert=f"“{filename}”不是 .xlsx 文件。请用导入模板填写；.xls 文件请先在 Excel 或 WPS 中另存为 .xlsx。",
                     status=422)
    data = sent.read(limit + 1)
    if len(data) > limit:
        return _page(alert=f"文件过大：不能超过 {file_size(limit)}。请拆分成几个文件分别导入。", status=413)
    try:
        sheet = read_workbook(data)
    except UnreadableFile as e:
        return _page(alert=str(e), status=422)
    problems = sheet.problems + batch.check_rows(get_engine(), sheet.rows)
    if problems:
        problems.sort(key=lambda p: (p.row or 0))
        rows = len({p.row for p in problems if p.row})
        alert = (f"“{filename}”有 {len(problems)} 处问题（涉及 {rows} 行），没有导入任何事项。请改正后重新上传整个文件。"
                 if rows else f"“{filename}”无法导入：{problems[0].message}")
        return _page(alert=alert, problems=problems, filename=filename, skipped=sheet.skipped_columns, status=422)
    engine = get_engine()
    import_id = batch.queue_import(engine, filename, sheet.rows, actor())
    batch.start_import(engine, import_id)
    return redirect(url_for("item_import.show", import_id=import_id))


@bp.get("/<int:import_id>")
def show(import_id):
    status = _status_or_404(import_id)
    items = batch.imported_items(get_engine(), status.item_ids) if status.status == "done" else []
    return render_template("item_import_status.html", batch=status, items=items, item_label=item_label)


@bp.get("/<int:import_id>/status")
def status(import_id):
    """The progress as JSON, polled by the status page."""
    status = _status_or_404(import_id)
    body = dict(id=status.id, status=status.status, label=status.label, total=status.total, done=status.done,
                percent=status.percent, finished=status.finished, message=status.message, problems=status.problems,
                page=url_for("item_import.show", import_id=status.id))
    if status.status == "done":
        body["items"] = [dict(id=item.id, label=item_label(item.item_type, item.session, item.item_no),
                              title=item.title, url=url_for("instances.show", instance_id=item.instance_id))
                         for item in batch.imported_items(get_engine(), status.item_ids)]
    return jsonify(body)


@bp.post("/<int:import_id>/restart")
def restart(import_id):
    _status_or_404(import_id)
    batch.restart_import(get_engine(), import_id)
    return redirect(url_for("item_import.show", import_id=import_id))


def _status_or_404(import_id: int) -> batch.ImportStatus:
    status = batch.import_status(get_engine(), import_id)
    if status is None:
        abort(404, description="没有这次导入的记录。")
    return status


def _page(alert: str | None = None, problems=None, filename: str = "", skipped=None, status: int = 200):
    return render_template("item_import.html", alert=alert, problems=problems or [], filename=filename,
                           skipped=skipped or [], recent=batch.recent_imports(get_engine()),
                           limit=file_size(get_settings().max_upload_bytes), max_rows=MAX_ROWS), status
