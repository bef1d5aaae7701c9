"""The task page: the generated form, claiming, and completing through the engine."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for

from ..engine.errors import EngineError, NotFound
from ..engine.forms import FormErrors
from ..engine.tasks import can_complete, can_view, is_candidate
from .helpers import actor, get_engine, get_settings, redirect_back
from .consultations import consultation_panel
from .item_card import build_card, load_item
from .task_forms import Submission, initial_values, read_submission, units_for

bp = Blueprint("tasks", __name__)

TASK_STATUS = {"open": "待办理", "completed": "已完成", "cancelled": "已取消"}


def _visible_task(session, task_id: int, refusal: str = "您不是该任务的办理人或候选人，无权查看。"):
    try:
        task = get_engine().tasks.get(session, task_id)
    except NotFound:
        abort(404, description=f"任务 {task_id} 不存在。")
    if not can_view(actor(), task):
        abort(403, description=refusal)
    return task


def _render(task_id: int, submission: Submission | None = None, errors: dict | None = None,
            alert: str | None = None, status: int = 200):
    user = actor()
    with get_engine().db.read() as session:
        task = _visible_task(session, task_id)
        form = get_engine().tasks.form(task)
        values = initial_values(session, form, task.form_data or {})
        if submission is not None:
            values.update(submission.shown)  # everything the user entered wins over stored values
        units = units_for(session, form)
        letter_preview = get_engine().tasks.preview_property(task.instance, task.element_id, "letter_preview")
        case = _case_at_hand(session, user, task.instance)
    editable = task.status == "open" and task.instance.status != "suspended" and can_complete(user, task)
    context = dict(
        task=task, form=form, values=values, errors=errors or {}, alert=alert,
        uploads=submission.uploads if submission else {},
        units=units, units_by_code={u.code: u for u in units},
        editable=editable, lock_inputs=not editable and submission is None,
        can_claim=task.status == "open" and task.assignee_id is None and is_candidate(user, task),
        can_unclaim=task.status == "open" and task.assignee_id is not None
        and (task.assignee_id == user.id or user.is_admin),
        status_label=TASK_STATUS.get(task.status, task.status),
        max_upload=get_settings().max_upload_bytes,
        letter_preview=bool(letter_preview),
        instance=task.instance, **case,
    )
    return render_template("task.html", **context), status


def _case_at_hand(session, user, instance) -> dict:
    """The item's record and its consultation records under the form, so that whoever drafts, reviews or
    evaluates has the whole case on the page. Light: no workflow is read (the item page has the rest)."""
    item = load_item(session, instance)
    if item is None:
        return dict(item_card=None, consultations=None)
    card = build_card(session, user, instance, item, units=[], events=[], variables=None)
    card.progress = None  # the progress line belongs to the item page, which reads the history for it
    return dict(item_card=card, consultations=consultation_panel(session, user, instance, item))


@bp.get("/tasks/<int:task_id>")
def show(task_id):
    return _render(task_id)


@bp.post("/tasks/<int:task_id>")
def submit(task_id):
    with get_engine().db.read() as session:
        task = _visible_task(session, task_id)
        form = get_engine().tasks.form(task)
    submission = read_submission(form)
    try:
        instance_id = get_engine().tasks.complete(task_id, actor(), submission.raw)
    except FormErrors as e:
        return _render(task_id, submission, errors=e.errors, status=422,
                       alert=f"表单中有 {len(e.errors)} 处需要修改，请查看标红的字段。填写的内容均已保留。")
    except NotFound:
        abort(404, description=f"任务 {task_id} 不存在。")
    except EngineError as e:  # TaskNotOpen, NotAllowed, ConcurrentUpdate, InstanceNotRunning …
        return _render(task_id, submission, alert=str(e), status=409)
    flash("已提交", "success")
    return redirect(url_for("instances.show", instance_id=instance_id))


@bp.post("/tasks/<int:task_id>/claim")
def claim(task_id):
    with get_engine().db.read() as session:
        # Who may not even see the task is refused outright (403); the engine refuses the others.
        _visible_task(session, task_id, "您不在该任务的候选人或候选组中，不能认领。")
    try:
        get_engine().tasks.claim(task_id, actor())
        flash("已认领，任务已移到“我的任务”。", "success")
    except NotFound:
        abort(404, description=f"任务 {task_id} 不存在。")
    except EngineError as e:
        flash(str(e), "error")
    return redirect_back("inbox.index", tab="mine")


@bp.post("/tasks/<int:task_id>/unclaim")
def unclaim(task_id):
    with get_engine().db.read() as session:
        _visible_task(session, task_id, "只能退回自己认领的任务。")
    try:
        get_engine().tasks.unclaim(task_id, actor())
        flash("已退回，任务回到“待认领”。", "success")
    except NotFound:
        abort(404, description=f"任务 {task_id} 不存在。")
    except EngineError as e:
        flash(str(e), "error")
    return redirect_back("inbox.index", tab="groups")
