"""Moving running instances to a newer deployment (版本迁移), with SpiffWorkflow's diffs.

An instance is pinned to the deployment it started in: its process and every process it calls. A
migration moves the instances of one process that run in an older deployment to a newer one. For
each process of the instance (the top one and every called or embedded process it has started),
`SpiffWorkflow.bpmn.util.diff.SpecDiff` aligns the old version's elements with the new version's
and names what changed; the instance's tasks are then judged by their state:

- an active task (ready, waiting, running) must still exist, keep its type, and — for a running
  multi-instance or call activity — keep its loop settings and the process it calls;
- a finished task must still exist (its spec is what the stored state refers to);
- every process the instance started must still be deployed.

A dry run (`plan`) tries the move on a copy of each instance and reports, per instance, whether it
can move and why not. The move itself (`migrate`) re-checks and moves each instance in a transaction
of its own: task specs are swapped for their aligned new ones, the future that was predicted from
the old diagram is predicted again from the new one, and `InstanceUnit.save` brings the task index,
timers and jobs in line. Unlike `SpiffWorkflow.bpmn.util.diff.migrate_workflow` (which resets every
ready and waiting task), open tasks keep their data, their timers' times and their ids, so their
inbox rows, claims and links survive; a task whose definition changed gets its row rewritten.

The spec comparison needs a dictionary per task spec: SpiffWorkflow's serializer registry cannot
convert this application's specs (Camunda extensions, forms, external tasks, decision tasks), so
`SpecSignature` turns any spec into plain values attribute by attribute.
"""
import enum
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.diff import SpecDiff
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.util.event import Event
from SpiffWorkflow.util.task import TaskState

from ..models import Deployment, Instance, Job, ProcessVersion
from . import history, state
from .dialect import ExternalServiceTask
from .errors import EngineError, NotFound
from .expressions import SCRIPT_ENGINE
from .runtime import rearm_timer

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
UNREACHED = TaskState.FUTURE | TaskState.PREDICTED_MASK
MOVABLE_STATUSES = ("running", "suspended")  # instances that have not ended

# Attributes whose change does not matter to a running task: labels, and the flows around it (the
# future is predicted again from the new diagram).
_COSMETIC = {"bpmn_name", "description", "documentation", "lane"}
_STRUCTURAL = {"inputs", "outputs"}
CHANGE_LABELS = {"form": "表单", "extensions": "办理人、期限等设置", "bpmn_name": "名称", "documentation": "说明",
                 "outputs": "后续流程", "inputs": "前序流程", "event_definition": "事件定义", "dmnEngine": "决策表",
                 "script": "脚本", "cardinality": "实例数", "data_input": "实例集合", "input_item": "实例变量",
                 "data_output": "汇总集合", "output_item": "汇总变量", "condition": "完成条件", "spec": "调用的流程",
                 "typename": "类型", "cancel_activity": "是否中断"}


def _plain(value, depth=0, seen=frozenset()):
    """Plain, comparable values of a spec attribute: other task specs by name, objects by their fields."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, TaskSpec):
        return value.name
    if depth > 12:
        return "…"
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1, seen) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v, depth + 1, seen) for v in value), key=repr)
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1, seen) for k, v in value.items()}
    if isinstance(value, Event) or callable(value) or id(value) in seen:
        return None
    if hasattr(value, "__dict__"):
        inner = seen | {id(value)}
        return {"__type__": type(value).__name__,
                **{k: _plain(v, depth + 1, inner) for k, v in vars(value).items() if not k.startswith("_")}}
    return repr(value)


class SpecSignature:
    """Stands in for the serializer registry `SpecDiff` compares with: a task spec as a dictionary."""

    @staticmethod
    def convert(spec) -> dict:
        result = {"typename": type(spec).__name__}
        for key, value in vars(spec).items():
            if key == "_wf_spec" or isinstance(value, Event):
                continue
            result[key.lstrip("_")] = _plain(value)
        return result


def _label(spec) -> str:
    if isinstance(spec, LoopTask) and not spec.bpmn_name:  # the parser names the instances' spec
        spec = spec._wf_spec.task_specs.get(spec.task_spec, spec)
    return getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name


def _changes_label(changes, service=False) -> str:
    labels = {**CHANGE_LABELS, "extensions": "服务主题、参数等设置"} if service else CHANGE_LABELS
    return "、".join(dict.fromkeys(labels.get(c, c) for c in changes if c not in _STRUCTURAL))


@dataclass
class DeploymentRef:
    deployment_id: int
    version: int           # the process's version in that deployment
    process_version_id: int
    created_at: datetime | None = None
    created_by: str | None = None

    @property
    def label(self) -> str:
        return f"第 {self.version} 版（部署 {self.deployment_id}）"


@dataclass
class Usage:
    """How many instances not yet ended run a process's version in one deployment."""
    process_key: str     # the instances' own (top) process: the process itself or one that calls it
    deployment_id: int
    version: int         # the version of the process asked about, in that deployment
    process_version_id: int
    running: int = 0
    suspended: int = 0


