"""Supervision on the item page (PROCESS.md §4): a handling unit's 综合科室 or 主要领导 asks for more
time (延期申请, which the office approves in its task 审批延期申请), and the office urges a handling
unit (网上督办 / 电话催办, which the unit's 综合科室 answers in 答复督办).

Both are messages to one unit's handling (`bpmn/unit_handling.bpmn`, on the boundary of `handling`):
`extension_requested` and `urge`, delivered with `Runtime.correlate(…, where={"unit": code})`. Which
units can receive them is read from the instance (`Runtime.waiting_messages`), never taken from the
form. A refusal (403) or invalid input (422) records and changes nothing; invalid input shows the
page again with what was typed.
"""
import logging
import re
from dataclasses import dataclass, field
from datetime import date

from flask import Blueprint, abort, flash, redirect, request, url_for
from sqlalchemy import select

from ..engine.errors import EngineError
from ..models import Instance, Unit
from .access import EXTENSION_ROLES, URGE_ROLE, holds_role, may_supervise, unit_codes_with_role
from .helpers import actor, get_engine

log = logging.getLogger(__name__)

bp = Blueprint("supervision", __name__)

EXTENSION, URGE = "extension_requested", "urge"  # the message names in the diagrams
URGE_METHODS = {"online": "网上督办", "phone": "电话催办"}
TEXT_MAX = 500
LAST_DAY = date(2099, 12, 31)  # the work calendar's last year (see admin_calendar.LAST_YEAR)
# The messages' payload as the item's history shows it.
PAYLOAD_LABELS = {"extension_reason": "延期理由", "requested_due": "申请延期至",
                  "urge_method": "督办方式", "urge_message": "督办内容"}
PAYLOAD_VALUES = {"urge_method": URGE_METHODS}


@dataclass
class Panel:
    """What the supervision panel offers the user, and the state of a form posted with errors."""
    extension_units: list[tuple[str, str]] = field(default_factory=list)  # (code, name) handling units of the user's
    urge_units: list[tuple[str, str]] = field(default_factory=list)       # (code, name) handling units, for the office
    form: str | None = None  # the form posted: "extension" or "urge"
    values: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    alert: str | None = None

    @property
    def shown(self) -> bool:
        return bool(self.extension_units or self.urge_units or self.alert)

    def value(self, form: str, name: str, default: str = "") -> str:
        return self.values.get(name, default) if self.form == form else default


def panel(session, user, instance, posted: dict | None = None) -> Panel:
    """The panel for `user` on `instance` (with the state of a posted form, if any)."""
    result = Panel(**(posted or {}))
    if instance.status != "running" or not may_supervise(user):
        return result
    try:
        waiting = get_engine().runtime.waiting_messages(session, instance.id)
    except Exception:  # noqa: BLE001 - the item page must render even if the state cannot be read
        log.exception("reading the waiting messages of instance %s failed", instance.id)
        return result
    codes = {c for c in waiting.get(EXTENSION, []) + waiting.get(URGE, []) if c}
    names = dict(session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(codes))).all()) if codes else {}
    own = unit_codes_with_role(user, EXTENSION_ROLES)
    result.extension_units = [(c, names.get(c, c)) for c in waiting.get(EXTENSION, []) if c and c in own]
    if holds_role(user, URGE_ROLE):
        result.urge_units = [(c, names.get(c, c)) for c in waiting.get(URGE, []) if c]
    return result


def readable_payload(data: dict) -> dict:
    """A message's payload keyed by Chinese labels, choices by their names (for the history)."""
    return {PAYLOAD_LABELS.get(k, k): PAYLOAD_VALUES.get(k, {}).get(v, v) for k, v in data.items()}


# --- the two forms ----------------------------------------------------------------------------------------

def _current_panel(instance_id: int) -> Panel:
    with get_engine().db.read() as session:
        instance = session.get(Instance, instance_id)
        if instance is None:
            abort(404, description=f"事项实例 {instance_id} 不存在。")
        return panel(session, actor(), instance)


def _again(instance_id: int, form: str, values: dict, errors=None, alert=None, status=422):
    from .instances import instance_page  # imported here: the page module imports this one for the panel
    return instance_page(instance_id, supervision=dict(form=form, values=values, errors=errors or [], alert=alert),
                         status=status)


