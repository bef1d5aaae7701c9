"""督办看板 (/board): every open item by unit and due date for the office (read only for the reviewing
bodies), and the office's spot checks 抽查 of replied items, recorded on the item page."""
from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from ..items.queries import sessions_in_use
from ..items.vocabulary import ITEM_TYPES
from ..models import Instance, Item
from ..reports.board import (CONTACTED_MAX, METHODS, NO_UNIT, NOTE_MAX, SATISFACTION, BoardFilters, SpotCheckInvalid,
                             open_rows, record_spot_check, replied_rows, replied_units, spot_checks)
from .helpers import actor, due_info, get_engine

bp = Blueprint("board", __name__)

BOARD_ROLES = ("office", "reviewer_npc", "reviewer_cppcc")  # the office acts; the reviewers look
SPOT_CHECK_ROLE = "office"
STATES = {"overdue": "已超期", "soon": "即将到期", "normal": "正常"}


def _roles(user) -> set[str]:
    return {r.role_code for r in getattr(user, "roles", [])}


@bp.app_template_global()
def may_see_board(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_admin or _roles(user) & set(BOARD_ROLES))


def may_spot_check(user) -> bool:
    return getattr(user, "is_authenticated", False) and SPOT_CHECK_ROLE in _roles(user)


def _state(due_at) -> str:
    info = due_info(due_at)
    return (info.state if info and info.state else "normal") if due_at else "normal"


@bp.get("/board")
def index():
    user = actor()
    if not may_see_board(user):
        abort(403, description="督办看板仅供市政府办公室、代表工委和提案委查看。")
    args = request.args
    filters = BoardFilters(unit=args.get("unit", "").strip(), item_type=args.get("item_type", "").strip(),
                           session=args.get("session", "").strip(), state=args.get("state", "").strip())
    with get_engine().db.read() as session:
        # Counts per unit cover every unit (and state) under the type and 届次 chosen.
        rows = open_rows(session, BoardFilters(item_type=filters.item_type, session=filters.session))
        replied = replied_rows(session, filters)
        sessions = sessions_in_use(session)
    counts: dict = {}
    for row in rows:
        row.state = _state(row.due_at)
        key = str(row.unit_id) if row.unit_id is not None else NO_UNIT
        entry = counts.setdefault(key, {"name": row.unit_name or "办公室及审核环节", "items": 0, "overdue": 0,
                                        "soon": 0})
        entry["items"] += 1
        if row.state in ("overdue", "soon"):
            entry[row.state] += 1
    totals = {k: sum(c[k] for c in counts.values()) for k in ("items", "overdue", "soon")}
    shown = [r for r in rows
             if (not filters.unit or filters.unit == (str(r.unit_id) if r.unit_id is not None else NO_UNIT))
             and (not filters.state or r.state == filters.state)]
    units = sorted(((k, c["name"]) for k, c in counts.items() if k != NO_UNIT), key=lambda u: u[1])
    return render_template("board.html", rows=shown, counts=sorted(counts.items(), key=lambda kv: (
        kv[0] == NO_UNIT, -kv[1]["overdue"], -kv[1]["soon"], kv[1]["name"])), totals=totals, filters=filters,
        replied=replied, units=units, sessions=sessions, item_types=ITEM_TYPES, states=STATES, no_unit=NO_UNIT,
        satisfaction=SATISFACTION, may_check=may_spot_check(user))


# --- spot checks on the item page -------------------------------------------------------------------------

@dataclass
class SpotCheckPanel:
    records: list = field(default_factory=list)   # (SpotCheck, unit name)
    units: list = field(default_factory=list)     # (unit id, name): units that delivered a reply
    may_record: bool = False
    proposer_name: str = ""
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)

    @property
    def shown(self) -> bool:
        return bool(self.records or self.may_record or self.errors)


@bp.app_template_global()
def spot_check_panel(instance) -> SpotCheckPanel:
    """The item page's 抽查 section: the records for those who see every item, the form for the office."""
    from ..items.queries import sees_all_items
    user = current_user
    panel = SpotCheckPanel()
    if not getattr(user, "is_authenticated", False) or not sees_all_items(user):
        return panel
    with get_engine().db.read() as session:
        panel.records = spot_checks(session, instance.id)
        if may_spot_check(user):
            panel.units = replied_units(session, instance.id)
            panel.may_record = bool(panel.units)
            item = session.query(Item).filter(Item.instance_id == instance.id).first()
            panel.proposer_name = item.proposer_name if item else ""
    posted = g.get("spot_check_posted")
    if posted:
        panel.values, panel.errors = posted
    return panel


@bp.app_context_processor
def spot_check_vocabulary():
    return {"spot_check_methods": METHODS, "spot_check_satisfaction": SATISFACTION, "spot_check_note_max": NOTE_MAX,
            "spot_check_contacted_max": CONTACTED_MAX}


@bp.post("/instances/<int:instance_id>/spot-checks")
def record(instance_id):
    user = actor()
    if not may_spot_check(user):
        abort(403, description="只有市政府办公室可以记录抽查。")
    engine = get_engine()
    values = {k: (request.form.get(k) or "").strip()
              for k in ("unit", "checked_on", "method", "contacted", "satisfaction", "note")}
    try:
        with engine.db.write() as session:
            if session.get(Instance, instance_id) is None:
                abort(404, description=f"事项实例 {instance_id} 不存在。")
            check = record_spot_check(session, instance_id, values, user, engine.clock.today())
            unit_name = dict(replied_units(session, instance_id)).get(check.unit_id, "")
    except SpotCheckInvalid as e:
        g.spot_check_posted = (values, e.errors)
        from .instances import instance_page
        return instance_page(instance_id, status=422)
    flash(f"已记录对{unit_name}答复的抽查：{SATISFACTION[check.satisfaction]}。", "success")
    return redirect(url_for("instances.show", instance_id=instance_id) + "#spot-checks")
