"""Drives the deployed procedure (bpmn/ + dmn/) through the engine the way its users do.

`Procedure` knows a small fictional city: the office, the two reviewing bodies, a vice-mayor, three
deputies and four handling units with all of the 五级 roles. Tests complete human tasks as named
people (the engine checks they may), run the worker for timers and service tasks, and read back
the sequence of human tasks, who could claim each, and the process data.
"""
from datetime import date

from sqlalchemy import select

from tests.conftest import secret_hash
from tests.support.helpers import instance, instance_data
from webapp.engine.repository import sources_from_dirs
from webapp.engine.tasks import eligible_clause
from webapp.models import AuditEvent, HumanTask, Notification, Role, RoleAssignment, StoredFile, Unit, User
from tests.test_decisions_procedure import ROOT

UNITS = {"jtj": "市交通运输局", "zjj": "市住房和城乡建设局", "jyj": "市教育局", "wjw": "市卫生健康委员会",
         "office": "市政府办公室", "npc": "市人大常委会代表工委", "cppcc": "市政协提案委"}
UNIT_ROLES = {"liaison": "unit_liaison", "handler": "unit_handler", "leader": "unit_leader", "head": "unit_head"}
# username: (display name, [(role, unit code or None)])
PEOPLE = {
    "office": ("王秘书", [("office", "office")]),
    "office2": ("钱督查", [("office", "office")]),
    "npc_reviewer": ("孙主任", [("reviewer_npc", "npc")]),
    "cppcc_reviewer": ("周主任", [("reviewer_cppcc", "cppcc")]),
    "vice_mayor": ("郑副市长", [("vice_mayor", None)]),
    "deputy": ("刘代表", [("proposer", None)]),
    "cosigner": ("陈代表", [("proposer", None)]),
    "member": ("吴委员", [("proposer", None)]),
    **{f"{unit}_{short}": (f"{UNITS[unit]}{short}", [(role, unit)])
       for unit in ("jtj", "zjj", "jyj", "wjw") for short, role in UNIT_ROLES.items()},
}

ITEM = dict(item_type="suggestion", item_type_label="人大建议", session="十七届五次", item_no=123,
            title="关于改善城区公交线路的建议", category="交通运输", proposer="deputy", proposer_name="刘代表",
            co_signers=[], is_key=False, key_source="none", proposer_requested_face_to_face=False,
            received_on=None)