def _text(value: str, errors: list, what: str) -> str:
    if not value:
        errors.append(f"请填写{what}。")
    elif len(value) > TEXT_MAX:
        errors.append(f"{what}不能超过 {TEXT_MAX} 字（现为 {len(value)} 字）。")
    return value


def _new_due(raw: str, errors: list) -> date | None:
    if not raw:
        errors.append("请填写申请延期至的日期。")
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise ValueError
        day = date.fromisoformat(raw)
    except ValueError:
        errors.append(f"日期“{raw}”无法识别，格式应为 YYYY-MM-DD（如 2027-04-30）。")
        return None
    today = get_engine().clock.today()
    if day <= today:
        errors.append(f"申请延期至的日期必须晚于今天（{today.isoformat()}）。")
    elif day > LAST_DAY:
        errors.append(f"申请延期至的日期不能晚于 {LAST_DAY.isoformat()}。")
    return day


def _chosen(units: list[tuple[str, str]], raw: str) -> str:
    """The unit the form names; the only one when there is one and the form names none."""
    if not raw and len(units) == 1:
        return units[0][0]
    return raw


@bp.post("/instances/<int:instance_id>/extension")
def request_extension(instance_id):
    user = actor()
    values = {k: (request.form.get(k) or "").strip() for k in ("unit", "extension_reason", "requested_due")}
    if not unit_codes_with_role(user, EXTENSION_ROLES):
        abort(403, description="只有承办单位的综合科室或主要领导可以申请延期。")
    current = _current_panel(instance_id)
    units = dict(current.extension_units)
    if not units:
        abort(403, description="您所在的单位当前没有在办理该事项，不能申请延期（该事项可能尚未进入办理阶段，或本单位已办结）。")
    unit = _chosen(current.extension_units, values["unit"])
    if unit not in units:
        abort(403, description="只能为本单位正在办理的事项申请延期。")
    errors: list[str] = []
    reason = _text(values["extension_reason"], errors, "延期理由")
    due = _new_due(values["requested_due"], errors)
    if errors:
        return _again(instance_id, "extension", values, errors)
    try:
        get_engine().runtime.correlate(instance_id, EXTENSION, {"extension_reason": reason,
                                                                "requested_due": due.isoformat()},
                                       where={"unit": unit}, actor=user, label=f"申请延期（{units[unit]}）")
    except EngineError as e:  # the handling ended (or the item changed) since the page was shown
        return _again(instance_id, "extension", values, alert=str(e), status=409)
    flash(f"已为{units[unit]}提交延期申请（申请延期至 {due.isoformat()}），等待市政府办公室审批。", "success")
    return redirect(url_for("instances.show", instance_id=instance_id))


@bp.post("/instances/<int:instance_id>/urge")
def urge(instance_id):
    user = actor()
    values = {k: (request.form.get(k) or "").strip() for k in ("unit", "urge_method", "urge_message")}
    if not holds_role(user, URGE_ROLE):
        abort(403, description="只有市政府办公室可以催办。")
    current = _current_panel(instance_id)
    units = dict(current.urge_units)
    if not units:
        return _again(instance_id, "urge", values, status=409,
                      alert="该事项当前没有正在办理的承办单位，无法催办（可能尚未进入办理阶段或已经办结）。")
    errors: list[str] = []
    unit = _chosen(current.urge_units, values["unit"])
    if not unit:
        errors.append("请选择要催办的承办单位。")
    elif unit not in units:
        errors.append("所选单位当前没有在办理该事项，请选择正在办理的承办单位。")
    if values["urge_method"] not in URGE_METHODS:
        errors.append("请选择督办方式（网上督办或电话催办）。")
    message = _text(values["urge_message"], errors, "督办内容")
    if errors:
        return _again(instance_id, "urge", values, errors)
    try:
        get_engine().runtime.correlate(instance_id, URGE, {"urge_message": message,
                                                           "urge_method": values["urge_method"]},
                                       where={"unit": unit}, actor=user, label=f"催办（{units[unit]}）")
    except EngineError as e:
        return _again(instance_id, "urge", values, alert=str(e), status=409)
    flash(f"已向{units[unit]}{URGE_METHODS[values['urge_method']]}，等待其答复。", "success")
    return redirect(url_for("instances.show", instance_id=instance_id))
