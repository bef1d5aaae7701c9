"""Task service: inboxes as SQL queries, claim / unclaim, and completing a task with its form."""
from sqlalchemy import and_, exists, or_, select

from ..models import HumanTask, RoleAssignment, TaskCandidate, Unit, User, utcnow
from . import forms, history
from .errors import NotAllowed, NotFound, TaskNotOpen


def _eligible_clause(user: User):
    """SQL condition: the user is a candidate (by name, or by a role held in the task's unit)."""
    TC = TaskCandidate
    by_user = exists().where(TC.human_task_id == HumanTask.id, TC.kind == "user", TC.value == user.username)
    by_group = exists().where(
        TC.human_task_id == HumanTask.id, TC.kind == "group",
        exists().where(RoleAssignment.user_id == user.id, RoleAssignment.role_code == TC.value,
                       or_(HumanTask.unit_id.is_(None), RoleAssignment.unit_id == HumanTask.unit_id)))
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
        groups = and_(HumanTask.assignee_id.is_(None), _eligible_clause(user))
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
        spec, subprocess_specs = self.runtime.repository.specs.get(task.instance.deployment_id,
                                                                   task.instance.process_key)
        for candidate in (spec, *subprocess_specs.values()):  # the task may sit in a called process
            if task.element_id in candidate.task_specs:
                return candidate.task_specs[task.element_id].form
        raise NotFound(f"流程定义中找不到任务 {task.element_id}")

    # --- claim ---

    def claim(self, human_task_id: int, user: User) -> None:
        with self.db.write() as session:
            task = self._open_task(session, human_task_id)
            if task.assignee_id == user.id:
                return
            if task.assignee_id is not None:
                raise NotAllowed(f"该任务已由{task.assignee.display_name}认领")
            if not is_candidate(user, task):
                raise NotAllowed("您不在该任务的候选人或候选组中，不能认领")
            task.assignee_id = user.id
            history.record(session, task.instance_id, "task_claimed", user, task.element_id, task.name)

    def unclaim(self, human_task_id: int, user: User) -> None:
        with self.db.write() as session:
            task = self._open_task(session, human_task_id)
            if task.assignee_id != user.id and not user.is_admin:
                raise NotAllowed("只能退回自己认领的任务")
            task.assignee_id = None
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
                who = f"已由{task.assignee.display_name}认领" if task.assignee else "您不在候选人或候选组中"
                raise NotAllowed(f"您不能办理该任务（{who}）")
            unit = self.runtime.load(session, task.instance_id, actor=user)
            spiff_task = unit.ready_task(task.task_guid)
            if spiff_task is None:
                raise TaskNotOpen("该任务已经办理或已被取消，您的填写未提交。")
            form = spiff_task.task_spec.form
            values = forms.validate(form, submitted, current=spiff_task.data,
                                    unit_codes=lambda: session.scalars(select(Unit.code)))
            values = unit.store_values(values, {f.id: f.type for f in form.fields})
            spiff_task.data.update(values)
            spiff_task.run()
            task.status, task.completed_at, task.completed_by_id = "completed", utcnow(), user.id
            if task.assignee_id is None:
                task.assignee_id = user.id
            history.record(session, task.instance_id, "task_completed", user, task.element_id, task.name,
                           detail={"data": values})
            unit.do_engine_steps()
            unit.save()
            return task.instance_id

    def _open_task(self, session, human_task_id: int, lock=False) -> HumanTask:
        query = select(HumanTask).where(HumanTask.id == human_task_id)
        if lock and not self.db.is_sqlite:
            query = query.with_for_update(of=HumanTask)
        task = session.scalars(query).first()
        if task is None:
            raise NotFound(f"任务 {human_task_id} 不存在")
        if task.status != "open":
            by = session.get(User, task.completed_by_id) if task.completed_by_id else None
            when = task.completed_at.astimezone().strftime("%Y-%m-%d %H:%M") if task.completed_at else ""
            if task.status == "completed":
                raise TaskNotOpen(f"该任务已由{by.display_name if by else '他人'}于 {when} 办理完成，您的填写未提交。")
            raise TaskNotOpen("该任务已被取消（流程已转到其他环节），您的填写未提交。")
        return task
