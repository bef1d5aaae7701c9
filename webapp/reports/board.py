"""The supervision board 督办看板 (PROCESS.md §4) and the office's spot checks 抽查, free of Flask.

The board is the open human tasks of running items, one row per item and unit (the steps a unit has
open on an item, with the earliest due date), read with one query over the task index joined to the
items, their instances and units: no workflow is loaded. Steps of the office and the reviewing bodies
(intake, assignment, review of a reply) carry no unit and form rows of their own.

A spot check records the office's call to the proposer about a unit's delivered reply (a completed
`deliver_reply` task of that unit): whom it spoke to, the satisfaction and a note.
"""
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from ..items.numbering import item_label
from ..models import HumanTask, Instance, Item, SpotCheck, Unit, User

SATISFACTION = {"satisfied": "满意", "basically": "基本满意", "unsatisfied": "不满意"}
METHODS = {"phone": "电话回访", "visit": "走访", "online": "网上回访"}
REPLY_DELIVERED = "deliver_reply"   # the unit's reply reached the proposer (bpmn/unit_handling.bpmn)
NO_UNIT = "none"                    # the unit filter's value for the office's and reviewers' own steps
NOTE_MAX = 2000
CONTACTED_MAX = 100


@dataclass
class BoardFilters:
    unit: str = ""        # a unit id, NO_UNIT or "" for all
    item_type: str = ""
    session: str = ""     # 届次
    state: str = ""       # overdue | soon | normal | "" (due states are counted by the view)

    @property
    def active(self) -> bool:
        return bool(self.unit or self.item_type or self.session or self.state)


@dataclass
class BoardRow:
    instance_id: int
    label: str            # 人大建议 十七届五次 第0123号
    item_no: int
    title: str
    item_type: str
    session: str
    is_key: bool
    unit_id: int | None
    unit_name: str
    steps: list[str] = field(default_factory=list)
    due_at: datetime | None = None   # the earliest due date of the open steps
    state: str = ""                  # set by the view: overdue | soon | normal


def open_rows(session, filters: BoardFilters | None = None) -> list[BoardRow]:
    """The board's rows (one query): items with open steps, per item and unit, earliest due first."""
    filters = filters or BoardFilters()
    query = (select(HumanTask.instance_id, HumanTask.name, HumanTask.due_at, HumanTask.unit_id, Unit.name,
                    Item.item_type, Item.session, Item.item_no, Item.title, Item.is_key)
             .join(Instance, Instance.id == HumanTask.instance_id)
             .join(Item, Item.instance_id == HumanTask.instance_id)
             .outerjoin(Unit, Unit.id == HumanTask.unit_id)
             .where(HumanTask.status == "open", Instance.status == "running")
             .order_by(HumanTask.instance_id, HumanTask.id))
    if filters.unit == NO_UNIT:
        query = query.where(HumanTask.unit_id.is_(None))
    elif filters.unit.isdigit():
        query = query.where(HumanTask.unit_id == int(filters.unit))
    if filters.item_type:
        query = query.where(Item.item_type == filters.item_type)
    if filters.session:
        query = query.where(Item.session == filters.session)
    rows: dict[tuple, BoardRow] = {}
    for (instance_id, name, due_at, unit_id, unit_name, item_type, item_session, item_no, title,
         is_key) in session.execute(query):
        row = rows.get((instance_id, unit_id))
        if row is None:
            row = rows[(instance_id, unit_id)] = BoardRow(
                instance_id, item_label(item_type, item_session, item_no), item_no, title, item_type, item_session,
                is_key, unit_id, unit_name or "")
        if name not in row.steps:
            row.steps.append(name)
        if due_at is not None and (row.due_at is None or due_at < row.due_at):
            row.due_at = due_at
    return sorted(rows.values(), key=lambda r: (r.due_at is None, r.due_at.timestamp() if r.due_at else 0,
                                                 r.label, r.unit_name))


def board_units(session) -> list[tuple[int, str]]:
    """The units that have open steps on running items (for the filter), by name."""
    return [tuple(r) for r in session.execute(
        select(Unit.id, Unit.name).where(Unit.id.in_(
            select(HumanTask.unit_id).join(Instance, Instance.id == HumanTask.instance_id)
            .where(HumanTask.status == "open", Instance.status == "running", HumanTask.unit_id.is_not(None))))
        .order_by(Unit.name))]


# --- replied items and spot checks -----------------------------------------------------------------------

@dataclass
class RepliedRow:
    instance_id: int
    label: str
    title: str
    proposer_name: str
    unit_id: int | None
    unit_name: str
    delivered_at: datetime
    checks: int = 0
    last_check: "SpotCheck | None" = None