@dataclass
class InstanceCheck:
    """One instance in a dry run or a migration: can it move, why not, what changes for it."""
    instance_id: int
    business_key: str
    title: str
    status: str
    current: list[str] = field(default_factory=list)   # its open steps
    reasons: list[str] = field(default_factory=list)   # why it cannot move (none: it can)
    changes: list[str] = field(default_factory=list)   # what the move changes for it

    @property
    def movable(self) -> bool:
        return not self.reasons


@dataclass
class MigrationPlan:
    process_key: str
    process_name: str
    source: DeploymentRef
    target: DeploymentRef
    checks: list[InstanceCheck]

    @property
    def movable(self) -> list[InstanceCheck]:
        return [c for c in self.checks if c.movable]

    @property
    def refused(self) -> list[InstanceCheck]:
        return [c for c in self.checks if not c.movable]


@dataclass
class MigrationResult:
    source: DeploymentRef
    target: DeploymentRef
    moved: list[InstanceCheck] = field(default_factory=list)
    refused: list[InstanceCheck] = field(default_factory=list)


class _Differ:
    """SpecDiffs of a migration, computed once per pair of process specs."""

    def __init__(self):
        self._diffs: dict[tuple[int, int], SpecDiff] = {}

    def __call__(self, original, new) -> SpecDiff:
        key = (id(original), id(new))
        if key not in self._diffs:
            self._diffs[key] = SpecDiff(SpecSignature(), original, new)
        return self._diffs[key]


@dataclass
class _Scope:
    """One workflow of an instance (the top process or a started sub-process) and its new spec."""
    workflow: object
    new_spec: object
    diff: SpecDiff

    def aligned(self, task):
        spec = task.task_spec
        if spec in self.diff.alignment:
            return self.diff.alignment[spec]
        return self.new_spec.task_specs.get(spec.name)

    def changes(self, task) -> list[str]:
        return self.diff.changed.get(task.task_spec, [])


class _Analysis:
    def __init__(self):
        self.reasons: list[str] = []
        self._hidden: list[str] = []  # about elements people do not see; told only if nothing else is
        self.changes: list[str] = []
        self.scopes: list[_Scope] = []
        self.rearm: list = []      # waiting date timers whose definition changed
        self.reindex: list = []    # ready user tasks whose definition changed
        self.rejob: list = []      # ready service tasks whose definition changed

    def refuse(self, reason: str, shown: bool = True):
        target = self.reasons if shown else self._hidden
        if reason not in target:
            target.append(reason)

    def finish(self):
        if not self.reasons and self._hidden:
            self.reasons.extend(self._hidden)

    def note(self, change: str):
        if change not in self.changes:
            self.changes.append(change)


def analyse(workflow, new_spec, new_subprocess_specs, differ=None) -> _Analysis:
    """Judge whether `workflow` (a loaded instance) can move to `new_spec` and its called processes."""
    differ = differ or _Differ()
    result = _Analysis()
    scopes = [(workflow, new_spec)]
    for sub in workflow.subprocesses.values():
        target = new_subprocess_specs.get(sub.spec.name)
        if target is None:
            result.refuse(f"被调用的流程“{sub.spec.description or sub.spec.name}”（{sub.spec.name}）在新版本中不存在")
            continue
        scopes.append((sub, target))
    for wf, target in scopes:
        scope = _Scope(wf, target, differ(wf.spec, target))
        result.scopes.append(scope)
        for task in wf.get_tasks(skip_subprocesses=True):
            _judge(task, scope, result)
    result.finish()
    return result


