"""Runtime service: start instances, run engine steps and persist everything in one transaction.

`InstanceUnit` is the one place where a workflow is loaded and saved. Saving writes the serialized
state, brings the human-task index, the timer table and the job table in line with the workflow,
and appends the audit records — all in the caller's transaction. The instance row's version column
makes a second writer with a stale copy fail instead of overwriting.

This is the hot path of every step, so it writes with Core statements (one per table touched),
not through the ORM's unit of work.
"""
import copy
import logging
import hashlib
from datetime import date, datetime, time, timezone
from types import SimpleNamespace
from uuid import UUID

from sqlalchemy import bindparam, delete, insert, select, update
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.util.task import TaskState

from ..models import HumanTask, Instance, Job, StoredFile, TaskCandidate, TextBlob, Timer, Unit, User, utcnow
from . import history, state
from .dialect import ExternalServiceTask
from .errors import ConcurrentUpdate, EngineError, InstanceNotRunning, NotFound
from .expressions import OFFICE_TZ, SCRIPT_ENGINE, is_wrapped, unwrap
from .forms import UploadedFile

log = logging.getLogger(__name__)

_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_SILENT_STEPS = ("BpmnStartTask", "StartEventSplit", "StartEventJoin", "BoundaryEventSplit",
                 "BoundaryEventJoin", "_EndJoin", "SimpleBpmnTask")


