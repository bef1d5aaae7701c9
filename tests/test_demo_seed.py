"""The demo city of `flask seed-demo` / `make run` (webapp/demo/): people per role and unit, items at
every stage of the procedure (checked by the open tasks and the instance status), nothing duplicated
by a second run, README's demo logins. Seeds a smaller mix than the default (every stage, 40 items)
on SQLite and PostgreSQL; the default mix's plan is checked without driving it."""
import re
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from webapp import create_app
from webapp.demo import DEFAULT_ITEMS, DEMO_PASSWORD, STAGES, seed_demo
from webapp.demo.items import CURRENT_SESSION, PREVIOUS_SESSION, STAGE_BY_NAME, Calendar, plan_items, stage_counts
from webapp.demo.people import COUNTIES, DEPARTMENTS, HANDLING_UNITS, logins, people
from webapp.items import business_key
from webapp.models import (ConsultationRecord, HumanTask, Instance, Item, Notification, RoleAssignment, Unit, User,
                           utcnow)

ROOT = Path(__file__).resolve().parent.parent
ITEMS = 40  # at least one item per stage (there are 37)
UNIT_ROLES = ("unit_head", "unit_leader", "unit_liaison", "unit_handler")


def test_seed_demo(engine, settings):
    """One seeding per database (it takes a while), checked from every side."""
    seeded = seed_demo(engine, items=ITEMS)
    assert seeded is not None
    check_people_units_and_roles(engine, seeded)
    check_readme_logins(engine)
    check_items_at_every_stage(engine, seeded)
    check_overdue_and_due_soon(engine, seeded)
    check_consultation_records(engine, seeded)
    check_a_second_run_adds_nothing(engine, settings)


def check_people_units_and_roles(engine, seeded):
    with engine.db.read() as s:
        units = dict(s.execute(select(Unit.code, Unit.kind)).all())
        per_role = Counter(s.scalars(select(RoleAssignment.role_code)))
        per_unit = defaultdict(Counter)
        for code, role in s.execute(select(Unit.code, RoleAssignment.role_code)
                                    .join(RoleAssignment, RoleAssignment.unit_id == Unit.id)):
            per_unit[code][role] += 1
        users = s.scalar(select(func.count(User.id)))
        admins = list(s.scalars(select(User.username).where(User.is_admin.is_(True))))
    # the units the decision table suggests, the counties, the office and the two reviewing bodies
    outputs = re.findall(r'<text>"([a-z_,]*)"</text>', (ROOT / "dmn" / "unit_suggestion.dmn").read_text("utf-8"))
    suggested = {code for codes in outputs for code in codes.split(",") if code and code not in ("single", "lead_co")}
    assert len(suggested) == 24 and suggested <= set(units)
    assert len(units) == len(DEPARTMENTS) + len(COUNTIES) + 3 == 32
    assert units["office"] == "office" and units["npc"] == units["cppcc"] == "reviewer"
    assert {code for code, kind in units.items() if kind == "county"} == {code for code, _ in COUNTIES}
    # every handling unit has the 五级 roles, one person each
    for code in HANDLING_UNITS:
        assert per_unit[code] == {role: 1 for role in UNIT_ROLES}, code
    assert per_role == {"unit_head": 29, "unit_leader": 29, "unit_liaison": 29, "unit_handler": 29, "office": 3,
                        "reviewer_npc": 2, "reviewer_cppcc": 2, "vice_mayor": 2, "proposer": 40, "process_owner": 2}
    assert users == seeded.users == len(people()) == 167
    assert admins == ["admin"]


def check_readme_logins(engine):
    readme = (ROOT / "README.md").read_text("utf-8")
    table = readme[readme.index("| 用户名 |"):]
    table = table[:table.index("\n\n")]
    listed = set(re.findall(r"`([a-z0-9_]+)`", table))
    assert {"office", "jtj_handler", "jtj_liaison", "jtj_head", "jtj_leader", "jyj_handler", "npc_reviewer",
            "cppcc_reviewer", "vice_mayor", "deputy", "member", "owner", "admin"} <= listed
    assert listed == {username for username, _name, _role in logins()}
    with engine.db.read() as s:
        users = {u.username: u for u in s.scalars(select(User).where(User.username.in_(listed)))}
    assert set(users) == listed
    assert all(u.check_password(DEMO_PASSWORD) for u in users.values())
    assert all(u.email == f"{u.username}@example.org" for u in users.values())


