"""Task service: inboxes as SQL queries, claim / unclaim, and completing a task with its form."""
import copy
from types import SimpleNamespace
from uuid import UUID

from sqlalchemy import and_, bindparam, exists, or_, select, update

from ..models import HumanTask, Instance, RoleAssignment, TaskCandidate, Unit, User, utcnow
from .runtime import INSTANCE_COLUMNS, OFFICE_TZ
from . import expressions, forms, history
from .errors import ConcurrentUpdate, EngineError, NotAllowed, NotFound, TaskNotOpen

_HUMAN_TASKS, _CANDIDATES, _USERS = HumanTask.__table__, TaskCandidate.__table__, User.__table__
_INSTANCES = Instance.__table__

# Statements of the hot path, built once.
_completer = _USERS.alias("completer")
_OPEN_TASK = (select(_HUMAN_TASKS.c.id.label("task_id"), _HUMAN_TASKS.c.instance_id, _HUMAN_TASKS.c.task_guid,
                     _HUMAN_TASKS.c.element_id, _HUMAN_TASKS.c.name, _HUMAN_TASKS.c.status.label("task_status"),
                     _HUMAN_TASKS.c.assignee_id, _HUMAN_TASKS.c.unit_id, _HUMAN_TASKS.c.completed_at,
                     _HUMAN_TASKS.c.completed_by_id,
                     _HUMAN_TASKS.c.lock_version.label("task_version"),
                     _USERS.c.display_name.label("assignee_name"), _completer.c.display_name.label("completer_name"),
                     *INSTANCE_COLUMNS)
              .join(_INSTANCES, _INSTANCES.c.id == _HUMAN_TASKS.c.instance_id)
              .outerjoin(_USERS, _USERS.c.id == _HUMAN_TASKS.c.assignee_id)
              .outerjoin(_completer, _completer.c.id == _HUMAN_TASKS.c.completed_by_id)
              .where(_HUMAN_TASKS.c.id == bindparam("id_")))
_OPEN_TASK_FOR_UPDATE = _OPEN_TASK.with_for_update(of=(_HUMAN_TASKS, _INSTANCES))
_CANDIDATES_OF = select(_CANDIDATES.c.kind, _CANDIDATES.c.value).where(_CANDIDATES.c.human_task_id == bindparam("id_"))
_SET_TASK = (update(_HUMAN_TASKS)
             .where(_HUMAN_TASKS.c.id == bindparam("id_"), _HUMAN_TASKS.c.status == "open",
                    _HUMAN_TASKS.c.lock_version == bindparam("seen_version"))
             .values(lock_version=bindparam("lock_version"), assignee_id=bindparam("assignee_id"),
                     status=bindparam("status"), completed_at=bindparam("completed_at"),
                     completed_by_id=bindparam("completed_by_id")))


def eligible_clause(user: User):
    """SQL condition: the user is a candidate (by name, or by a role held in the task's unit)."""
    TC = TaskCandidate
    by_user = exists().where(TC.human_task_id == HumanTask.id, TC.kind == "user", TC.value == user.username)
    # One EXISTS over both tables: a nested EXISTS would not be correlated to the outer human_tasks
    # (SQLAlchemy correlates to the enclosing SELECT only) and would ignore the task's unit.
    by_group = exists().where(
        TC.human_task_id == HumanTask.id, TC.kind == "group",
        RoleAssignment.user_id == user.id, RoleAssignment.role_code == TC.value,
        or_(HumanTask.unit_id.is_(None), RoleAssignment.unit_id == HumanTask.unit_id))
    return or_(by_user, by_group)


def is_candidate(user: User, task: HumanTask) -> bool:
    for c in task.candidates:
        if c.kind == "user" and c.value == user.username:
            return True
        if c.kind == "group" and any(r.role_code == c.value and (task.unit_id is None or r.unit_id == task.unit_id)
                                     for r in user.roles):
            return True
    return False


def can_complete(user: User, task: HumanTask) -> bool:
    if task.assignee_id is not None:
        return task.assignee_id == user.id
    return is_candidate(user, task)


def can_view(user: User, task: HumanTask) -> bool:
    return user.is_admin or task.assignee_id == user.id or is_candidate(user, task)