def to_deadline(value) -> datetime | None:
    """A due date from an expression result: ISO datetime, ISO duration from now, date (end of day)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=OFFICE_TZ)
    if isinstance(value, date):
        return datetime.combine(value, time(23, 59, 59), OFFICE_TZ)
    text = str(value).strip()
    if text.upper().startswith("P"):
        parsed = TimerEventDefinition.parse_iso_duration(text)
        return datetime.now(timezone.utc) + TimerEventDefinition.get_timedelta_from_start(parsed)
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time(23, 59, 59), OFFICE_TZ)
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=OFFICE_TZ)


def _split(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(",") if v.strip()]


class IndexSnapshot:
    """What the index tables hold for a workflow state: ready user tasks, waiting timers, ready jobs.

    The tables always mirror the last saved state, so comparing the snapshot taken at load with the
    one at save tells exactly which rows to add or retire, without reading the tables.
    """

    def __init__(self, workflow=None):
        self.human, self.timers, self.jobs = {}, {}, {}
        if workflow is None:
            return
        for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
            spec = task.task_spec
            if task.state == TaskState.READY and spec.manual:
                if isinstance(spec, UserTask):
                    self.human[str(task.id)] = task
                elif isinstance(spec, ExternalServiceTask):
                    self.jobs[str(task.id)] = task
            elif task.state == TaskState.WAITING and isinstance(spec, CatchingEvent):
                due = timer_due(task)
                if due is not None:
                    self.timers[str(task.id)] = (task, due)


class InstanceUnit:
    """A loaded instance inside a write transaction: run the engine, then `save()`."""

    def __init__(self, session, instance: Instance, workflow, settings, actor=None, new=False):
        self.session = session
        self.instance = instance
        self.workflow = workflow
        self.settings = settings
        self.actor = actor
        self.steps: list = []
        self.before = IndexSnapshot(None if new else workflow)
        self.deadlines_moved = False  # a scope variable changed: re-evaluate open tasks' due dates
        self.moved = 0  # due dates and timers that got a new time at the last save

    @property
    def conn(self):
        """The transaction's connection: Core statements skip the ORM session's per-statement work."""
        return self.session.connection()

    # --- engine ---

    def do_engine_steps(self):
        self.workflow.do_engine_steps(did_complete_task=self._completed)

    def _completed(self, task):
        self.steps.append(task)
        self.apply_output_parameters(task)

    def apply_output_parameters(self, task, extra: dict | None = None):
        """Camunda output mapping: each `camunda:outputParameter` of a finished activity is set in the
        process scope the activity runs in, so parallel branches and waiting events see it (e.g. a due
        date moved by an approved extension re-arms the reminder timers of that unit's handling)."""
        ext = getattr(task.task_spec, "extensions", None)
        if ext is None or not ext.output_parameters:
            return
        scope = {**task.data, **(extra or {})}
        values = {name: SCRIPT_ENGINE.environment.evaluate(unwrap(text), dict(scope)) if is_wrapped(text) else text
                  for name, text in ext.output_parameters.items()}
        task.data.update(copy.deepcopy(values))
        self.set_scope_variables(task.workflow, values)

    def set_scope_variables(self, workflow, values: dict):
        """Set variables in a process scope: the called process (or top process) that `workflow`
        belongs to, with everything active in it and in the processes it has started. Waiting date
        timers of the scope are re-armed from the new values; open tasks' due dates follow at save."""
        scope = _process_scope(workflow)
        for task in _active_tasks_under(scope):
            # Each task its own copy: SpiffWorkflow merges data into nested values in place.
            task.data.update(copy.deepcopy(values))
            rearm_timer(task)
        self.deadlines_moved = True

    def correlate(self, message: str, payload: dict, where: dict | None = None) -> int:
        """Deliver a message to the waiting catch events named `message` whose data match `where`
        (e.g. `{"unit": "jtj"}` picks one unit's handling among parallel ones). Returns how many caught."""
        caught = 0
        for task in self.workflow.get_tasks(state=TaskState.WAITING):
            definition = _message_definition(task.task_spec, message)
            if definition is None or any(task.data.get(k) != v for k, v in (where or {}).items()):
                continue
            # Camunda's message definition keeps the payload under one variable (`result_var`); the
            # payload's fields also go straight into the data, where forms and expressions read them.
            if isinstance(task.task_spec, BoundaryEvent) and not task.task_spec.cancel_activity:
                # A non-interrupting boundary event fires each time its message comes (BPMN);
                # SpiffWorkflow waits only once, so a fresh waiting sibling takes its place.
                again = task.parent._add_child(task.task_spec, TaskState.WAITING)
                again.data = copy.deepcopy(task.data)
                again.task_spec._predict(again, mask=TaskState.WAITING | TaskState.PREDICTED_MASK)  # its outgoing path
            # `message_on` dates the message, for due dates counted from it that must not move later.
            payload = {**payload, "message_on": self.clock_today()}
            task.task_spec.catch(task, BpmnEvent(definition, payload={"payload": dict(payload), "result_var": "message"}))
            task.data.update(copy.deepcopy(payload))
            task.task_spec._update(task)
            caught += 1
        return caught

    @staticmethod
    def clock_today() -> str:
        return datetime.now(timezone.utc).astimezone(OFFICE_TZ).date().isoformat()

    def refresh_deadlines(self):
        """Re-evaluate every date timer and open task due date of the instance (deadline rules or the
        calendar changed); the index rows follow at save."""
        for task in self.workflow.get_tasks(state=TaskState.WAITING):
            rearm_timer(task)
        self.deadlines_moved = True

    def ready_task(self, task_guid: str):
        task = self.workflow.get_task_from_id(UUID(task_guid))
        if task is None or task.state != TaskState.READY:
            return None
        return task

    # --- persistence ---

    def save(self):
        for task in self.steps:
            name = type(task.task_spec).__name__
            if name not in _SILENT_STEPS and not isinstance(task.task_spec, (UserTask, ExternalServiceTask)):
                history.record(self.session, self.instance.id, "step", None, task.task_spec.bpmn_id,
                               task.task_spec.bpmn_name or task.task_spec.bpmn_id)
        self.steps.clear()
        inst = self.instance
        values = {"id_": inst.id, "seen_version": inst.lock_version, "state": state.dump(self.workflow),
                  "lock_version": inst.lock_version + 1, "status": inst.status, "ended_at": None}
        if self.workflow.is_completed() and inst.status == "running":
            values.update(status="completed", ended_at=utcnow())
            history.record(self.session, inst.id, "instance_completed")
        if self.conn.execute(_SAVE_INSTANCE, values).rowcount != 1:
            raise ConcurrentUpdate()
        inst.lock_version, inst.status = values["lock_version"], values["status"]
        after = IndexSnapshot(self.workflow)
        self._sync_human_tasks(after)
        self._sync_timers(after)
        self._sync_jobs(after)
        self.before = after

    def _sync_human_tasks(self, after: IndexSnapshot):
        # A task the user just completed is marked by the task service; the others were cut off.
        cut_off = [guid for guid, task in self.before.human.items()
                   if guid not in after.human and task.state != TaskState.COMPLETED]
        if cut_off:
            self.conn.execute(update(_HUMAN_TASKS).where(_HUMAN_TASKS.c.task_guid.in_(cut_off),
                                                            _HUMAN_TASKS.c.status == "open")
                                 .values(status="cancelled", completed_at=utcnow()))
            for guid in cut_off:
                spec = self.before.human[guid].task_spec
                history.record(self.session, self.instance.id, "task_cancelled", None, spec.bpmn_id, spec.bpmn_name)
        if self.deadlines_moved:
            self._move_due_dates(after)
            self.deadlines_moved = False
        for guid, task in after.human.items():
            if guid not in self.before.human:
                row, candidates = self._human_task_row(task)
                task_id = self.conn.execute(_INSERT_HUMAN_TASK, row).scalar_one()
                if candidates:
                    self.conn.execute(_INSERT_CANDIDATE, [dict(c, human_task_id=task_id) for c in candidates])
                history.record(self.session, self.instance.id, "task_created", None, task.task_spec.bpmn_id,
                               task.task_spec.bpmn_name)

    def _move_due_dates(self, after: IndexSnapshot):
        for guid, task in after.human.items():
            if guid in self.before.human:
                due = to_deadline(SCRIPT_ENGINE.value(task, task.task_spec.extensions.due_date))
                self.moved += self.conn.execute(
                    update(_HUMAN_TASKS).where(_HUMAN_TASKS.c.task_guid == guid, _HUMAN_TASKS.c.status == "open",
                                               _HUMAN_TASKS.c.due_at.is_distinct_from(due))
                    .values(due_at=due)).rowcount

    def reindex_task(self, task, reopen: bool = False) -> int:
        """Write the index row of a ready user task again from its current spec and data, keeping the
        row (and so its id, links and claim): after a migration changed the task's definition, or when
        a return to an earlier step makes a completed task ready again under the same task id
        (`reopen`: the row is open and unclaimed again; its completion stays in the audit trail).
        The row must exist; `save()` then treats the task as indexed. Returns the row's id."""
        guid = str(task.id)
        task_id = self.conn.execute(select(_HUMAN_TASKS.c.id).where(_HUMAN_TASKS.c.task_guid == guid)).scalar_one()
        row, candidates = self._human_task_row(task)
        values = {k: row[k] for k in ("element_id", "name", "unit_id", "due_at", "follow_up_at", "priority",
                                      "form_data")}
        if reopen:
            values.update(status="open", assignee_id=row["assignee_id"], completed_at=None, completed_by_id=None,
                          created_at=utcnow())
        self.conn.execute(update(_HUMAN_TASKS).where(_HUMAN_TASKS.c.id == task_id)
                          .values(**values, lock_version=_HUMAN_TASKS.c.lock_version + 1))
        self.conn.execute(delete(_CANDIDATES).where(_CANDIDATES.c.human_task_id == task_id))
        if candidates:
            self.conn.execute(_INSERT_CANDIDATE, [dict(c, human_task_id=task_id) for c in candidates])
        self.before.human[guid] = task
        return task_id

    def _human_task_row(self, task) -> tuple[dict, list[dict]]:
        spec, ext = task.task_spec, task.task_spec.extensions
        value = lambda text: SCRIPT_ENGINE.value(task, text)  # noqa: E731
        row = dict(instance_id=self.instance.id, task_guid=str(task.id), element_id=spec.bpmn_id,
                   name=spec.bpmn_name or spec.bpmn_id, status="open", assignee_id=None, unit_id=None,
                   due_at=to_deadline(value(ext.due_date)), follow_up_at=to_deadline(value(ext.follow_up_date)),
                   priority=int(value(ext.priority) or 50), form_data=self._form_values(task), created_at=utcnow(),
                   lock_version=1)
        assignee = value(ext.assignee)
        if assignee:
            row["assignee_id"] = self.session.scalar(select(User.id).where(User.username == str(assignee)))
        unit_code = value(ext.properties.get("unit"))
        if unit_code:
            row["unit_id"] = self.session.scalar(select(Unit.id).where(Unit.code == str(unit_code)))
            if row["unit_id"] is None:
                raise EngineError(f"任务“{row['name']}”指定的单位“{unit_code}”不存在")
        candidates = ([{"kind": "group", "value": g} for g in _split(value(ext.candidate_groups))] +
                      [{"kind": "user", "value": u} for u in _split(value(ext.candidate_users))])
        return row, candidates

    @staticmethod
    def _form_values(task) -> dict:
        values = {}
        for f in task.task_spec.form.fields:
            if f.id in task.data:
                values[f.id] = task.data[f.id]
            elif f.default is not None:
                values[f.id] = SCRIPT_ENGINE.value(task, f.default)
        return values

    def _sync_timers(self, after: IndexSnapshot):
        gone = [guid for guid in self.before.timers if guid not in after.timers]
        if gone:
            self.conn.execute(delete(_TIMERS).where(_TIMERS.c.task_guid.in_(gone)))
        new = [dict(instance_id=self.instance.id, task_guid=guid, element_id=task.task_spec.bpmn_id,
                    name=task.task_spec.bpmn_name or task.task_spec.bpmn_id, due_at=due)
               for guid, (task, due) in after.timers.items() if guid not in self.before.timers]
        if new:
            self.conn.execute(insert(_TIMERS), new)
        for guid, (_task, due) in after.timers.items():
            if guid in self.before.timers and self.before.timers[guid][1] != due:
                self.conn.execute(update(_TIMERS).where(_TIMERS.c.task_guid == guid).values(due_at=due))
                self.moved += 1

    def _sync_jobs(self, after: IndexSnapshot):
        gone = [guid for guid in self.before.jobs if guid not in after.jobs]
        if gone:  # jobs finished by the worker are marked there; the rest were cut off by the process
            self.conn.execute(update(_JOBS).where(_JOBS.c.task_guid.in_(gone),
                                                     _JOBS.c.status.in_(("pending", "running", "incident")))
                                 .values(status="cancelled", finished_at=utcnow()))
        new = []
        for guid, task in after.jobs.items():
            if guid not in self.before.jobs:
                ext = task.task_spec.extensions
                params = {name: SCRIPT_ENGINE.value(task, text) for name, text in ext.input_parameters.items()}
                new.append(dict(instance_id=self.instance.id, task_guid=guid, element_id=task.task_spec.bpmn_id,
                                name=task.task_spec.bpmn_name or task.task_spec.bpmn_id, topic=ext.topic,
                                parameters=params, status="pending", attempts=0,
                                max_attempts=self.settings.job_max_attempts, run_at=utcnow(), created_at=utcnow()))
        if new:
            self.conn.execute(insert(_JOBS), new)

    # --- large values ---

    def store_values(self, values: dict, field_types: dict[str, str]) -> dict:
        """Keep long texts and files out of the workflow data: store them and keep their ids."""
        stored = {}
        for key, value in values.items():
            if isinstance(value, UploadedFile):
                if len(value.data) > self.settings.max_upload_bytes:
                    raise EngineError(f"文件“{value.filename}”超过上传上限 {self.settings.max_upload_bytes // 1048576} MB")
                row = StoredFile(instance_id=self.instance.id, filename=value.filename, content_type=value.content_type,
                                 size=len(value.data), sha256=hashlib.sha256(value.data).hexdigest(), content=value.data,
                                 uploaded_by_id=getattr(self.actor, "id", None))
                self.session.add(row)
                self.session.flush()
                stored[key] = {"file_id": row.id, "filename": value.filename, "size": len(value.data)}
            elif field_types.get(key) == "textarea" and isinstance(value, str) and \
                    len(value) > self.settings.inline_text_limit:
                row = TextBlob(instance_id=self.instance.id, content=value)
                self.session.add(row)
                self.session.flush()
                stored[key] = {"text_id": row.id, "length": len(value), "preview": value[:60]}
            else:
                stored[key] = value
        return stored


_INSTANCES, _HUMAN_TASKS, _CANDIDATES = Instance.__table__, HumanTask.__table__, TaskCandidate.__table__
_TIMERS, _JOBS = Timer.__table__, Job.__table__


# Statements of the hot path, built once (building a statement costs more than running it on SQLite).
INSTANCE_COLUMNS = (_INSTANCES.c.id, _INSTANCES.c.process_key, _INSTANCES.c.deployment_id,
                    _INSTANCES.c.business_key, _INSTANCES.c.status, _INSTANCES.c.state, _INSTANCES.c.lock_version)
_LOAD_INSTANCE = select(*INSTANCE_COLUMNS).where(_INSTANCES.c.id == bindparam("id_"))
_LOAD_INSTANCE_FOR_UPDATE = _LOAD_INSTANCE.with_for_update()
_SAVE_INSTANCE = (update(_INSTANCES)
                  .where(_INSTANCES.c.id == bindparam("id_"), _INSTANCES.c.lock_version == bindparam("seen_version"))
                  .values(state=bindparam("state"), lock_version=bindparam("lock_version"),
                          status=bindparam("status"), ended_at=bindparam("ended_at")))
_INSERT_HUMAN_TASK = insert(_HUMAN_TASKS).returning(_HUMAN_TASKS.c.id)
_INSERT_CANDIDATE = insert(_CANDIDATES)


class InstanceRecord(SimpleNamespace):
    """The columns of an instance row the runtime needs, without the ORM's bookkeeping."""

    def __init__(self, id, process_key, deployment_id, business_key, status, lock_version):
        super().__init__(id=id, process_key=process_key, deployment_id=deployment_id, business_key=business_key,
                         status=status, lock_version=lock_version)


def timer_due(task) -> datetime | None:
    """When a waiting timer event fires next; None for other events and spent repeating timers."""
    definition = task.task_spec.event_definition
    timers = getattr(definition, "event_definitions", [definition])
    dues = []
    for timer in timers:
        if isinstance(timer, TimerEventDefinition):
            detail = timer.details(task)
            if isinstance(detail.value, str):  # a spent cycle reports its state dict instead of a time
                dues.append(TimerEventDefinition.get_datetime(detail.value))
    return min(dues) if dues else None


def _process_scope(workflow):
    """The workflow of the process `workflow` belongs to: embedded sub-processes share their
    parent's scope, a call activity starts a new one."""
    while getattr(workflow, "parent_task_id", None) is not None:
        parent_task = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
        if not getattr(parent_task.task_spec.extensions, "embedded", False):
            break
        workflow = parent_task.workflow
    return workflow


def _active_tasks_under(workflow):
    top = workflow.top_workflow if hasattr(workflow, "top_workflow") else workflow
    scopes = [workflow]
    for sub in getattr(top, "subprocesses", {}).values():
        parent = sub
        while getattr(parent, "parent_task_id", None) is not None:
            parent = top.get_task_from_id(parent.parent_task_id).workflow
            if parent is workflow:
                scopes.append(sub)
                break
    for scope in scopes:
        yield from scope.get_tasks(state=_ACTIVE)


def _message_definition(spec, name: str):
    if not isinstance(spec, CatchingEvent):
        return None
    definition = spec.event_definition
    for d in getattr(definition, "event_definitions", [definition]):
        if isinstance(d, MessageEventDefinition) and d.name == name:
            return d
    return None


def _message_names(spec) -> list[str]:
    if not isinstance(spec, CatchingEvent):
        return []
    definition = spec.event_definition
    return [d.name for d in getattr(definition, "event_definitions", [definition])
            if isinstance(d, MessageEventDefinition)]


def rearm_timer(task) -> None:
    """Make a waiting date timer compute its time again from the task's current data."""
    if task.state != TaskState.WAITING or not isinstance(task.task_spec, CatchingEvent):
        return
    definition = task.task_spec.event_definition
    for d in getattr(definition, "event_definitions", [definition]):
        if isinstance(d, TimeDateEventDefinition) and not task._get_internal_data("event_fired", False):
            task.internal_data.pop("event_value", None)
            d.has_fired(task)  # evaluates the expression again and stores the new time


class Runtime:
    def __init__(self, db, repository, settings):
        self.db = db
        self.repository = repository
        self.settings = settings

    def load(self, session, instance_id: int, actor=None, lock=True, must_run=True) -> InstanceUnit:
        """Load an instance for change inside the caller's write transaction (row-locked on PostgreSQL)."""
        query = _LOAD_INSTANCE_FOR_UPDATE if lock and not self.db.is_sqlite else _LOAD_INSTANCE
        row = session.connection().execute(query, {"id_": instance_id}).first()
        if row is None:
            raise NotFound(f"事项实例 {instance_id} 不存在")
        return self.unit_from_row(session, row, actor, must_run)

    def unit_from_row(self, session, row, actor=None, must_run=True) -> InstanceUnit:
        """An InstanceUnit from a row holding the `INSTANCE_COLUMNS`."""
        inst = InstanceRecord(row.id, row.process_key, row.deployment_id, row.business_key, row.status,
                              row.lock_version)
        if must_run and inst.status != "running":
            raise InstanceNotRunning(f"该流程实例当前状态为“{STATUS_LABELS.get(inst.status, inst.status)}”，不能办理")
        spec, subprocess_specs = self.repository.specs.get(inst.deployment_id, inst.process_key)
        return InstanceUnit(session, inst, state.load(row.state, spec, subprocess_specs), self.settings, actor)

    def variables(self, session, instance_id: int) -> dict:
        """The instance's current process variables (read only): the data of its active tasks,
        or of its last finished task once it has ended."""
        workflow = self.load(session, instance_id, lock=False, must_run=False).workflow
        data = dict(workflow.data)
        for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED):
            data.update(task.data)
        if not data:
            finished = workflow.get_tasks(state=TaskState.COMPLETED)
            if finished:
                data.update(finished[-1].data)
        return data

    def running_scopes(self, session, instance_id: int, process_key: str) -> list[dict]:
        """The current data of each still-running called process `process_key` of an instance, e.g.
        each unit's `unit_handling` while the item is open (read only)."""
        workflow = self.load(session, instance_id, lock=False, must_run=False).workflow
        scopes = []
        for sub in workflow.subprocesses.values():
            if sub.spec.name != process_key or sub.completed:
                continue
            data = {}
            for task in sub.get_tasks(state=_ACTIVE):
                data.update(task.data)
            scopes.append(data)
        return scopes

    def waiting_messages(self, session, instance_id: int, key: str = "unit") -> dict[str, list]:
        """The messages a running instance waits for now, each with the `key` values of its waiting
        catch events in order, without repeats (read only): e.g. `{"urge": ["jtj", "jyj"], …}` while
        two units handle an item — the units `correlate(…, where={"unit": …})` can reach."""
        unit = self.load(session, instance_id, lock=False, must_run=False)
        waiting: dict[str, list] = {}
        if unit.instance.status != "running":
            return waiting
        for task in unit.workflow.get_tasks(state=TaskState.WAITING):
            for name in _message_names(task.task_spec):
                values = waiting.setdefault(name, [])
                if task.data.get(key) not in values:
                    values.append(task.data.get(key))
        return waiting

    def correlate(self, instance_id: int, message: str, payload: dict, where: dict | None = None, actor=None,
                  label: str | None = None) -> None:
        """Deliver a message (an extension request, an urge…) to an instance, in one transaction."""
        with self.db.write() as session:
            unit = self.load(session, instance_id, actor=actor)
            if unit.correlate(message, payload, where) == 0:
                raise EngineError(f"该事项当前没有等待“{label or message}”的环节（可能已办结或尚未进入该阶段）")
            history.record(session, instance_id, "message", actor, None, label or message, detail={"data": payload})
            unit.do_engine_steps()
            unit.save()

    def refresh_deadlines(self, instance_ids: list[int] | None = None, actor=None, reason: str = "") -> int:
        """Recompute the due dates and date timers of running instances (all, or the given ones) from
        the current deadline rules and calendar; an item whose deadlines moved gets a history entry.
        Returns how many instances were refreshed (failures are logged and skipped)."""
        with self.db.read() as session:
            query = select(Instance.id).where(Instance.status == "running")
            if instance_ids is not None:
                query = query.where(Instance.id.in_(instance_ids))
            ids = list(session.scalars(query))
        refreshed = 0
        for instance_id in ids:  # one short transaction each: never holds every instance at once
            for attempt in (1, 2):  # someone saving the same item meanwhile: read it again once
                try:
                    refreshed += self._refresh_one(instance_id, actor, reason)
                    break
                except ConcurrentUpdate:
                    if attempt == 2:
                        log.warning("deadlines of instance %s not refreshed: changed concurrently", instance_id)
                except Exception:  # one broken item must not keep the others on their old deadlines
                    log.exception("deadlines of instance %s not refreshed", instance_id)
                    break
        return refreshed

    def _refresh_one(self, instance_id: int, actor, reason: str) -> int:
        with self.db.write() as session:
            unit = self.load(session, instance_id, must_run=False)
            if unit.instance.status != "running":
                return 0
            unit.refresh_deadlines()
            unit.save()
            if unit.moved:
                history.record(session, instance_id, "deadlines_refreshed", actor, None, reason or "重新计算期限",
                               detail={"moved": unit.moved})
            return 1

    def start(self, process_key: str, business_key: str, title: str = "", actor=None, data: dict | None = None) -> int:
        """Start an instance of the newest version in a transaction of its own; returns its id."""
        with self.db.write() as session:
            return self.start_in(session, process_key, business_key, title, actor, data)

    def start_in(self, session, process_key: str, business_key: str, title: str = "", actor=None,
                 data: dict | None = None) -> int:
        """Start an instance inside the caller's write transaction (`db.write()`), so that the caller's
        own rows (e.g. the item a process handles) and the instance are stored together or not at all."""
        version = self.repository.latest_process(session, process_key)
        if session.scalar(select(Instance.id).where(Instance.process_key == process_key,
                                                    Instance.business_key == business_key)):
            raise EngineError(f"业务编号“{business_key}”已经存在，不能重复启动")
        deployment_id = self.repository.latest_deployment_id(session)
        spec, subprocess_specs = self.repository.specs.get(deployment_id, process_key)
        workflow = state.new_workflow(spec, subprocess_specs)
        initial = {"business_key": business_key, "initiator": getattr(actor, "username", None), **(data or {})}
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(initial)
        inst = Instance(process_key=process_key, process_version_id=version.id, deployment_id=deployment_id,
                        business_key=business_key, title=title or version.name, status="running", state="{}",
                        started_by_id=getattr(actor, "id", None))
        session.add(inst)
        session.flush()
        history.record(session, inst.id, "instance_started", actor, detail={"version": version.version})
        record = InstanceRecord(inst.id, process_key, deployment_id, business_key, "running", inst.lock_version)
        unit = InstanceUnit(session, record, workflow, self.settings, actor, new=True)
        unit.do_engine_steps()
        unit.save()
        return inst.id


STATUS_LABELS = {"running": "办理中", "completed": "已办结", "suspended": "已挂起", "cancelled": "已撤销"}
