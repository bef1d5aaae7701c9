"""Administrators' operations on the item page (管理操作): suspend and resume, cancel, return to an
earlier step, correct a data value. Administrators only; each asks why, and the work — one
transaction each, audited — is in webapp/engine/operations.py (free of Flask)."""
import json
from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_login import current_user

from ..engine.errors import EngineError, NotFound
from ..engine.operations import (MAIN_SCOPE, REASON_MAX, VALUE_KINDS, OperationInvalid, Operations, ReturnTarget,
                                 Scope, parse_value)
from ..models import Instance
from .helpers import actor, get_engine

bp = Blueprint("operations", __name__)

FIELDS = ("reason", "task_guid", "scope", "variable", "kind", "value")
PREVIEW_CHARS = 80


@dataclass
class OperationsPanel:
    status: str
    return_targets: list[ReturnTarget] = field(default_factory=list)
    scopes: list[Scope] = field(default_factory=list)
    form: str | None = None      # the operation posted with an error
    error: str | None = None
    values: dict = field(default_factory=dict)

    def value(self, form: str, name: str, default: str = "") -> str:
        return self.values.get(name, default) if self.form == form else default

    @property
    def variable_names(self) -> list[str]:
        return sorted({name for scope in self.scopes for name in scope.variables})


def preview(value) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…"


@bp.app_template_global()
def operations_panel(instance) -> OperationsPanel | None:
    """The item page's 管理操作 section, for administrators only."""
    if not getattr(current_user, "is_authenticated", False) or not current_user.is_admin:
        return None
    panel = OperationsPanel(instance.status)
    ops = Operations(get_engine())
    with get_engine().db.read() as session:
        try:
            panel.return_targets = ops.return_targets(session, instance.id)
            panel.scopes = ops.scopes(session, instance.id)
        except Exception:  # noqa: BLE001 - the page must render even if the state cannot be read
            panel.error = "无法读取该事项的流程状态，只能挂起或撤销。"
    posted = g.get("operations_posted")
    if posted:
        panel.form, panel.error, panel.values = posted
    return panel


@bp.app_context_processor
def operations_vocabulary():
    return {"operation_value_kinds": VALUE_KINDS, "operation_reason_max": REASON_MAX,
            "operation_preview": preview}


def _suspend(ops, instance_id, values, user):
    ops.suspend(instance_id, user, values["reason"])
    return "已挂起：办理暂停，待办不能提交，定时器和服务任务暂不执行。"


def _resume(ops, instance_id, values, user):
    ops.resume(instance_id, user, values["reason"])
    return "已恢复办理。"


def _cancel(ops, instance_id, values, user):
    ops.cancel(instance_id, user, values["reason"])
    return "已撤销：待办已取消，定时器和服务任务已移除。"


def _return(ops, instance_id, values, user):
    if not values["task_guid"]:
        raise OperationInvalid("请选择要退回到的环节")
    name = ops.return_to(instance_id, values["task_guid"], user, values["reason"])
    return f"已退回到“{name}”，之后的待办已取消。"


def _correct(ops, instance_id, values, user):
    value = parse_value(values["kind"], values["value"])
    ops.correct(instance_id, values["scope"] or MAIN_SCOPE, values["variable"], value, user, values["reason"])
    return f"已更正变量“{values['variable'].strip()}”；相关期限和定时器已按新值重新计算。"


ACTIONS = {"suspend": _suspend, "resume": _resume, "cancel": _cancel, "return": _return, "correct": _correct}


@bp.post("/instances/<int:instance_id>/operations/<operation>")
def run(instance_id, operation):
    user = actor()
    if not user.is_admin:
        abort(403, description="只有系统管理员可以执行管理操作（挂起、恢复、撤销、退回、更正数据）。")
    action = ACTIONS.get(operation)
    if action is None:
        abort(404)
    values = {k: request.form.get(k, "") for k in FIELDS}
    engine = get_engine()
    with engine.db.read() as session:
        if session.get(Instance, instance_id) is None:
            abort(404, description=f"事项实例 {instance_id} 不存在。")
    try:
        message = action(Operations(engine), instance_id, values, user)
    except NotFound as e:
        abort(404, description=str(e))
    except OperationInvalid as e:
        return _again(instance_id, operation, str(e), values, 422)
    except EngineError as e:  # refused in this state, or saved by someone else meanwhile
        return _again(instance_id, operation, str(e), values, 409)
    flash(message, "success")
    return redirect(url_for("instances.show", instance_id=instance_id) + "#operations")


def _again(instance_id, operation, message, values, status):
    from .instances import instance_page
    g.operations_posted = (operation, message, values)
    return instance_page(instance_id, status=status)
