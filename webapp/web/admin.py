"""Administration: open incidents (service tasks that failed every retry), to retry or skip; the
named deadline rules, changed with a reason and kept in an audit trail, and on request applied to
the items in handling (their open due dates and timers recomputed)."""
import logging
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ..clock import CalendarError
from ..clock.service import check_rule_value
from ..engine.errors import EngineError
from ..models import DeadlineRule, DeadlineRuleChange
from .helpers import actor, get_engine, restrict

# The units as administrators read them (the clock's own labels say 日 for calendar days).
UNIT_LABELS = {"workdays": "个工作日", "months": "个月", "days": "个自然日"}

bp = Blueprint("admin", __name__, url_prefix="/admin")
log = logging.getLogger(__name__)


restrict(bp, lambda user: user.is_admin,
         lambda endpoint: "只有系统管理员可以修改期限规则。" if endpoint.startswith("admin.deadline")
         else "只有系统管理员可以处理故障。")


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


# --- deadline rules -----------------------------------------------------------------------------------

def _deadline_page(errors=None, form=None, status=200):
    engine = get_engine()
    with engine.db.read() as session:  # the rules and every rule's trail in two queries
        rules = list(session.scalars(select(DeadlineRule).order_by(DeadlineRule.id)))
        history: dict[int, list] = {}
        for change in session.scalars(select(DeadlineRuleChange).order_by(DeadlineRuleChange.id.desc())):
            history.setdefault(change.rule_id, []).append(change)
    return render_template("admin_deadlines.html", rules=rules, history=history, units=UNIT_LABELS,
                           errors=errors or {}, form=form or {}, today=engine.clock.today()), status


@bp.get("/deadlines")
def deadlines():
    return _deadline_page()


@bp.post("/deadlines/<name>")
def deadline_change(name):
    engine = get_engine()
    if name not in {r.name for r in engine.clock.rules()}:
        abort(404, description=f"期限规则“{name}”不存在。")
    form = request.form
    errors = []
    raw_value = (form.get("value") or "").strip()
    value = None
    if not raw_value:
        errors.append("请填写期限数值。")
    elif not raw_value.lstrip("-").isdigit():
        errors.append("期限数值必须是整数。")
    else:
        value = int(raw_value)
        if value < 1:
            errors.append("期限数值必须大于 0。")
    unit = form.get("unit") or ""
    if unit not in UNIT_LABELS:
        errors.append("请选择期限单位（个工作日、个月或个自然日）。")
    raw_from = (form.get("effective_from") or "").strip()
    effective_from = None
    if raw_from:
        try:
            effective_from = date.fromisoformat(raw_from)
        except ValueError:
            errors.append("生效日期格式应为 YYYY-MM-DD。")
    reason = (form.get("reason") or "").strip()
    if not reason:
        errors.append("请填写修改原因。")
    elif len(reason) > 500:
        errors.append("修改原因不能超过 500 字。")
    if not errors:
        try:
            check_rule_value(value, unit)
        except CalendarError as e:
            errors.append(f"{e}。" if not str(e).endswith("。") else str(e))
    if errors:
        return _deadline_page(errors={name: errors}, form={name: dict(form)}, status=400)
    user = actor()
    try:
        change = engine.clock.change_rule(name, value=value, unit=unit, effective_from=effective_from,
                                          by=user.display_name or user.username, reason=reason)
    except CalendarError as e:
        return _deadline_page(errors={name: [str(e)]}, form={name: dict(form)}, status=400)
    if change is None:
        flash("期限数值和单位与现行规则相同，没有修改。", "info")
    else:
        flash("已保存，新的期限立即生效", "success")
    if form.get("refresh"):  # also when unchanged: applies an earlier change to the open items now
        refresh_open_deadlines(engine, f"期限规则调整：{name}")
    return redirect(url_for("admin.deadlines") + f"#rule-{name}")


def refresh_open_deadlines(engine, reason: str = "工作日历调整") -> None:
    """Recompute the due dates and timers of every item in handling from the rules and calendar now
    in force (the change is saved already: a failure is reported, not turned into an error page).
    Items whose deadlines move get a history entry naming `reason` and the administrator."""
    try:
        count = engine.runtime.refresh_deadlines(actor=actor(), reason=reason)
    except Exception:  # noqa: BLE001
        log.exception("recomputing the open deadlines failed")
        flash("修改已保存，但重新计算办理中事项的期限时出错（已记录日志），部分事项可能仍是原期限。"
              "请稍后重试，或联系技术人员处理。", "error")
        return
    flash(f"已重新计算 {count} 件办理中事项的期限和定时器。", "info")


def calendar_context() -> dict:
    """Template context for administrators' pages: the years (this one and the next) the calendar
    does not cover, for the banner in the header."""
    from flask_login import current_user
    if not getattr(current_user, "is_authenticated", False) or not current_user.is_admin:
        return {}
    try:
        clock = get_engine().clock
        year = clock.today().year
        missing = clock.missing_years(year, year + 1)
    except Exception:  # noqa: BLE001 - an error page must render even when the database is down
        missing = []
    return {"calendar_missing_years": missing}
