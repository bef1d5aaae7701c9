"""Instances (事项): the searchable list, starting a process, and one instance's page with its history
and the supervision panel (supervision.py)."""
import json
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import or_, select

from ..engine.errors import EngineError
from ..engine.history import ACTION_LABELS
from ..engine.runtime import STATUS_LABELS
from ..items import ITEM_PROCESS
from ..models import HumanTask, Instance, Job, Unit, User, utcnow
from .access import can_view_instance, sees_as_proposer_only, visible_instances_clause
from .consultations import consultation_panel
from .helpers import actor, get_engine
from .item_card import build_card, load_item, variables_and_units
from .supervision import TEXT_MAX, URGE_METHODS, panel, readable_payload

bp = Blueprint("instances", __name__)

PAGE_SIZE = 50
# History rows of the engine's own bookkeeping, hidden on the item page until asked for: people read what
# was decided and by whom (completed tasks, messages, timers, incidents, operations).
AUTOMATIC_ACTIONS = ("task_created", "step", "job_done")
# What a deputy or member reads of his item's history (webapp/web/access.py sees_as_proposer_only).
PROPOSER_ACTIONS = ("instance_started", "task_completed", "instance_completed", "instance_suspended",
                    "instance_resumed", "instance_cancelled")
# Processes started by a service of their own, never from the generic start form.
STARTED_ELSEWHERE = (ITEM_PROCESS,)  # an item's main process starts when the item is registered (/items/new)
DETAIL_LABELS = {"data": "提交内容", "version": "流程版本", "error": "错误", "attempt": "第几次",
                 "attempts": "尝试次数", "retry_in_seconds": "重试间隔（秒）", "topic": "服务主题",
                 "result": "结果", "due_at": "到期时间", "reason": "原因", "from_version": "原版本",
                 "to_version": "新版本", "changes": "变化", "scope": "流程范围", "variable": "变量",
                 "old_value": "原值", "new_value": "新值"}


# --- list and start ---------------------------------------------------------------------------------

