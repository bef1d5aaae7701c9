"""Administrators' operations on one instance (故障处理): suspend and resume, cancel, return to an
earlier step, correct a data value.

Each operation loads the instance under its lock, changes it, and saves the state, the task index,
the timers and the jobs in one transaction through `InstanceUnit.save`, with an audit record of who,
when and why. What a state does not allow (resuming an item that runs, returning a cancelled one)
is refused with `OperationRefused`; bad input with `OperationInvalid`. Free of Flask:
`Operations(engine)`.

- Suspended instances are not worked: completing a task refuses (`Runtime.load` wants a running
  instance) and the worker skips their timers and jobs (its queries select running instances).
- Returning to a step resets that completed user task in its own (sub)process with SpiffWorkflow's
  `reset_from_task_id` (sub-processes started after it are deleted, boundary events attached to it
  wait again); the open tasks after it are cancelled, and the step's completed inbox row is opened
  again — the task keeps its id, its completion stays in the audit trail. The step gets the data it
  had when it was completed (its form shows what was entered then).
- A corrected value is set with `InstanceUnit.set_scope_variables` in the process scope chosen (the
  item's main process, or one unit's called process), so waiting date timers re-arm and open tasks'
  due dates and rows follow.
"""
import copy
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import select, update
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.workflow import Workflow

from ..models import HumanTask, Incident, Instance, Unit, User, utcnow
from . import history, state
from .errors import EngineError
from .runtime import STATUS_LABELS, _active_tasks_under, _process_scope, rearm_timer

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
REASON_MAX = 500
MAIN_SCOPE = "process"
VALUE_KINDS = {"text": "文本", "number": "数字", "boolean": "是／否", "date": "日期", "json": "JSON", "null": "空值"}


class OperationRefused(EngineError):
    """The instance's state does not allow the operation."""


class OperationInvalid(EngineError):
    """What was entered cannot be used (no reason given, a value that does not parse…)."""


@dataclass
class ReturnTarget:
    """A completed user task the instance can go back to."""
    task_guid: str
    element_id: str
    name: str
    unit_name: str | None
    completed_at: datetime | None
    completed_by: str | None


@dataclass
class Scope:
    """A process scope whose variables can be corrected: the main process or one called process."""
    key: str
    label: str
    variables: dict = field(default_factory=dict)


def parse_value(kind: str, text: str):
    """A typed value from what an administrator typed (`kind` one of VALUE_KINDS)."""
    text = (text or "").strip()
    if kind == "null":
        return None
    if kind == "text":
        return text
    if kind == "number":
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                raise OperationInvalid(f"“{text}”不是数字") from None
    if kind == "boolean":
        lowered = text.lower()
        if lowered in ("true", "1", "是", "yes"):
            return True
        if lowered in ("false", "0", "否", "no"):
            return False
        raise OperationInvalid("是／否 请填写“是”或“否”（true / false）")
    if kind == "date":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise OperationInvalid(f"“{text}”不是日期（格式 2026-12-31）") from None
    if kind == "json":
        try:
            return json.loads(text)
        except ValueError as e:
            raise OperationInvalid(f"不是有效的 JSON：{e}") from None
    raise OperationInvalid(f"未知的值类型“{kind}”")


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise OperationInvalid("请填写原因（记入办理记录）")
    if len(text) > REASON_MAX:
        raise OperationInvalid(f"原因最多 {REASON_MAX} 个字")
    return text


def _status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def _merged_data(tasks) -> dict:
    data = {}
    for task in tasks:
        data.update(task.data)
    return data