class Procedure:
    def __init__(self, engine):
        self.engine = engine
        engine.repository.deploy(sources_from_dirs(ROOT / "bpmn", ROOT / "dmn"))
        with engine.db.write() as s:
            for code in sorted({r for _n, roles in PEOPLE.values() for r, _u in roles}):
                if s.get(Role, code) is None:
                    s.add(Role(code=code, name=code))
            units = {}
            for code, name in UNITS.items():
                units[code] = Unit(code=code, name=name)
                s.add(units[code])
            s.flush()
            for username, (name, roles) in PEOPLE.items():
                user = User(username=username, display_name=name, password_hash=secret_hash())
                s.add(user)
                s.flush()
                for role, unit in roles:
                    s.add(RoleAssignment(user_id=user.id, role_code=role, unit_id=units[unit].id if unit else None))
        self.instance_id = None

    # --- acting ---

    def start(self, **item) -> int:
        data = {**ITEM, **item}
        key = f"{data['item_type']}-{data['session']}-{data['item_no']}"
        self.instance_id = self.engine.runtime.start("item_handling", key, data["title"], data=data)
        self.work()
        return self.instance_id

    def user(self, username) -> User:
        with self.engine.db.read() as s:
            return s.scalars(select(User).where(User.username == username)).one()

    def task(self, element_id, unit=None) -> HumanTask:
        tasks = [t for t in self.open_tasks() if t.element_id == element_id and (unit is None or t.unit_code == unit)]
        assert len(tasks) == 1, f"expected one open {element_id} (unit {unit}); open: {self.open_summary()}"
        return tasks[0]

    def do(self, element_id, username, unit=None, **values):
        """Complete the open task `element_id` as `username` with form values as a browser sends them."""
        task = self.task(element_id, unit)
        # A browser sends the pre-filled values (defaults, earlier input) of the fields left alone.
        prefilled = {k: v for k, v in (task.form_data or {}).items() if v is not None and not isinstance(v, dict)}
        submitted = {k: _as_sent(v) for k, v in {**prefilled, **values}.items()}
        self.engine.tasks.complete(task.id, self.user(username), submitted)
        self.work()

    def work(self):
        """Let the worker fire what is due and run the service tasks until nothing is left."""
        while self.engine.management.run_once():
            pass

    def message(self, name, payload, unit=None, username="office"):
        self.engine.runtime.correlate(self.instance_id, name, payload, where={"unit": unit} if unit else None,
                                      actor=self.user(username))
        self.work()

    # --- reading ---

    def open_tasks(self) -> list[HumanTask]:
        with self.engine.db.read() as s:
            rows = s.scalars(select(HumanTask).where(HumanTask.instance_id == self.instance_id,
                                                     HumanTask.status == "open").order_by(HumanTask.id)).all()
            for r in rows:
                r.unit_code = s.get(Unit, r.unit_id).code if r.unit_id else None
            return rows

    def open_summary(self) -> list[tuple[str, str | None]]:
        return sorted((t.element_id, t.unit_code) for t in self.open_tasks())

    def created(self) -> list[str]:
        """Element ids of the human tasks created so far, in order."""
        with self.engine.db.read() as s:
            return list(s.scalars(select(AuditEvent.element_id).where(
                AuditEvent.instance_id == self.instance_id, AuditEvent.action == "task_created").order_by(AuditEvent.id)))

    def claimants(self, element_id, unit=None) -> set[str]:
        """Who sees the open task in their inbox (may claim it)."""
        return self.claimants_of(self.task(element_id, unit))

    def claimants_of(self, task) -> set[str]:
        with self.engine.db.read() as s:
            users = s.scalars(select(User)).all()
            return {u.username for u in users
                    if s.scalar(select(HumanTask.id).where(HumanTask.id == task.id, eligible_clause(u)))}

    def data(self) -> dict:
        """The process data: of the ready tasks, else the waiting ones, else the last finished one."""
        data = instance_data(self.engine, self.instance_id)
        if data:
            return data
        with self.engine.db.read() as s:
            return self.engine.runtime.variables(s, self.instance_id)

    def due(self, variable="due") -> str:
        """A deadline variable as an ISO datetime (it may be held as a rule and its start)."""
        from webapp.engine.expressions import due_date
        return due_date(self.data()[variable])

    def status(self) -> str:
        return instance(self.engine, self.instance_id).status

    def task_data(self, element_id) -> dict:
        """The data of the one ready or waiting task `element_id` (its process scope, however deep)."""
        from SpiffWorkflow.util.task import TaskState
        with self.engine.db.read() as s:
            workflow = self.engine.runtime.load(s, self.instance_id, lock=False, must_run=False).workflow
            tasks = [t for t in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING)
                     if t.task_spec.name == element_id]
            assert len(tasks) == 1, f"expected one ready or waiting {element_id}, found {len(tasks)}"
            return dict(tasks[0].data)

    def files(self) -> list[StoredFile]:
        """The files of the instance (uploaded in forms or made by service tasks), in order."""
        with self.engine.db.read() as s:
            return list(s.scalars(select(StoredFile).where(StoredFile.instance_id == self.instance_id)
                                  .order_by(StoredFile.id)))

    def notices(self, username) -> list[str]:
        with self.engine.db.read() as s:
            user = self.user(username)
            return list(s.scalars(select(Notification.subject).where(Notification.user_id == user.id)
                                  .order_by(Notification.id)))


def _as_sent(value):
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, date):
        return value.isoformat()
    return value