def _list_context(session, user, args) -> dict:
    search = args.get("q", "").strip()
    status = args.get("status", "")
    page = max(int(args.get("page", "1")) if args.get("page", "1").isdigit() else 1, 1)
    query = select(Instance).where(visible_instances_clause(user))
    if search:
        like = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Instance.business_key.ilike(like, escape="\\"), Instance.title.ilike(like, escape="\\")))
    if status in STATUS_LABELS:
        query = query.where(Instance.status == status)
    query = query.order_by(Instance.started_at.desc(), Instance.id.desc())
    rows = list(session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    instances, has_next = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    current = {}
    if instances:  # the open steps of every listed instance, in one query
        for instance_id, name in session.execute(
                select(HumanTask.instance_id, HumanTask.name)
                .where(HumanTask.instance_id.in_([i.id for i in instances]), HumanTask.status == "open")
                .order_by(HumanTask.id)):
            current.setdefault(instance_id, []).append(name)
    return dict(instances=instances, current=current, search=search, status=status, page=page,
                has_next=has_next, statuses=STATUS_LABELS,
                processes=get_engine().repository.startable_processes(session, exclude=STARTED_ELSEWHERE, user=user))


@bp.get("/instances")
def index():
    with get_engine().db.read() as session:
        context = _list_context(session, actor(), request.args)
    return render_template("instances.html", start={}, start_error=None, **context)


@bp.post("/instances")
def start():
    start = {k: request.form.get(k, "").strip() for k in ("process_key", "business_key", "title")}
    error = None
    if not start["process_key"]:
        error = "请选择要发起的流程。"
    elif not start["business_key"]:
        error = "请填写业务编号。"
    elif not _startable_here(start["process_key"]):
        error = (f"不能在此发起流程“{start['process_key']}”：建议、提案请在“新建事项”中登记，"
                 "由其他流程调用的流程随调用它的流程办理。")
    elif not _may_start(start["process_key"]):  # the diagram names who may start it
        abort(403, description=f"您无权发起流程“{start['process_key']}”。")
    else:
        try:
            instance_id = get_engine().runtime.start(start["process_key"], start["business_key"],
                                                     title=start["title"], actor=actor())
        except EngineError as e:
            error = str(e)
        else:
            flash("已发起", "success")
            return redirect(url_for("instances.show", instance_id=instance_id))
    with get_engine().db.read() as session:
        context = _list_context(session, actor(), request.args)
    return render_template("instances.html", start=start, start_error=error, **context), 422


def _may_start(process_key) -> bool:
    repository = get_engine().repository
    with get_engine().db.read() as session:
        deployment_id = repository.latest_deployment_id(session)
    return repository.may_start(deployment_id, process_key, actor())


def _startable_here(process_key) -> bool:
    with get_engine().db.read() as session:
        return any(p.process_key == process_key for p in
                   get_engine().repository.startable_processes(session, exclude=STARTED_ELSEWHERE))


# --- one instance ------------------------------------------------------------------------------------

@bp.get("/instances/<int:instance_id>")
def show(instance_id):
    return instance_page(instance_id)


def instance_page(instance_id, supervision: dict | None = None, status: int = 200):
    """The item's page; `supervision` is the state of a supervision form posted with errors."""
    engine = get_engine()
    user = actor()
    with engine.db.read() as session:
        instance = session.get(Instance, instance_id)
        if instance is None:
            abort(404, description=f"事项实例 {instance_id} 不存在。")
        supervision_panel = panel(session, user, instance, supervision)
        # Whoever may act on the item now (e.g. a handling unit's 主要领导 asking for more time) sees it.
        if not can_view_instance(session, user, instance_id) and not (
                supervision_panel.extension_units or supervision_panel.urge_units):
            abort(403, description="您没有参与该事项，无权查看。")
        open_tasks = list(session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open").order_by(HumanTask.id)))
        events = engine.history.for_instance(session, instance_id)
        automatic_steps = _automatic_steps_under_way(session, instance) if not open_tasks else []
        starter = session.get(User, instance.started_by_id) if instance.started_by_id else None
        item = load_item(session, instance)  # the 事项信息 card of an item's main process
        variables, unit_rows = variables_and_units(session, engine.runtime, instance, item, engine.clock.today())
        item_card = None if item is None else build_card(session, user, instance, item, unit_rows, events, variables)
        consultations = consultation_panel(session, user, instance, item)  # 协商记录 and the proposer's answers
        names = _Names(session)
        proposer_view = sees_as_proposer_only(user)
        if proposer_view:  # the steps taken and by whom; only his own entries with their content
            events = [e for e in events if e.action in PROPOSER_ACTIONS]
        history = [dict(event=e, label=ACTION_LABELS.get(e.action, e.action), automatic=e.action in AUTOMATIC_ACTIONS,
                        detail=_readable_detail(instance, e, names)
                        if not proposer_view or e.actor_id == user.id else None) for e in events]
        if proposer_view:
            variables = None
    return render_template("instance.html", instance=instance, open_tasks=open_tasks, history=history,
                           starter=starter, detail_labels=DETAIL_LABELS, supervision=supervision_panel,
                           urge_methods=URGE_METHODS, text_max=TEXT_MAX, item_card=item_card, consultations=consultations,
                           earliest_due=engine.clock.today() + timedelta(days=1), proposer_view=proposer_view,
                           automatic_steps=automatic_steps,
                           variables_json=None if variables is None else
                           json.dumps(variables, ensure_ascii=False, indent=2, sort_keys=True, default=str)), status


def _automatic_steps_under_way(session, instance) -> list[str]:
    """The service tasks the worker is about to run for a running instance without open tasks (e.g. right after
    分类甄选: 更新事项登记信息), so the page can say so and refresh itself when they are done. Jobs waiting
    for a later retry or stopped as incidents do not count: the page would otherwise refresh for nothing."""
    if instance.status != "running":
        return []
    soon = utcnow() + timedelta(seconds=30)
    return list(session.scalars(select(Job.name).where(
        Job.instance_id == instance.id, Job.status.in_(("pending", "running")), Job.run_at <= soon).order_by(Job.id)))


class _Names:
    """Unit names by code, read once and only if a history row needs them."""

    def __init__(self, session):
        self.session, self._units = session, None

    def unit(self, code):
        if self._units is None:
            self._units = dict(self.session.execute(select(Unit.code, Unit.name)).all())
        return self._units.get(code, code)


def _readable_detail(instance, event, names: _Names) -> dict | None:
    """The event's detail with submitted data keyed by field label, choices and units by their names."""
    detail = event.detail
    if event.action == "message" and detail and isinstance(detail.get("data"), dict):
        return {**detail, "data": readable_payload(detail["data"])}
    if not detail or event.action != "task_completed" or not isinstance(detail.get("data"), dict):
        return detail
    form = _form_of(instance, event.element_id)
    if form is None:
        return detail
    data = {}
    for key, value in detail["data"].items():
        f = form.field(key)
        if f is not None and f.type == "enum":
            value = dict(f.options).get(value, value)
        elif f is not None and f.type == "unit" and value:
            value = names.unit(value)
        elif f is not None and f.type == "units" and isinstance(value, list):
            value = [names.unit(code) for code in value]
        data[f.label if f is not None else key] = value
    return {**detail, "data": data}


def _form_of(instance, element_id):
    try:  # the form definition of the instance's own deployment (cached by the engine)
        return get_engine().tasks.form_for(instance, element_id)
    except Exception:  # noqa: BLE001 - a history row must render even if its definition cannot be read
        return None

