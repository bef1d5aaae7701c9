"""Administration: the notice texts (message templates) with a live preview, and the outbox, where
mails are kept when no SMTP server is configured.

Templates are changed through webapp/messaging/templates.py, which refuses a template that does not
compile (or renders something unsafe) with Chinese messages; then nothing is saved and the form
shows again with what was typed.
"""
import json

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for

from ..messaging import templates
from ..messaging.mail import outbox_entries, outbox_path, read_outbox
from .helpers import actor, get_engine, get_settings, restrict

bp = Blueprint("admin_messages", __name__, url_prefix="/admin")

SAMPLE_JSON = json.dumps(templates.SAMPLE_VARIABLES, ensure_ascii=False, indent=2)
SAMPLE_MAX_CHARS = 20_000


restrict(bp, lambda user: user.is_admin,
         lambda endpoint: "只有系统管理员可以查看发件箱。" if endpoint.startswith("admin_messages.outbox")
         else "只有系统管理员可以维护通知模板。")


# --- message templates ----------------------------------------------------------------------------------

@bp.get("/templates")
def templates_index():
    return render_template("admin_templates.html", rows=templates.all_templates(get_engine().db))


def _sample(raw: str | None) -> tuple[dict, list[str]]:
    """The sample variables typed as a JSON object (the defaults when empty), and problems."""
    raw = (raw or "").strip()
    if not raw:
        return dict(templates.SAMPLE_VARIABLES), []
    if len(raw) > SAMPLE_MAX_CHARS:
        return dict(templates.SAMPLE_VARIABLES), [f"示例变量不能超过 {SAMPLE_MAX_CHARS} 字。"]
    try:
        value = json.loads(raw)
    except ValueError as e:
        return dict(templates.SAMPLE_VARIABLES), [f"示例变量不是有效的 JSON（第 {e.lineno} 行第 {e.colno} 列）。"]
    if not isinstance(value, dict):
        return dict(templates.SAMPLE_VARIABLES), ["示例变量应为 JSON 对象，如 {\"title\": \"…\"}。"]
    return value, []


def preview(subject: str, body: str, sample_json: str | None) -> dict:
    """What the page (and the live preview) shows: the rendered text, or why there is none."""
    sample, problems = _sample(sample_json)
    result = {"subject": "", "body": "", "unknown": []}
    template_problems = templates.check(subject, body)
    if not template_problems:
        try:
            text = templates.render(subject, body, sample)
            result.update(subject=text.subject, body=text.body)
        except templates.TemplateError as e:
            template_problems = e.problems
        result["unknown"] = templates.unknown_variables(subject, body, sample)
    result["problems"] = problems + template_problems
    result["ok"] = not result["problems"]
    return result


def _edit_page(row, form: dict, *, creating=False, problems=None, status=200):
    shown = preview(form["subject"], form["body"], form.get("sample"))
    return render_template("admin_template_edit.html", row=row, form=form, creating=creating,
                           problems=problems or [], preview=shown, variables=templates.VARIABLES,
                           sample_json=form.get("sample") or SAMPLE_JSON), status


def _form() -> dict:
    f = request.form
    return {"name": (f.get("name") or "").strip(), "label": f.get("label") or "", "subject": f.get("subject") or "",
            "body": f.get("body") or "", "sample": f.get("sample") or ""}


def _template_or_404(name: str):
    row = templates.get_template(get_engine().db, name)
    if row is None:
        abort(404, description=f"通知模板“{name}”不存在。")
    return row


@bp.get("/templates/new")
def template_new():
    return _edit_page(None, {"name": "", "label": "", "subject": "", "body": ""}, creating=True)


@bp.post("/templates/new")
def template_create():
    form = _form()
    if request.form.get("action") == "preview":
        return _edit_page(None, form, creating=True)
    user = actor()
    try:
        row = templates.save_template(get_engine().db, form["name"], form["label"], form["subject"], form["body"],
                                      by=user.display_name or user.username, create=True)
    except templates.TemplateError as e:
        return _edit_page(None, form, creating=True, problems=e.problems, status=400)
    flash(f"已添加通知模板“{row.label}”（{row.name}）。流程图中用 template=\"{row.name}\" 引用。", "success")
    return redirect(url_for("admin_messages.template_edit", name=row.name))


@bp.get("/templates/<name>")
def template_edit(name):
    row = _template_or_404(name)
    return _edit_page(row, {"name": row.name, "label": row.label, "subject": row.subject, "body": row.body})


@bp.post("/templates/<name>")
def template_save(name):
    row = _template_or_404(name)
    form = {**_form(), "name": row.name}
    if request.form.get("action") == "preview":
        return _edit_page(row, form)
    user = actor()
    try:
        saved = templates.save_template(get_engine().db, row.name, form["label"], form["subject"], form["body"],
                                        by=user.display_name or user.username)
    except templates.TemplateError as e:
        return _edit_page(row, form, problems=e.problems, status=400)
    flash(f"已保存通知模板“{saved.label}”，此后发送的通知使用新内容。", "success")
    return redirect(url_for("admin_messages.template_edit", name=saved.name))


@bp.post("/templates/preview")
def template_preview():
    """The live preview: JSON for the text typed so far (nothing is saved)."""
    form = _form()
    return jsonify(preview(form["subject"], form["body"], form["sample"]))


# --- the outbox -------------------------------------------------------------------------------------------

@bp.get("/outbox")
def outbox():
    settings = get_settings()
    entries, total = outbox_entries(settings.outbox_dir)
    return render_template("admin_outbox.html", entries=entries, total=total, settings=settings)


@bp.get("/outbox/<name>")
def outbox_mail(name):
    found = read_outbox(get_settings().outbox_dir, name)
    if found is None:
        abort(404, description=f"发件箱中没有邮件“{name}”。")
    entry, text = found
    return render_template("admin_outbox_mail.html", entry=entry, text=text)


@bp.get("/outbox/<name>/raw")
def outbox_raw(name):
    path = outbox_path(get_settings().outbox_dir, name)
    if path is None:
        abort(404, description=f"发件箱中没有邮件“{name}”。")
    return send_file(path, mimetype="message/rfc822", as_attachment=True, download_name=name)