def _judge(task, scope: _Scope, result: _Analysis) -> None:
    spec = task.task_spec
    name = _label(spec)
    new = scope.aligned(task)
    changes = scope.changes(task)
    # Splits and joins the parser adds, and cancelled branches, are not what people look at.
    visible = getattr(spec, "bpmn_id", None) is not None and not task.has_state(TaskState.CANCELLED)
    if task.has_state(UNREACHED):
        return  # predicted from the old diagram: predicted again from the new one
    if not task.has_state(ACTIVE):
        if new is None:
            kind = "已办理的环节" if task.has_state(TaskState.COMPLETED) else "已结束的环节"
            result.refuse(f"{kind}“{name}”在新版本中已删除（迁移后无法保留其办理记录）", visible)
        return
    waiting_event = isinstance(spec, CatchingEvent) and task.has_state(TaskState.WAITING)
    what = "等待中的事件" if waiting_event else "当前环节"
    if new is None:
        result.refuse(f"{what}“{name}”在新版本中已删除", visible)
        return
    if "typename" in changes:
        result.refuse(f"{what}“{name}”在新版本中改变了类型（{type(spec).__name__} → {type(new).__name__}）", visible)
        return
    significant = [c for c in changes if c not in _COSMETIC and c not in _STRUCTURAL]
    if isinstance(spec, LoopTask) and task.has_state(TaskState.STARTED) and significant:
        result.refuse(f"多实例环节“{name}”正在进行，其设置在新版本中有变化（{_changes_label(significant)}）")
        return
    if isinstance(spec, SubWorkflowTask) and task.has_state(TaskState.STARTED) and "spec" in changes:
        result.refuse(f"调用活动“{name}”正在进行，新版本改为调用其他流程（{spec.spec} → {new.spec}）")
        return
    if waiting_event and "event_definition" in changes:
        if type(spec.event_definition) is not type(new.event_definition):
            result.refuse(f"等待中的事件“{name}”在新版本中改变了事件类型")
            return
        result.rearm.append(task)
        result.note(f"等待中的事件“{name}”按新定义计算时间")
    if not changes or not visible:
        return
    ready = task.has_state(TaskState.READY)
    if ready and isinstance(spec, UserTask):
        result.reindex.append(task)
        if not set(changes) <= _STRUCTURAL:
            result.note(f"当前环节“{_label(new)}”按新版本办理（{_changes_label(changes)}有变化）")
    elif ready and isinstance(spec, ExternalServiceTask):
        result.rejob.append(task)
        if not set(changes) <= _STRUCTURAL:
            result.note(f"待执行的服务任务“{_label(new)}”按新版本执行（{_changes_label(changes, service=True)}有变化）")
    if "outputs" in changes:
        result.note(f"“{name}”之后的流程按新版本办理")


def apply(analysis: _Analysis, workflow, new_spec, new_subprocess_specs) -> None:
    """Move an analysed, movable workflow to the new specs in place (see the module's docstring)."""
    for scope in analysis.scopes:
        wf = scope.workflow
        for task in wf.get_tasks(skip_subprocesses=True):
            new = scope.aligned(task)
            if new is not None:
                task.task_spec = new
        wf.spec = scope.new_spec
    workflow.subprocess_specs = new_subprocess_specs
    for scope in analysis.scopes:
        for task in list(scope.workflow.get_tasks(state=ACTIVE, skip_subprocesses=True)):
            _predict_again(task)
    stale = [_label(t.task_spec) for scope in analysis.scopes for t in scope.workflow.get_tasks(skip_subprocesses=True)
             if scope.workflow.spec.task_specs.get(t.task_spec.name) is not t.task_spec]
    if stale:
        raise EngineError(f"环节“{'、'.join(dict.fromkeys(stale))}”无法对应到新版本")


def _predict_again(task) -> None:
    """Drop what was predicted after an active task from the old diagram and predict it from the new."""
    unreached = [c for c in task.children if _all_unreached(c)]
    state = max((c.state for c in unreached), default=TaskState.FUTURE)
    for child in unreached:
        task.workflow._remove_task(child.id)
    present = {c.task_spec for c in task.children}
    for output in task.task_spec.outputs:
        if output not in present:
            child = task._add_child(output, state)
            output._predict(child, mask=TaskState.FUTURE | TaskState.PREDICTED_MASK)


def _all_unreached(task) -> bool:
    return task.has_state(UNREACHED) and all(_all_unreached(c) for c in task.children)