def replied_rows(session, filters: BoardFilters | None = None, limit: int = 100) -> list[RepliedRow]:
    """Units' delivered replies, newest first (one per item and unit), with their spot checks (two queries)."""
    filters = filters or BoardFilters()
    query = (select(HumanTask.instance_id, HumanTask.unit_id, Unit.name, HumanTask.completed_at, Item.item_type,
                    Item.session, Item.item_no, Item.title, Item.proposer_name)
             .join(Item, Item.instance_id == HumanTask.instance_id)
             .outerjoin(Unit, Unit.id == HumanTask.unit_id)
             .where(HumanTask.element_id == REPLY_DELIVERED, HumanTask.status == "completed")
             .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc()))
    if filters.unit.isdigit():
        query = query.where(HumanTask.unit_id == int(filters.unit))
    if filters.item_type:
        query = query.where(Item.item_type == filters.item_type)
    if filters.session:
        query = query.where(Item.session == filters.session)
    rows: dict[tuple, RepliedRow] = {}
    for instance_id, unit_id, unit_name, completed_at, item_type, item_session, item_no, title, proposer in \
            session.execute(query.limit(limit * 2)):
        if (instance_id, unit_id) not in rows and len(rows) < limit:
            rows[(instance_id, unit_id)] = RepliedRow(instance_id, item_label(item_type, item_session, item_no), title,
                                                      proposer, unit_id, unit_name or "", completed_at)
    if rows:
        for check in session.scalars(select(SpotCheck).where(
                SpotCheck.instance_id.in_(sorted({k[0] for k in rows}))).order_by(SpotCheck.id)):
            row = rows.get((check.instance_id, check.unit_id))
            if row is not None:
                row.checks += 1
                row.last_check = check
    return list(rows.values())


def replied_units(session, instance_id: int) -> list[tuple[int, str]]:
    """The units that delivered a reply on the item, in the order they did."""
    found: dict[int, str] = {}
    for unit_id, name in session.execute(
            select(HumanTask.unit_id, Unit.name).join(Unit, Unit.id == HumanTask.unit_id)
            .where(HumanTask.instance_id == instance_id, HumanTask.element_id == REPLY_DELIVERED,
                   HumanTask.status == "completed").order_by(HumanTask.completed_at, HumanTask.id)):
        found.setdefault(unit_id, name)
    return list(found.items())


def spot_checks(session, instance_id: int) -> list[tuple[SpotCheck, str]]:
    """The item's spot checks with the checked unit's name, oldest first."""
    return [tuple(r) for r in session.execute(
        select(SpotCheck, Unit.name).outerjoin(Unit, Unit.id == SpotCheck.unit_id)
        .where(SpotCheck.instance_id == instance_id).order_by(SpotCheck.checked_on, SpotCheck.id))]


class SpotCheckInvalid(ValueError):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("；".join(errors.values()))


def record_spot_check(session, instance_id: int, values: dict, user: User, today: date) -> SpotCheck:
    """Check the submitted values and store the spot check (in the caller's write transaction)."""
    errors: dict[str, str] = {}
    units = dict(replied_units(session, instance_id))
    unit_raw = str(values.get("unit") or "").strip()
    if not unit_raw and len(units) == 1:
        unit_raw = str(next(iter(units)))
    unit_id = int(unit_raw) if unit_raw.isdigit() else None
    if not units:
        errors["unit"] = "该事项还没有承办单位送达答复，不能抽查。"
    elif unit_id not in units:
        errors["unit"] = "请选择已送达答复的承办单位。"
    checked_on = None
    raw_day = str(values.get("checked_on") or "").strip()
    try:
        checked_on = date.fromisoformat(raw_day) if raw_day else today
    except ValueError:
        errors["checked_on"] = "抽查日期应为日期，如 2026-12-20。"
    if checked_on is not None and checked_on > today:
        errors["checked_on"] = f"抽查日期不能晚于今天（{today.isoformat()}）。"
    method = str(values.get("method") or "phone")
    if method not in METHODS:
        errors["method"] = "请选择回访方式。"
    contacted = str(values.get("contacted") or "").strip()
    if not contacted:
        errors["contacted"] = "请填写回访对象（如领衔代表姓名）。"
    elif len(contacted) > CONTACTED_MAX:
        errors["contacted"] = f"回访对象不能超过 {CONTACTED_MAX} 个字。"
    satisfaction = str(values.get("satisfaction") or "")
    if satisfaction not in SATISFACTION:
        errors["satisfaction"] = "请选择满意度（满意、基本满意或不满意）。"
    note = str(values.get("note") or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = f"回访情况不能超过 {NOTE_MAX} 个字（现为 {len(note)} 个字）。"
    elif satisfaction == "unsatisfied" and not note:
        errors["note"] = "不满意的，请记录代表委员的意见。"
    if errors:
        raise SpotCheckInvalid(errors)
    check = SpotCheck(instance_id=instance_id, unit_id=unit_id, checked_on=checked_on, method=method,
                      contacted=contacted, satisfaction=satisfaction, note=note, checked_by_id=user.id,
                      checked_by_name=user.display_name)
    session.add(check)
    session.flush()
    return check
