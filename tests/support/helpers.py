"""Small helpers shared by the engine tests."""
from sqlalchemy import select

from tests.conftest import diagram, secret_hash
from webapp.models import AuditEvent, HumanTask, Instance, Role, RoleAssignment, Unit, User


def deploy(engine, *names_or_sources):
    sources = [diagram(n) if isinstance(n, str) else n for n in names_or_sources]
    return engine.repository.deploy(sources)


def open_tasks(engine, instance_id) -> dict[str, HumanTask]:
    """The instance's open human tasks by element id (candidates loaded)."""
    with engine.db.read() as s:
        rows = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                 HumanTask.status == "open")).all()
        return {r.element_id: r for r in rows}


def the_task(engine, instance_id, element_id) -> HumanTask:
    tasks = open_tasks(engine, instance_id)
    assert element_id in tasks, f"{element_id} is not open; open: {sorted(tasks)}"
    return tasks[element_id]


def instance(engine, instance_id) -> Instance:
    with engine.db.read() as s:
        return s.get(Instance, instance_id)


def instance_data(engine, instance_id) -> dict:
    """The process data as the engine sees it now (a ready task's data, else the workflow's)."""
    from SpiffWorkflow.util.task import TaskState
    with engine.db.read() as s:
        unit = engine.runtime.load(s, instance_id, lock=False, must_run=False)
        ready = unit.workflow.get_tasks(state=TaskState.READY)
        data = dict(ready[-1].data) if ready else dict(unit.workflow.data)
        s.rollback()
        return data


def audit(engine, instance_id=None, action=None) -> list[AuditEvent]:
    with engine.db.read() as s:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if instance_id is not None:
            query = query.where(AuditEvent.instance_id == instance_id)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        return list(s.scalars(query))


def refresh_user(engine, username) -> User:
    with engine.db.read() as s:
        return s.scalars(select(User).where(User.username == username)).one()


def add_user(engine, username, display_name, role=None, unit_code=None, unit_name=None) -> User:
    """A user, optionally holding `role` in unit `unit_code` (the unit and role are made if missing)."""
    with engine.db.write() as s:
        unit_id = None
        if unit_code:
            unit = s.scalars(select(Unit).where(Unit.code == unit_code)).first()
            if unit is None:
                unit = Unit(code=unit_code, name=unit_name or unit_code)
                s.add(unit)
                s.flush()
            unit_id = unit.id
        if role and s.get(Role, role) is None:
            s.add(Role(code=role, name=role))
            s.flush()
        u = User(username=username, display_name=display_name, password_hash=secret_hash())
        s.add(u)
        s.flush()
        if role:
            s.add(RoleAssignment(user_id=u.id, role_code=role, unit_id=unit_id))
    return refresh_user(engine, username)