class Tasks:
    def __init__(self, db, runtime):
        self.db = db
        self.runtime = runtime

    # --- inbox ---

    def inbox(self, session, user: User, scope: str = "all") -> list[HumanTask]:
        """Open tasks: `mine` (assigned to me), `groups` (unclaimed, I am a candidate), `all` (both)."""
        mine = HumanTask.assignee_id == user.id
        groups = and_(HumanTask.assignee_id.is_(None), eligible_clause(user))
        condition = {"mine": mine, "groups": groups}.get(scope, or_(mine, groups))
        query = (select(HumanTask).where(HumanTask.status == "open", condition)
                 .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.priority.desc(), HumanTask.id))
        return list(session.scalars(query))

    def get(self, session, human_task_id: int) -> HumanTask:
        task = session.get(HumanTask, human_task_id)
        if task is None:
            raise NotFound(f"任务 {human_task_id} 不存在")
        return task

    def form(self, task: HumanTask) -> forms.Form:
        """The task's form definition, from the cached spec of the instance's deployment."""
        return self.form_for(task.instance, task.element_id)

    def form_for(self, instance, element_id: str) -> forms.Form:
        """The form of a user task of an instance's own deployment (not necessarily the newest)."""
        spec, subprocess_specs = self.runtime.repository.specs.get(instance.deployment_id, instance.process_key)
        for candidate in (spec, *subprocess_specs.values()):  # the task may sit in a called process
            if element_id in candidate.task_specs:
                task_spec = candidate.task_specs[element_id]
                if not hasattr(task_spec, "form"):  # a multi-instance task: the form is its child's
                    task_spec = candidate.task_specs[task_spec.task_spec]
                return task_spec.form
        raise NotFound(f"流程定义中找不到任务 {element_id}")

    # --- what a later service task would be given (previews) ---

    def preview_property(self, instance, element_id: str, name: str) -> str | None:
        """The value of the extension property `name` of a user task, e.g. `letter_preview`."""
        ext = getattr(self._task_spec(instance, element_id)[0], "extensions", None)
        return ext.properties.get(name) if ext is not None else None

    def service_parameters(self, session, task: HumanTask, property_name: str, values: dict) -> tuple[str, dict]:
        """The input parameters of the service task named by the user task's extension property
        `property_name` (e.g. `letter_preview` = "generate_letter"), evaluated with the engine's
        expressions on the task's data merged with `values` — a form's current, unsaved values; an empty
        value counts as not filled in. A variable not set (yet) gives None. Reads only: nothing of the
        instance changes. Returns (topic, parameters); raises NotFound, or EngineError naming the
        parameter whose expression failed."""
        user_spec, process_spec = self._task_spec(task.instance, task.element_id)
        target_id = getattr(user_spec, "extensions", None) and user_spec.extensions.properties.get(property_name)
        if not target_id:
            raise NotFound(f"任务“{task.name}”没有声明 {property_name}")
        target = process_spec.task_specs.get(target_id)
        if target is None or not getattr(target.extensions, "topic", None):
            raise NotFound(f"任务“{task.name}”的 {property_name} 指向的服务任务“{target_id}”不存在")
        workflow = self.runtime.load(session, task.instance_id, lock=False, must_run=False).workflow
        spiff_task = workflow.get_task_from_id(UUID(task.task_guid))
        if spiff_task is None:
            raise NotFound("该任务的流程数据已不在（流程已结束或已退回重办），无法预览。")
        context = copy.deepcopy(spiff_task.data)
        for key, value in values.items():
            if value in ("", None, []):
                context.pop(key, None)
            else:
                context[key] = value
        params = {}
        for name, text in target.extensions.input_parameters.items():
            if not expressions.is_wrapped(text):
                params[name] = text
                continue
            try:
                params[name] = expressions.SCRIPT_ENGINE.environment.evaluate(
                    expressions.unwrap(text), copy.copy(context))
            except NameError:  # a value not filled in yet: the preview shows its placeholder
                params[name] = None
            except expressions.ExpressionError as e:
                raise EngineError(f"参数“{name}”的表达式不可用：{e}") from None
            except Exception as e:
                raise EngineError(f"参数“{name}”的表达式无法计算（{type(e).__name__}：{e}）") from None
        return target.extensions.topic, params

    def _task_spec(self, instance, element_id: str):
        """(task spec, the spec of the process that holds it) of a user task of the instance's deployment;
        for a multi-instance task its child's spec."""
        spec, subprocess_specs = self.runtime.repository.specs.get(instance.deployment_id, instance.process_key)
        for candidate in (spec, *subprocess_specs.values()):
            if element_id in candidate.task_specs:
                task_spec = candidate.task_specs[element_id]
                if not hasattr(task_spec, "form"):
                    task_spec = candidate.task_specs[task_spec.task_spec]
                return task_spec, candidate
        raise NotFound(f"流程定义中找不到任务 {element_id}")

    # --- claim ---

    def claim(self, human_task_id: int, user: User) -> None:
        with self.db.write() as session:
            task = self._open_task(session, human_task_id, lock=True)
            if task.assignee_id == user.id:
                return
            if task.assignee_id is not None:
                raise NotAllowed(f"该任务已由{task.assignee_name}认领")
            if not is_candidate(user, task):
                raise NotAllowed("您不在该任务的候选人或候选组中，不能认领")
            self._set(session, task, assignee_id=user.id)
            history.record(session, task.instance_id, "task_claimed", user, task.element_id, task.name)

    def unclaim(self, human_task_id: int, user: User) -> None:
        with self.db.write() as session:
            task = self._open_task(session, human_task_id, lock=True)
            if task.assignee_id != user.id and not user.is_admin:
                raise NotAllowed("只能退回自己认领的任务")
            self._set(session, task, assignee_id=None)
            history.record(session, task.instance_id, "task_unclaimed", user, task.element_id, task.name)

    # --- complete ---

    def complete(self, human_task_id: int, user: User, submitted: dict) -> int:
        """Validate the submission, complete the task, run the engine and save, in one transaction.

        Returns the instance id. Raises FormErrors (nothing saved), TaskNotOpen, NotAllowed,
        ConcurrentUpdate.
        """
        with self.db.write() as session:
            task = self._open_task(session, human_task_id, lock=True)
            if not can_complete(user, task):
                who = f"已由{task.assignee_name}认领" if task.assignee_id else "您不在候选人或候选组中"
                raise NotAllowed(f"您不能办理该任务（{who}）")
            unit = self.runtime.unit_from_row(session, task.instance_row, actor=user)
            spiff_task = unit.ready_task(task.task_guid)
            if spiff_task is None:
                raise TaskNotOpen("该任务已经办理或已被取消，您的填写未提交。")
            form = spiff_task.task_spec.form
            values = forms.validate(form, submitted, current=spiff_task.data,
                                    unit_codes=lambda: session.scalars(select(Unit.code)))
            values = unit.store_values(values, {f.id: f.type for f in form.fields})
            spiff_task.data.update(values)
            unit.apply_output_parameters(spiff_task)  # before run: a multi-instance collects them on completion
            spiff_task.run()
            self._set(session, task, status="completed", completed_at=utcnow(), completed_by_id=user.id,
                      assignee_id=task.assignee_id or user.id)
            history.record(session, task.instance_id, "task_completed", user, task.element_id, task.name,
                           detail={"data": values})
            unit.do_engine_steps()
            unit.save()
            return task.instance_id

    def _open_task(self, session, human_task_id: int, lock=False) -> SimpleNamespace:
        """The task's index row with its candidates, names and instance columns; refuses closed tasks."""
        query = _OPEN_TASK_FOR_UPDATE if lock and not self.db.is_sqlite else _OPEN_TASK
        row = session.connection().execute(query, {"id_": human_task_id}).first()
        if row is None:
            raise NotFound(f"任务 {human_task_id} 不存在")
        if row.task_status == "completed":
            when = row.completed_at.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M") if row.completed_at else ""
            # After waiting for the lock PostgreSQL re-reads the locked rows only: the joined name is
            # the one from before the other person completed the task (none), so look it up.
            name = row.completer_name or (row.completed_by_id and session.scalar(
                select(User.display_name).where(User.id == row.completed_by_id)))
            raise TaskNotOpen(f"该任务已由{name or '他人'}于 {when} 办理完成，您的填写未提交。")
        if row.task_status != "open":
            raise TaskNotOpen("该任务已被取消（流程已转到其他环节），您的填写未提交。")
        return SimpleNamespace(id=row.task_id, instance_id=row.instance_id, task_guid=row.task_guid,
                               element_id=row.element_id, name=row.name, status=row.task_status,
                               assignee_id=row.assignee_id, assignee_name=row.assignee_name, unit_id=row.unit_id,
                               lock_version=row.task_version, instance_row=row,
                               candidates=session.connection().execute(_CANDIDATES_OF, {"id_": row.task_id}).all())

    @staticmethod
    def _set(session, task, **values):
        """Update an open task row; a concurrent change of the same row makes this attempt fail."""
        values = {"assignee_id": task.assignee_id, "status": "open", "completed_at": None, "completed_by_id": None,
                  **values, "id_": task.id, "seen_version": task.lock_version, "lock_version": task.lock_version + 1}
        if session.connection().execute(_SET_TASK, values).rowcount != 1:
            raise ConcurrentUpdate("该任务刚被其他人处理，您的操作未保存，请刷新后重试。")
