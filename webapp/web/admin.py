"""Administration: open incidents (service tasks that failed every retry), to retry or skip."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for

from ..engine.errors import EngineError
from .helpers import actor, get_engine

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def admins_only():
    user = actor()
    if not getattr(user, "is_authenticated", False):
        return None  # the login check runs first and redirects
    if not user.is_admin:
        abort(403, description="只有系统管理员可以处理故障。")
    return None


@bp.get("/incidents")
def incidents():
    with get_engine().db.read() as session:
        rows = get_engine().management.open_incidents(session)
    return render_template("admin_incidents.html", incidents=rows)


@bp.post("/incidents/<int:incident_id>/retry")
def retry(incident_id):
    try:
        get_engine().management.retry_incident(incident_id, actor())
        flash(f"故障 {incident_id} 已安排重试，后台任务将很快重新执行。", "success")
    except EngineError as e:
        flash(str(e), "error")
    return redirect(url_for("admin.incidents"))


@bp.post("/incidents/<int:incident_id>/skip")
def skip(incident_id):
    try:
        get_engine().management.skip_incident(incident_id, actor())
        flash(f"故障 {incident_id} 已跳过，流程继续向下流转。", "success")
    except EngineError as e:
        flash(str(e), "error")
    return redirect(url_for("admin.incidents"))