def check_items_at_every_stage(engine, seeded):
    assert Counter(seeded.stages.values()) == {name: count for name, count in stage_counts(ITEMS).items() if count}
    assert set(seeded.stages.values()) == {s.name for s in STAGES}
    with engine.db.read() as s:
        status = dict(s.execute(select(Instance.business_key, Instance.status)
                                .where(Instance.process_key == "item_handling")).all())
        open_tasks = defaultdict(set)
        for key, element in s.execute(select(Instance.business_key, HumanTask.element_id)
                                      .join(HumanTask, HumanTask.instance_id == Instance.id)
                                      .where(HumanTask.status == "open")):
            open_tasks[key].add(element)
        items = s.scalar(select(func.count(Item.id)))
    assert items == len(status) == len(seeded.stages) == ITEMS
    for key, name in seeded.stages.items():
        stage = STAGE_BY_NAME[name]
        assert status[key] == stage.status, (key, name)
        if stage.open_any:
            assert open_tasks[key] & set(stage.open_any), (key, name, open_tasks[key])
        else:
            assert not open_tasks[key], (key, name, open_tasks[key])


def check_overdue_and_due_soon(engine, seeded):
    now = utcnow()
    with engine.db.read() as s:
        dues = list(s.scalars(select(HumanTask.due_at).where(HumanTask.status == "open",
                                                             HumanTask.due_at.is_not(None))))
        overdue_keys = [k for k, stage in seeded.stages.items() if stage == "overdue"]
        overdue_ids = list(s.scalars(select(Instance.id).where(Instance.business_key.in_(overdue_keys))))
        escalated = s.scalar(select(func.count(Notification.id)).where(Notification.instance_id.in_(overdue_ids),
                                                                        Notification.subject.like("%超期%")))
        sessions = Counter(s.scalars(select(Item.session)))
    assert any(d < now for d in dues)
    assert any(now < d < now + timedelta(days=5) for d in dues)
    assert escalated >= len(overdue_ids) > 0  # the overdue timers fired: the unit heads and the office know
    assert set(sessions) == {CURRENT_SESSION, PREVIOUS_SESSION}


def check_consultation_records(engine, seeded):
    """Every consultation left a record; the demo deputy has records to confirm and confirmed ones, and
    some proposer disputed one (the office sees it on the item page)."""
    with engine.db.read() as s:
        rows = s.execute(select(ConsultationRecord.status, ConsultationRecord.stage, Item.proposer,
                                Instance.business_key)
                         .join(Item, Item.id == ConsultationRecord.item_id)
                         .join(Instance, Instance.id == ConsultationRecord.instance_id)).all()
    assert {r.stage for r in rows} >= {"before", "during"}
    deputy = Counter(r.status for r in rows if r.proposer == "deputy")
    assert deputy["pending"] > 0 and deputy["confirmed"] > 0, deputy
    assert any(r.status == "disputed" for r in rows)
    # items still in handling keep theirs 待确认; answers come before the reply is drafted
    in_handling = {"consulting", "handling", "face_to_face", "drafting", "four_ones", "extension", "urge"}
    assert all(r.status == "pending" for r in rows if seeded.stages.get(r.business_key) in in_handling)


def check_a_second_run_adds_nothing(engine, settings):
    with engine.db.read() as s:
        before = (s.scalar(select(func.count(User.id))), s.scalar(select(func.count(Item.id))))
    assert seed_demo(engine, items=ITEMS) is None
    result = seed_command(settings, engine)
    assert result.exit_code == 0 and "已有用户" in result.output, result.output
    with engine.db.read() as s:
        assert (s.scalar(select(func.count(User.id))), s.scalar(select(func.count(Item.id)))) == before


def test_the_command_seeds_an_empty_database(engine, settings):
    result = seed_command(settings, engine, "--items", "0")
    assert result.exit_code == 0, result.output
    assert "167 个用户" in result.output
    with engine.db.read() as s:
        assert s.scalar(select(func.count(User.id))) == 167


def seed_command(settings, engine, *args):
    app = create_app(settings, engine)
    with app.app_context():  # `flask` itself runs every command in one
        return app.test_cli_runner().invoke(args=["seed-demo", *args])


def test_the_default_plan_is_fixed_and_consistent(engine):
    cal = Calendar(engine)
    plans = plan_items(DEFAULT_ITEMS, cal)
    assert DEFAULT_ITEMS == 200 and len(plans) == 200
    assert Counter(p.stage for p in plans) == {s.name: s.count for s in STAGES}
    keys = [business_key(p.item_type, p.session, p.item_no) for p in plans]
    assert len(set(keys)) == len(keys)
    titles = Counter((p.session, p.item_type == "proposal", p.topic) for p in plans)
    assert max(titles.values()) == 1
    assert [(p.item_no, p.topic, p.proposer) for p in plans] == \
        [(p.item_no, p.topic, p.proposer) for p in plan_items(DEFAULT_ITEMS, cal)]  # the same on every run
    for p in plans:
        assert p.received_on <= cal.today
        assert p.assigned_on is None or p.received_on <= p.assigned_on <= cal.today
        assert p.delivered_on is None or p.assigned_on < p.delivered_on < cal.today
        assert (p.proposer is None) == (p.proposer_type == "collective")
    assert Counter(p.session for p in plans)[PREVIOUS_SESSION] >= 5