class Operations:
    def __init__(self, engine):
        self.db = engine.db
        self.runtime = engine.runtime

    def _load(self, session, instance_id: int, actor):
        return self.runtime.load(session, instance_id, actor=actor, must_run=False)

    # --- suspend, resume, cancel ---

    def suspend(self, instance_id: int, actor, reason: str) -> None:
        reason = _reason(reason)
        with self.db.write() as session:
            unit = self._load(session, instance_id, actor)
            if unit.instance.status != "running":
                raise OperationRefused(f"该事项当前状态为“{_status_label(unit.instance.status)}”，只有办理中的事项可以挂起")
            unit.instance.status = "suspended"
            unit.save()
            history.record(session, instance_id, "instance_suspended", actor, detail={"reason": reason})

    def resume(self, instance_id: int, actor, reason: str) -> None:
        reason = _reason(reason)
        with self.db.write() as session:
            unit = self._load(session, instance_id, actor)
            if unit.instance.status != "suspended":
                raise OperationRefused(f"该事项当前状态为“{_status_label(unit.instance.status)}”，只有已挂起的事项可以恢复")
            unit.instance.status = "running"
            unit.save()  # timers that fell due meanwhile fire at the worker's next pass
            history.record(session, instance_id, "instance_resumed", actor, detail={"reason": reason})

    def cancel(self, instance_id: int, actor, reason: str) -> None:
        """End the instance for good: its open tasks are cancelled, its timers and jobs removed."""
        reason = _reason(reason)
        with self.db.write() as session:
            unit = self._load(session, instance_id, actor)
            if unit.instance.status not in ("running", "suspended"):
                raise OperationRefused(f"该事项{_status_label(unit.instance.status)}，不能撤销")
            unit.workflow.cancel()
            unit.instance.status = "cancelled"
            unit.save()
            now = utcnow()
            session.execute(update(Instance.__table__).where(Instance.__table__.c.id == instance_id)
                            .values(ended_at=now))
            session.execute(update(Incident.__table__).where(Incident.__table__.c.instance_id == instance_id,
                                                             Incident.__table__.c.status == "open")
                            .values(status="cancelled", resolved_at=now, resolved_by_id=getattr(actor, "id", None)))
            history.record(session, instance_id, "instance_cancelled", actor, detail={"reason": reason})

    # --- return to an earlier step ---

    def return_targets(self, session, instance_id: int) -> list[ReturnTarget]:
        """The completed user tasks on the way to where the instance is now, newest first."""
        unit = self.runtime.load(session, instance_id, lock=False, must_run=False)
        if unit.instance.status != "running":
            return []
        rows = session.execute(
            select(HumanTask.task_guid, HumanTask.element_id, HumanTask.name, HumanTask.completed_at,
                   User.display_name, Unit.name)
            .outerjoin(User, User.id == HumanTask.completed_by_id).outerjoin(Unit, Unit.id == HumanTask.unit_id)
            .where(HumanTask.instance_id == instance_id, HumanTask.status == "completed")
            .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc()))
        targets = []
        for guid, element_id, name, completed_at, completed_by, unit_name in rows:
            task = _find(unit.workflow, guid)
            if task is not None and _returnable(task):
                targets.append(ReturnTarget(guid, element_id, name, unit_name, completed_at, completed_by))
        return targets

    def return_to(self, instance_id: int, task_guid: str, actor, reason: str) -> str:
        """Go back to a completed user task: it is ready again, everything after it is undone.
        Returns the step's name."""
        reason = _reason(reason)
        with self.db.write() as session:
            unit = self._load(session, instance_id, actor)
            if unit.instance.status != "running":
                raise OperationRefused(f"该事项当前状态为“{_status_label(unit.instance.status)}”，"
                                       "只有办理中的事项可以退回（已挂起的请先恢复）")
            task = _find(unit.workflow, task_guid)
            if task is None or not _returnable(task):
                raise OperationRefused("不能退回到该环节：它不是本事项已办理、且通向当前环节的人工任务")
            spec = task.task_spec
            _reset(unit.workflow, task)
            spec_obj, subprocess_specs = self.runtime.repository.specs.get(unit.instance.deployment_id,
                                                                           unit.instance.process_key)
            unit.workflow = state.load(state.dump(unit.workflow), spec_obj, subprocess_specs)
            reopened = unit.workflow.get_task_from_id(task.id)
            unit.reindex_task(reopened, reopen=True)  # its row is reused: save() must not insert it
            unit.do_engine_steps()
            unit.save()
            name = spec.bpmn_name or spec.bpmn_id
            history.record(session, instance_id, "returned_to_step", actor, spec.bpmn_id, name, detail={"reason": reason})
            return name

    # --- correct a data value ---

    def scopes(self, session, instance_id: int) -> list[Scope]:
        """The process scopes of a running or suspended instance with their current variables: the
        main process, then each called process still running (e.g. one unit's handling)."""
        unit = self.runtime.load(session, instance_id, lock=False, must_run=False)
        if unit.instance.status not in ("running", "suspended"):
            return []
        top = unit.workflow
        units = None
        result = [Scope(MAIN_SCOPE, f"主流程（{top.spec.description or top.spec.name}）",
                        _merged_data(top.get_tasks(state=ACTIVE, skip_subprocesses=True)))]
        for sub_id, sub in top.subprocesses.items():
            if sub.completed or _process_scope(sub) is not sub:
                continue
            variables = _merged_data(_active_tasks_under(sub))
            label = sub.spec.description or sub.spec.name
            if variables.get("unit"):
                if units is None:
                    units = dict(session.execute(select(Unit.code, Unit.name)).all())
                label += f"（{units.get(variables['unit'], variables['unit'])}）"
            result.append(Scope(str(sub_id), label, variables))
        return result

    def correct(self, instance_id: int, scope_key: str, name: str, value, actor, reason: str) -> None:
        """Set a variable in a process scope (every active task of it and of what it has started)."""
        reason = _reason(reason)
        name = (name or "").strip()
        if not name.isidentifier():
            raise OperationInvalid("变量名只能由字母、数字和下划线组成，且不能以数字开头")
        with self.db.write() as session:
            unit = self._load(session, instance_id, actor)
            if unit.instance.status not in ("running", "suspended"):
                raise OperationRefused(f"该事项{_status_label(unit.instance.status)}，不能更正数据")
            scope = self._scope(unit.workflow, scope_key)
            tasks = list(_active_tasks_under(scope))
            if not tasks:
                raise OperationRefused("该流程范围已没有进行中的环节，无法更正数据")
            old = _merged_data(tasks).get(name)
            unit.set_scope_variables(scope, {name: copy.deepcopy(value)})
            unit.save()
            for task in _active_tasks_under(scope):  # the inbox rows show the new value and follow it
                if task.state == TaskState.READY and isinstance(task.task_spec, UserTask):
                    unit.reindex_task(task)
            label = "主流程" if scope is unit.workflow else (scope.spec.description or scope.spec.name)
            history.record(session, instance_id, "variable_corrected", actor, None, name,
                           detail={"scope": label, "variable": name, "old_value": old, "new_value": value,
                                   "reason": reason})

    @staticmethod
    def _scope(top, scope_key: str):
        if scope_key == MAIN_SCOPE:
            return top
        try:
            sub = top.subprocesses.get(UUID(str(scope_key)))
        except ValueError:
            sub = None
        if sub is None or sub.completed or _process_scope(sub) is not sub:
            raise OperationRefused("所选的流程范围已结束或不存在，请刷新页面后重试")
        return sub


