"""An instance's progress drawn on its diagrams (the item page's 流程图), free of Flask.

`progress(session, runtime, instance)` reads the instance's workflow once (read only) and returns,
for the main process and for each called process it started (签收核对 per unit, 办理答复 per unit,
协办 per co-unit, 四个一), the BPMN file of the instance's own deployment that draws it and the
element ids that are current (a task waiting for a person, a running call activity), waiting (timer
and message events, joins) and completed. Embedded sub-processes are drawn inside their process, so
their elements join its tab.
"""
import hashlib
import threading
import xml.etree.ElementTree as ET

from SpiffWorkflow.util.task import TaskState

from ..models import Deployment, Unit

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# The variable that names the unit a called process works for.
UNIT_VARIABLE = {"unit_acceptance": "accepting_unit", "co_unit_handling": "co_unit"}
_CURRENT = TaskState.READY | TaskState.STARTED

_processes_by_sha: dict[str, dict[str, str]] = {}
_lock = threading.Lock()


def processes_in(content: str) -> dict[str, str]:
    """The processes a BPMN file defines: id -> name (parsed once per distinct file)."""
    sha = hashlib.sha256(content.encode("utf-8")).hexdigest()
    found = _processes_by_sha.get(sha)
    if found is None:
        root = ET.fromstring(content.encode("utf-8"))
        found = {p.get("id"): p.get("name") or p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process")}
        with _lock:
            _processes_by_sha[sha] = found
    return found


class _Scope:
    def __init__(self, key: str, workflow, unit: str | None = None):
        self.key, self.workflow, self.unit = key, workflow, unit
        self.current, self.waiting, self.completed = set(), set(), set()

    def collect(self, workflow):
        for task in workflow.get_tasks(skip_subprocesses=True):
            element = getattr(task.task_spec, "bpmn_id", None)
            if not element:
                continue
            if task.state & _CURRENT:
                self.current.add(element)
            elif task.state == TaskState.WAITING:
                self.waiting.add(element)
            elif task.state == TaskState.COMPLETED:
                self.completed.add(element)


def progress(session, runtime, instance) -> dict:
    """{"files": {filename: xml}, "tabs": [...]} for the instance (see the module's doc)."""
    deployment = session.get(Deployment, instance.deployment_id)
    files, where = {}, {}
    for f in deployment.files if deployment else []:
        if f.kind == "bpmn":
            for process_id, name in processes_in(f.content).items():
                where[process_id] = (f.filename, name)
                files.setdefault(f.filename, f.content)
    workflow = runtime.load(session, instance.id, lock=False, must_run=False).workflow
    main = _Scope(instance.process_key, workflow)
    main.collect(workflow)
    scopes = [main]
    by_workflow = {id(workflow): main}
    subs = list(workflow.subprocesses.values())
    for sub in subs:  # parents come before their children in the order they were started
        if sub.spec.name in where:
            scope = _Scope(sub.spec.name, sub, _unit_of(sub, UNIT_VARIABLE.get(sub.spec.name, "unit")))
            scopes.append(scope)
        else:  # an embedded sub-process: drawn inside the process that contains it
            scope = by_workflow.get(id(_parent_workflow(workflow, sub)), main)
        by_workflow[id(sub)] = scope
        scope.collect(sub)
    names = _unit_names(session, {s.unit for s in scopes if s.unit})
    tabs, used = [], set()
    for number, scope in enumerate(scopes):
        if scope.key not in where:
            continue
        filename, process_name = where[scope.key]
        used.add(filename)
        completed = scope.workflow.is_completed() if scope is main else bool(scope.workflow.completed)
        label = process_name if not scope.unit else f"{process_name}（{names.get(scope.unit, scope.unit)}）"
        current = scope.current
        tabs.append({"id": f"p{number}", "process": scope.key, "label": label, "file": filename,
                     "status": "completed" if completed else "running",
                     "current": sorted(current), "waiting": sorted(scope.waiting - current),
                     "completed": sorted(scope.completed - current - scope.waiting)})
    return {"files": {name: files[name] for name in sorted(used)}, "tabs": tabs}


def _parent_workflow(top, sub):
    try:
        return top.get_task_from_id(sub.parent_task_id).workflow
    except Exception:  # noqa: BLE001 - a parent that cannot be found: count it with the main process
        return top


def _unit_of(sub, variable: str) -> str | None:
    for task in reversed(sub.get_tasks(skip_subprocesses=True)):
        value = task.data.get(variable)
        if isinstance(value, str) and value:
            return value
    return None


def _unit_names(session, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return {u.code: u.name for u in session.query(Unit).filter(Unit.code.in_(sorted(codes)))}
