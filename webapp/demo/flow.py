"""Acting in the deployed procedure as the demo's people: complete tasks, run the worker, send messages.

Everything goes through the engine's own services (`engine.tasks.complete` with form values as a
browser sends them, `engine.management` for service tasks and timers, `engine.runtime.correlate`
for extension requests and urges), so the demo data is what the product itself would have stored.

The one thing the product cannot do for a seed is to have happened in the past: the diagrams date
the assignment with `today()` (bpmn/item_handling.bpmn, `register_assignment`) and count the
handling period from it. Instead of moving the engine's clock (that would need time_machine at
run time), `Flow.set_dates` sets the dates the diagrams read — `assigned_on`, `handling_due`, a
unit's `due`, `follow_up_at`, `recheck_at` — in the process data, the way an approved extension
sets `due` (`InstanceUnit.set_scope_variables`: waiting timers are re-armed, open tasks' due
dates follow). A period that has run out then fires its timer at the item's next step or when the
worker next runs, as it would have: the reminders, the overdue escalation, the closed objection
window. An item replied in the past is dated only once its handling is over, so that none of those
fire on its way to the reply. The audit trail and the notices keep the real time of seeding, and the
change is recorded in the item's history.
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from SpiffWorkflow.util.task import TaskState

from ..engine import history
from ..engine.expressions import SCRIPT_ENGINE
from ..engine.forms import UploadedFile
from ..engine.runtime import IndexSnapshot
from ..models import HumanTask, Job, TaskCandidate, Unit, User


class DemoError(RuntimeError):
    """The procedure did not go where the seed expected (a changed diagram, most likely)."""


def scan_pdf(title: str = "Signed reply letter") -> UploadedFile:
    """A small valid one-page PDF standing in for the signed and sealed scan (签章扫描件)."""
    text = f"BT /F1 14 Tf 72 760 Td ({title} - demo scan) Tj ET"
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               "/Resources << /Font << /F1 5 0 R >> >> >>",
               f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = "%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n" + "".join(f"{o:010d} 00000 n \n" for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return UploadedFile("答复函（签章扫描件）.pdf", "application/pdf", out.encode("ascii"))


@dataclass
class OpenTask:
    id: int
    element_id: str
    unit: str | None
    form_data: dict


class Flow:
    def __init__(self, engine):
        self.engine = engine
        with engine.db.read() as s:
            # Detached with their roles (and the roles' units) loaded: what the task service checks.
            self.users = {u.username: u for u in s.scalars(select(User))}
            self.unit_codes = {unit_id: code for code, unit_id in s.execute(select(Unit.code, Unit.id))}
        self.steps = 0

    # --- reading ---

    def open_tasks(self, instance_id: int) -> list[OpenTask]:
        with self.engine.db.read() as s:
            rows = s.execute(select(HumanTask.id, HumanTask.element_id, HumanTask.unit_id, HumanTask.form_data)
                             .where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
                             .order_by(HumanTask.id)).all()
        return [OpenTask(r.id, r.element_id, self.unit_codes.get(r.unit_id), r.form_data or {}) for r in rows]

    def task(self, instance_id: int, element_id: str, unit: str | None = None) -> OpenTask:
        found = [t for t in self.open_tasks(instance_id)
                 if t.element_id == element_id and (unit is None or t.unit == unit)]
        if not found:
            open_now = ", ".join(f"{t.element_id}({t.unit or '-'})" for t in self.open_tasks(instance_id)) or "无"
            raise DemoError(f"实例 {instance_id} 没有待办“{element_id}”（单位 {unit or '-'}）；当前待办：{open_now}")
        return found[0]

    def evaluations(self, instance_id: int) -> list[tuple[OpenTask, str | None]]:
        """The open 满意度测评 tasks with the user each is for (None: the office records it on behalf of a
        proposer without an account)."""
        tasks = [t for t in self.open_tasks(instance_id) if t.element_id == "evaluate_reply"]
        with self.engine.db.read() as s:
            named = dict(s.execute(select(TaskCandidate.human_task_id, TaskCandidate.value)
                                   .where(TaskCandidate.human_task_id.in_([t.id for t in tasks]),
                                          TaskCandidate.kind == "user")).all())
        return [(t, named.get(t.id) if named.get(t.id) in self.users else None) for t in tasks]

    # --- acting ---

    def do(self, instance_id: int, element_id: str, username: str, unit: str | None = None, jobs: bool = True,
           **values) -> None:
        """Complete the open task `element_id` (of `unit`) as `username`, sending what a browser would:
        the form's pre-filled values for the fields left alone, and `values`; then run the jobs."""
        self.complete(self.task(instance_id, element_id, unit), username, jobs, **values)

    def complete(self, task: OpenTask, username: str, jobs: bool = True, **values) -> None:
        prefilled = {k: v for k, v in task.form_data.items() if v is not None and not isinstance(v, dict)}
        submitted = {k: _as_sent(v) for k, v in {**prefilled, **values}.items()}
        self.engine.tasks.complete(task.id, self.users[username], submitted)
        self.steps += 1
        if jobs:
            self.jobs()

    def jobs(self) -> None:
        """Run the service tasks that are ready (no timers: see `settle`)."""
        while self._jobs_pending() and self.engine.management.run_jobs():
            pass

    def _jobs_pending(self) -> bool:
        # A read first: most steps queue no job, and claiming none costs a write transaction.
        with self.engine.db.read() as s:
            return s.scalar(select(Job.id).where(Job.status == "pending").limit(1)) is not None

    def settle(self) -> None:
        """What the worker would do now: fire every due timer and run the jobs, until nothing is left."""
        while self.engine.management.run_once():
            pass

    def message(self, instance_id: int, name: str, payload: dict, unit: str, username: str, label: str) -> None:
        self.engine.runtime.correlate(instance_id, name, payload, where={"unit": unit}, actor=self.users[username],
                                      label=label)
        self.steps += 1
        self.jobs()

    def set_dates(self, instance_id: int, values: dict | None = None, unit: str | None = None,
                  unit_values: dict | None = None, recorded: dict | None = None, note: str = "") -> None:
        """Set date variables of an item's process, see the module docstring: `values` in the whole
        process, `unit_values` in the running `unit_handling` of `unit` only; `recorded` maps a
        variable that a script filled with `today()` (e.g. the units' receipts in `acceptances`) to a
        function giving its value as it would have been, applied wherever the data holds it, done
        steps included (parallel branches merge their data when they join)."""
        with self.engine.db.write() as session:
            loaded = self.engine.runtime.load(session, instance_id)
            workflow = loaded.workflow
            if values:
                loaded.set_scope_variables(workflow, values)
            if unit_values:
                loaded.set_scope_variables(_unit_scope(workflow, unit), unit_values)
            for name, rewrite in (recorded or {}).items():
                for task in workflow.get_tasks():  # every task, of the called processes too
                    if task.data.get(name):
                        task.data[name] = rewrite(task.data[name])
            _refresh_pending_jobs(session, workflow)
            history.record(session, instance_id, "step", None, None, note or "演示数据：设定日期")
            loaded.save()
        self.steps += 1


def _as_sent(value):
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, date):
        return value.isoformat()
    return value


def _unit_scope(workflow, unit: str):
    """The running `unit_handling` of one unit."""
    for sub in workflow.subprocesses.values():
        if sub.spec.name == "unit_handling" and not sub.completed and \
                any(t.data.get("unit") == unit for t in sub.get_tasks(state=TaskState.READY | TaskState.WAITING)):
            return sub
    raise DemoError(f"单位 {unit} 没有正在办理的 unit_handling")


def _refresh_pending_jobs(session, workflow) -> None:
    """Service tasks already queued take their parameters from the data as it is now (e.g. the
    assignment notice states the handling period counted from the date set)."""
    for guid, task in IndexSnapshot(workflow).jobs.items():
        ext = task.task_spec.extensions
        params = {name: SCRIPT_ENGINE.value(task, text) for name, text in ext.input_parameters.items()}
        session.execute(update(Job).where(Job.task_guid == guid, Job.status == "pending").values(parameters=params))