def _find(workflow, guid: str):
    try:
        return workflow.get_task_from_id(UUID(guid))
    except (TaskNotFoundException, ValueError):
        return None


def _returnable(task) -> bool:
    """A completed user task from which the way leads to a step that is active now (in its own
    process): going back to it undoes that way. A task off that way (a parallel branch already
    merged, one instance of a multi-instance task) would leave the process in two places."""
    return (task.state == TaskState.COMPLETED and isinstance(task.task_spec, UserTask)
            and any(_has_active(child) for child in task.children))


def _has_active(task) -> bool:
    return task.has_state(ACTIVE) or any(_has_active(child) for child in task.children)


def _reset(top, task) -> None:
    """SpiffWorkflow's reset of one task (`reset_from_task_id`) in the task's own (sub)workflow, with
    its boundary events when it has some, like `BpmnWorkflow.reset_from_task_id` does; the process
    that contains the task runs on (it is running: the task leads to an active step). The task gets
    the data it had when it was completed, so its form shows what was entered then; what came after
    it is undone with the steps that made it."""
    under_boundary = isinstance(task.parent.task_spec, BoundaryEventSplit)
    branch = task.parent if under_boundary else task
    data = copy.deepcopy(task.data)
    for desc in [t for t in _subtree(branch) if t.id in top.subprocesses]:
        if desc.id in top.subprocesses:  # deleting one deletes those it started, too
            top.delete_subprocess(desc)
    for sibling in list(task.parent.children) if under_boundary else [task]:
        Workflow.reset_from_task_id(task.workflow, sibling.id)
        sibling.data = copy.deepcopy(data)
        rearm_timer(sibling)  # a boundary date timer computes its time from the data it has now


def _subtree(task):
    yield task
    for child in task.children:
        yield from _subtree(child)
