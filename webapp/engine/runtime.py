"""Runtime service: start instances, run engine steps and persist everything in one transaction.

`InstanceUnit` is the one place where a workflow is loaded and saved. Saving writes the serialized
state, brings the human-task index, the timer table and the job table in line with the workflow,
and appends the audit records — all in the caller's transaction. The instance row's version column
makes a second writer with a stale copy fail instead of overwriting.
"""
import hashlib
from datetime import date, datetime, time, timezone
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.util.task import TaskState

from ..models import HumanTask, Instance, Job, StoredFile, TaskCandidate, TextBlob, Timer, Unit, User, utcnow
from . import history, state
from .dialect import ExternalServiceTask
from .errors import ConcurrentUpdate, EngineError, InstanceNotRunning, NotFound
from .expressions import SCRIPT_ENGINE
from .forms import UploadedFile

OFFICE_TZ = ZoneInfo("Asia/Shanghai")
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


class InstanceUnit:
    """A loaded instance inside a write transaction: run the engine, then `save()`."""

    def __init__(self, session, instance: Instance, workflow, settings, actor=None):
        self.session = session
        self.instance = instance
        self.workflow = workflow
        self.settings = settings
        self.actor = actor
        self.steps: list = []

    # --- engine ---

    def do_engine_steps(self):
        self.workflow.do_engine_steps(did_complete_task=self.steps.append)

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
        inst.state = state.dump(self.workflow)
        if self.workflow.is_completed() and inst.status == "running":
            inst.status, inst.ended_at = "completed", utcnow()
            history.record(self.session, inst.id, "instance_completed")
        self._sync_human_tasks()
        self._sync_timers()
        self._sync_jobs()
        try:
            self.session.flush()
        except StaleDataError:
            raise ConcurrentUpdate() from None

    def _sync_human_tasks(self):
        ready = {str(t.id): t for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)
                 if isinstance(t.task_spec, UserTask)}
        rows = {r.task_guid: r for r in self.session.scalars(
            select(HumanTask).where(HumanTask.instance_id == self.instance.id, HumanTask.status == "open"))}
        for guid, row in rows.items():
            if guid not in ready:
                row.status, row.completed_at = "cancelled", utcnow()
                history.record(self.session, self.instance.id, "task_cancelled", None, row.element_id, row.name)
        for guid, task in ready.items():
            if guid not in rows:
                self.session.add(self._human_task_row(task))
                history.record(self.session, self.instance.id, "task_created", None, task.task_spec.bpmn_id,
                               task.task_spec.bpmn_name)

    def _human_task_row(self, task) -> HumanTask:
        spec, ext = task.task_spec, task.task_spec.extensions
        value = lambda text: SCRIPT_ENGINE.value(task, text)  # noqa: E731
        row = HumanTask(instance_id=self.instance.id, task_guid=str(task.id), element_id=spec.bpmn_id,
                        name=spec.bpmn_name or spec.bpmn_id, status="open",
                        due_at=to_deadline(value(ext.due_date)), follow_up_at=to_deadline(value(ext.follow_up_date)),
                        priority=int(value(ext.priority) or 50), form_data=self._form_values(task))
        assignee = value(ext.assignee)
        if assignee:
            row.assignee_id = self.session.scalar(select(User.id).where(User.username == str(assignee)))
        unit_code = value(ext.properties.get("unit"))
        if unit_code:
            row.unit_id = self.session.scalar(select(Unit.id).where(Unit.code == str(unit_code)))
            if row.unit_id is None:
                raise EngineError(f"任务“{row.name}”指定的单位“{unit_code}”不存在")
        row.candidates = ([TaskCandidate(kind="group", value=g) for g in _split(value(ext.candidate_groups))] +
                          [TaskCandidate(kind="user", value=u) for u in _split(value(ext.candidate_users))])
        return row

    @staticmethod
    def _form_values(task) -> dict:
        values = {}
        for f in task.task_spec.form.fields:
            if f.id in task.data:
                values[f.id] = task.data[f.id]
            elif f.default is not None:
                values[f.id] = SCRIPT_ENGINE.value(task, f.default)
        return values

    def _sync_timers(self):
        waiting = {}
        for task in self.workflow.get_tasks(state=TaskState.WAITING):
            if isinstance(task.task_spec, CatchingEvent):
                due = _timer_due(task)
                if due is not None:
                    waiting[str(task.id)] = (task, due)
        rows = {r.task_guid: r for r in self.session.scalars(
            select(Timer).where(Timer.instance_id == self.instance.id))}
        for guid, row in rows.items():
            if guid not in waiting:
                self.session.delete(row)
        for guid, (task, due) in waiting.items():
            if guid in rows:
                rows[guid].due_at = due
            else:
                self.session.add(Timer(instance_id=self.instance.id, task_guid=guid, element_id=task.task_spec.bpmn_id,
                                       name=task.task_spec.bpmn_name or task.task_spec.bpmn_id, due_at=due))

    def _sync_jobs(self):
        ready = {str(t.id): t for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)
                 if isinstance(t.task_spec, ExternalServiceTask)}
        rows = {r.task_guid: r for r in self.session.scalars(
            select(Job).where(Job.instance_id == self.instance.id, Job.status.in_(("pending", "running", "incident"))))}
        for guid, row in rows.items():
            if guid not in ready:
                row.status, row.finished_at = "cancelled", utcnow()
        for guid, task in ready.items():
            if guid not in rows:
                ext = task.task_spec.extensions
                params = {name: SCRIPT_ENGINE.value(task, text) for name, text in ext.input_parameters.items()}
                self.session.add(Job(instance_id=self.instance.id, task_guid=guid, element_id=task.task_spec.bpmn_id,
                                     name=task.task_spec.bpmn_name or task.task_spec.bpmn_id, topic=ext.topic,
                                     parameters=params, max_attempts=self.settings.job_max_attempts, run_at=utcnow()))

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


def _timer_due(task) -> datetime | None:
    definition = task.task_spec.event_definition
    timers = getattr(definition, "event_definitions", [definition])
    dues = []
    for timer in timers:
        if isinstance(timer, TimerEventDefinition):
            detail = timer.details(task)
            if detail.value:
                dues.append(TimerEventDefinition.get_datetime(detail.value))
    return min(dues) if dues else None


class Runtime:
    def __init__(self, db, repository, settings):
        self.db = db
        self.repository = repository
        self.settings = settings

    def load(self, session, instance_id: int, actor=None, lock=True, must_run=True) -> InstanceUnit:
        query = select(Instance).where(Instance.id == instance_id)
        if lock and not self.db.is_sqlite:
            query = query.with_for_update()
        inst = session.scalars(query).first()
        if inst is None:
            raise NotFound(f"事项实例 {instance_id} 不存在")
        if must_run and inst.status != "running":
            raise InstanceNotRunning(f"该流程实例当前状态为“{STATUS_LABELS.get(inst.status, inst.status)}”，不能办理")
        spec, subprocess_specs = self.repository.specs.get(inst.deployment_id, inst.process_key)
        return InstanceUnit(session, inst, state.load(inst.state, spec, subprocess_specs), self.settings, actor)

    def start(self, process_key: str, business_key: str, title: str = "", actor=None, data: dict | None = None) -> int:
        with self.db.write() as session:
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
            unit = InstanceUnit(session, inst, workflow, self.settings, actor)
            unit.do_engine_steps()
            unit.save()
            return inst.id


STATUS_LABELS = {"running": "办理中", "completed": "已办结", "suspended": "已挂起", "cancelled": "已撤销"}