def unit_people(unit):
    return {f"{unit}_{short}" for short in UNIT_ROLES}


# --- the usual stretches of the procedure, with sensible form values ---

def scan():
    from webapp.engine.forms import UploadedFile
    return UploadedFile("答复函（签章）.pdf", "application/pdf", b"%PDF-1.4 signed scan")


def register(proc, mode="single", lead="jtj", co=(), split=(), vice_mayor=False, **intake):
    """立案 with the intake values given, then assign as `mode` (single / lead_co / split)."""
    proc.do("intake_review", "office", intake_decision="register", category=intake.pop("category", "交通运输"), **intake)
    values = dict(handling_mode=mode, office_requires_vice_mayor=vice_mayor)
    if lead:
        values["lead_unit"] = lead
    values["co_units"] = list(co)
    values["split_units"] = list(split)
    proc.do("assign_units", "office", **values)


def accept(proc, *units):
    for unit in units:
        proc.do("check_remit", f"{unit}_liaison", unit=unit, remit_decision="accept")


def dispatch(proc, unit):
    proc.do("dispatch", f"{unit}_liaison", unit=unit, division="业务科", handler_name="经办人", leader_name="分管领导",
            responsible_head="主要领导", internal_due="2027-01-15", task_requirements="按期高质量办结")


def consult(proc, unit, method="phone", **judgement):
    proc.do("consult_before", f"{unit}_handler", unit=unit, consult_method=method, consult_date="2026-11-24",
            consult_participants="刘代表", consult_summary="了解代表的意图和诉求", **judgement)


def handle(proc, unit, method="phone"):
    proc.do("handle_item", f"{unit}_handler", unit=unit, handling_measures="调整公交线路，增开班次",
            handling_outcome="solve_now", during_method=method, during_date="2026-12-10", during_summary="通报办理进展")


def draft(proc, unit, result_class="A", publication="public", **more):
    values = dict(result_class=result_class, class_basis="问题已经解决", reply_body="一、基本情况\n" + "已按建议调整线路。" * 10,
                  publication=publication, contact_person="李四", contact_phone="0359-2345678")
    if result_class == "B":
        values.update(commitments="2027年6月前新开通两条公交线路", commitment_due="2027-06-30")
    values.update(more)
    proc.do("draft_reply", f"{unit}_handler", unit=unit, **values)


def unit_review(proc, unit):
    proc.do("leader_review", f"{unit}_leader", unit=unit, leader_decision="approve")
    proc.do("head_sign", f"{unit}_head", unit=unit, head_decision="approve", doc_prefix="交函", doc_serial=12)


def office_and_reviewers(proc, reviewer="npc_reviewer", result_class=None):
    current = proc.task("office_review").form_data.get("result_class")
    proc.do("office_review", "office", result_class=result_class or current, office_decision="approve",
            solves_problem=True, communicated=True)
    proc.do("reviewer_review", reviewer, reviewer_decision="approve")


def deliver(proc, unit):
    proc.do("deliver_reply", f"{unit}_liaison", unit=unit, signed_scan=scan(), delivered_on="2026-12-20",
            delivery_method="platform")


def to_reply(proc, unit="jtj", reviewer="npc_reviewer", **draft_values):
    """From dispatch to the delivered reply, every step approved."""
    dispatch(proc, unit)
    consult(proc, unit)
    handle(proc, unit)
    draft(proc, unit, **draft_values)
    unit_review(proc, unit)
    office_and_reviewers(proc, reviewer)
    deliver(proc, unit)


def evaluate(proc, username="deputy", satisfaction="satisfied", **more):
    task = [t for t in proc.open_tasks() if t.element_id == "evaluate_reply"
            and username in proc.claimants_of(t)]
    assert task, f"no evaluation open for {username}: {proc.open_summary()}"
    proc.engine.tasks.complete(task[0].id, proc.user(username), {"satisfaction": satisfaction, **more})
    proc.work()