class Migration:
    """Dry runs and moves of instances between deployments (Flask-free; `Migration(engine)`)."""

    def __init__(self, engine):
        self.db = engine.db
        self.repository = engine.repository
        self.runtime = engine.runtime

    # --- what can be chosen ---

    def usage(self, session, process_key: str) -> list[Usage]:
        """The instances not yet ended that run a process, per deployment: instances of the process
        itself and of the processes that call it (they run the version deployed with them). One
        grouped query over the instances; which process calls which comes from the cached specs."""
        rows = session.execute(
            select(Instance.process_key, Instance.deployment_id, Instance.status, func.count())
            .where(Instance.status.in_(MOVABLE_STATUSES))
            .group_by(Instance.process_key, Instance.deployment_id, Instance.status)
            .order_by(Instance.deployment_id, Instance.process_key))
        versions = list(session.scalars(select(ProcessVersion).where(ProcessVersion.process_key == process_key)
                                        .order_by(ProcessVersion.deployment_id)))
        found: dict[tuple[str, int], Usage] = {}
        for top, deployment_id, status, count in rows:
            if top != process_key and process_key not in self.repository.specs.get(deployment_id, top)[1]:
                continue
            in_effect = [v for v in versions if v.deployment_id <= deployment_id]
            if not in_effect:
                continue
            row = found.setdefault((top, deployment_id), Usage(top, deployment_id, in_effect[-1].version,
                                                               in_effect[-1].id))
            setattr(row, status, count)
        return list(found.values())

    def deployment_ref(self, session, process_key: str, deployment_id: int) -> DeploymentRef:
        """The process's version in effect in a deployment (the newest one deployed up to it)."""
        deployment = session.get(Deployment, deployment_id)
        if deployment is None:
            raise NotFound(f"部署 {deployment_id} 不存在")
        version = session.scalars(select(ProcessVersion).where(
            ProcessVersion.process_key == process_key, ProcessVersion.deployment_id <= deployment_id)
            .order_by(ProcessVersion.version.desc()).limit(1)).first()
        deployed, _called = self.repository.specs.process_keys(deployment_id)
        if version is None or process_key not in deployed:
            raise NotFound(f"部署 {deployment_id} 中没有流程“{process_key}”")
        return DeploymentRef(deployment_id, version.version, version.id, deployment.created_at, deployment.created_by)

    def targets(self, session, process_key: str, source_deployment_id: int) -> list[DeploymentRef]:
        """The newer deployments an instance of the source deployment may move to, newest first."""
        ids = session.scalars(select(Deployment.id).where(Deployment.id > source_deployment_id)
                              .order_by(Deployment.id.desc()))
        refs = []
        for deployment_id in ids:
            try:
                refs.append(self.deployment_ref(session, process_key, deployment_id))
            except NotFound:
                continue
        return refs

    def _pair(self, session, process_key, source_deployment_id, target_deployment_id):
        source = self.deployment_ref(session, process_key, source_deployment_id)
        if target_deployment_id is None:
            target_deployment_id = self.repository.latest_deployment_id(session)
        target = self.deployment_ref(session, process_key, target_deployment_id)
        if target.deployment_id <= source.deployment_id:
            raise EngineError(f"只能迁移到更新的部署：部署 {target.deployment_id} 不晚于部署 {source.deployment_id}")
        return source, target

    # --- dry run ---

    def plan(self, process_key: str, source_deployment_id: int, target_deployment_id: int | None = None,
             instance_ids: list[int] | None = None) -> MigrationPlan:
        """Which instances of the source deployment could move to the target (default: the newest
        deployment), and why the others cannot. Nothing is stored."""
        differ = _Differ()
        with self.db.read() as session:
            source, target = self._pair(session, process_key, source_deployment_id, target_deployment_id)
            name = session.get(ProcessVersion, target.process_version_id).name
            ids = self._instance_ids(session, process_key, source.deployment_id, instance_ids)
            checks = []
            for instance_id in ids:
                unit = self.runtime.load(session, instance_id, lock=False, must_run=False)
                check = self._check(session, unit)
                self._trial(check, unit, process_key, target, differ)
                checks.append(check)
        return MigrationPlan(process_key, name, source, target, checks)

    @staticmethod
    def _instance_ids(session, process_key, deployment_id, only) -> list[int]:
        query = (select(Instance.id).where(Instance.process_key == process_key, Instance.deployment_id == deployment_id,
                                           Instance.status.in_(MOVABLE_STATUSES)).order_by(Instance.id))
        if only is not None:
            query = query.where(Instance.id.in_(only))
        return list(session.scalars(query))

    @staticmethod
    def _check(session, unit) -> InstanceCheck:
        inst = session.get(Instance, unit.instance.id)
        current = [_label(t.task_spec) for t in unit.workflow.get_tasks(state=TaskState.READY)
                   if isinstance(t.task_spec, (UserTask, ExternalServiceTask))]
        return InstanceCheck(inst.id, inst.business_key, inst.title, inst.status, current)

    def _trial(self, check: InstanceCheck, unit, process_key, target: DeploymentRef, differ):
        """Analyse and move the loaded copy; returns the moved workflow (None when refused)."""
        new_spec, new_subs = self.repository.specs.get(target.deployment_id, process_key)
        try:
            analysis = analyse(unit.workflow, new_spec, new_subs, differ)
        except Exception as e:  # noqa: BLE001 - a state the diff cannot read is a reason, not a crash
            check.reasons.append(f"无法比较该事项与新版本：{e}")
            return None, None
        check.reasons.extend(analysis.reasons)
        check.changes.extend(analysis.changes)
        if analysis.reasons:
            return None, analysis
        try:
            apply(analysis, unit.workflow, new_spec, new_subs)
            moved = state.load(state.dump(unit.workflow), new_spec, new_subs)
        except EngineError as e:
            check.reasons.append(f"试迁移未通过：{e}")
            return None, analysis
        except Exception as e:  # noqa: BLE001 - whatever SpiffWorkflow raises, the instance stays
            check.reasons.append(f"试迁移未通过：{type(e).__name__}: {e}")
            return None, analysis
        return moved, analysis

    # --- the move ---

    def migrate(self, process_key: str, source_deployment_id: int, target_deployment_id: int | None = None,
                actor=None, instance_ids: list[int] | None = None) -> MigrationResult:
        """Move the given instances (default: every movable one) of the source deployment to the
        target, each in a transaction of its own; an instance that cannot move stays as it is."""
        with self.db.read() as session:
            source, target = self._pair(session, process_key, source_deployment_id, target_deployment_id)
            ids = self._instance_ids(session, process_key, source.deployment_id, instance_ids)
        result = MigrationResult(source, target)
        differ = _Differ()
        for instance_id in ids:
            check = self._migrate_one(instance_id, process_key, source, target, actor, differ)
            (result.moved if check.movable else result.refused).append(check)
        if instance_ids is not None:  # asked for but not (or no longer) in the source deployment
            for missing in sorted(set(instance_ids) - set(ids)):
                result.refused.append(InstanceCheck(missing, "", "", "", reasons=[
                    f"事项实例 {missing} 不是部署 {source.deployment_id} 中办理中的“{process_key}”"]))
        return result

    def _migrate_one(self, instance_id, process_key, source, target, actor, differ) -> InstanceCheck:
        check = InstanceCheck(instance_id, "", "", "")
        try:
            with self.db.write() as session:
                unit = self.runtime.load(session, instance_id, actor=actor, must_run=False)
                check = self._check(session, unit)
                if unit.instance.deployment_id != source.deployment_id or unit.instance.status not in MOVABLE_STATUSES:
                    check.reasons.append("该事项已不在原部署中办理（可能已迁移或已结束）")
                    return check
                moved, analysis = self._trial(check, unit, process_key, target, differ)
                if moved is None:
                    session.rollback()
                    return check
                self._store(session, unit, moved, analysis, source, target, check, actor)
                return check
        except EngineError as e:  # e.g. saved by someone else meanwhile: nothing of this move was stored
            check.reasons.append(str(e))
            return check

    def _store(self, session, unit, moved, analysis, source, target, check, actor):
        by_id = {str(t.id): t for t in moved.get_tasks(state=ACTIVE)}
        unit.workflow = moved
        for task in analysis.rearm:
            rearm_timer(by_id[str(task.id)])
        running = unit.instance.status == "running"
        if running:
            unit.do_engine_steps()  # nothing should be ready to run; if the new diagram says so, it runs
        unit.deadlines_moved = True  # due dates of open tasks from the new definitions
        session.connection().execute(
            update(Instance.__table__).where(Instance.__table__.c.id == unit.instance.id)
            .values(deployment_id=target.deployment_id, process_version_id=target.process_version_id))
        unit.instance.deployment_id = target.deployment_id
        unit.save()
        for task in analysis.reindex:
            current = by_id.get(str(task.id))
            if current is not None and current.state == TaskState.READY:
                unit.reindex_task(current)
        for task in analysis.rejob:
            current = by_id.get(str(task.id))
            if current is not None and current.state == TaskState.READY:
                ext = current.task_spec.extensions
                session.connection().execute(
                    update(Job.__table__).where(Job.__table__.c.task_guid == str(task.id),
                                                Job.__table__.c.status == "pending")
                    .values(topic=ext.topic, element_id=current.task_spec.bpmn_id, name=_label(current.task_spec),
                            parameters={k: SCRIPT_ENGINE.value(current, v) for k, v in ext.input_parameters.items()}))
        history.record(session, unit.instance.id, "instance_migrated", actor, None,
                       session.get(ProcessVersion, target.process_version_id).name,
                       detail={"from_version": source.label, "to_version": target.label,
                               **({"changes": check.changes} if check.changes else {})})
