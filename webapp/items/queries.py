"""Reading items: who sees which, the searchable list and each item's current steps (free of Flask).

Visibility: administrators, the office and the two reviewing bodies see every item; a deputy or
member sees the items he leads or co-signed; anyone holding a role in a unit sees the items that
unit was ever given a task of (open or done).
"""
import json
import re
from dataclasses import dataclass, field

from sqlalchemy import String, cast, func, or_, select, true
from sqlalchemy.orm import aliased

from ..models import HumanTask, Instance, Item, Unit
from .vocabulary import ALL_ITEMS_ROLES

PAGE_SIZE = 50
_NUMBER = re.compile(r"第?\s*0*(\d{1,9})\s*号?")


def sees_all_items(user) -> bool:
    return bool(user.is_admin or any(r.role_code in ALL_ITEMS_ROLES for r in user.roles))


def visible_items_clause(user):
    """SQL condition on Item: the user may see the item (and its instance)."""
    if sees_all_items(user):
        return true()
    conditions = [Item.proposer == user.username, _co_signer_clause(user.username)]
    unit_ids = sorted({r.unit_id for r in user.roles if r.unit_id is not None})
    if unit_ids:
        task = aliased(HumanTask)  # never correlated with a human_tasks of an enclosing query
        conditions.append(select(task.id).where(task.instance_id == Item.instance_id, task.unit_id.in_(unit_ids))
                          .correlate(Item).exists())
    return or_(*conditions)


def _co_signer_clause(username: str):
    # co_signers is a JSON list of usernames kept as JSON text; a quoted name matches exactly one
    # element ("jtj" does not match "jtj_handler").
    return _json_text_contains(Item.co_signers, username, quoted=True)


def _json_text_contains(column, value: str, quoted=False, ilike=False):
    """The JSON `column`, as text, contains the string `value` (an element if `quoted`), whether
    non-ASCII characters are stored as they are or as \\u escapes (json.dumps's default)."""
    conditions = []
    for form in sorted({json.dumps(value, ensure_ascii=True), json.dumps(value, ensure_ascii=False)}):
        pattern = "%" + _escape_like(form if quoted else form[1:-1]) + "%"
        text = cast(column, String)
        conditions.append(text.ilike(pattern, escape="\\") if ilike else text.like(pattern, escape="\\"))
    return or_(*conditions)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class ItemFilters:
    q: str = ""            # number (123, 0123, 第0123号), words of the title, a proposer's or co-signer's name
    item_type: str = ""
    category: str = ""
    session: str = ""      # 届次
    page: int = 1

    @property
    def active(self) -> bool:
        return bool(self.q or self.item_type or self.category or self.session)


@dataclass
class ItemPage:
    rows: list            # (Item, instance status) pairs
    steps: dict = field(default_factory=dict)   # instance id -> ["签收核对（市交通运输局）", …]
    has_next: bool = False


def find_items(session, user, filters: ItemFilters, page_size: int = PAGE_SIZE) -> ItemPage:
    """One page of the items the user sees, newest first, with their open steps (two queries)."""
    query = (select(Item, Instance.status).join(Instance, Instance.id == Item.instance_id)
             .where(visible_items_clause(user)))
    if filters.q:
        like = "%" + _escape_like(filters.q) + "%"
        matches = [Item.title.ilike(like, escape="\\"), Item.proposer_name.ilike(like, escape="\\"),
                   _json_text_contains(Item.co_signer_names, filters.q, ilike=True)]
        number = _NUMBER.fullmatch(filters.q)
        if number:
            matches.append(Item.item_no == int(number.group(1)))
        query = query.where(or_(*matches))
    if filters.item_type:
        query = query.where(Item.item_type == filters.item_type)
    if filters.category:
        query = query.where(Item.category == filters.category)
    if filters.session:
        query = query.where(Item.session == filters.session)
    page = max(filters.page, 1)
    query = query.order_by(Item.id.desc()).offset((page - 1) * page_size).limit(page_size + 1)
    rows = [tuple(r) for r in session.execute(query)]
    result = ItemPage(rows[:page_size], has_next=len(rows) > page_size)
    result.steps = current_steps(session, [item.instance_id for item, _status in result.rows])
    return result


def current_steps(session, instance_ids: list[int]) -> dict[int, list[str]]:
    """The open human tasks of the given instances, by instance, named with their unit (one query)."""
    steps: dict[int, list[str]] = {}
    if not instance_ids:
        return steps
    for instance_id, name, unit_name in session.execute(
            select(HumanTask.instance_id, HumanTask.name, Unit.name)
            .outerjoin(Unit, Unit.id == HumanTask.unit_id)
            .where(HumanTask.instance_id.in_(instance_ids), HumanTask.status == "open")
            .order_by(HumanTask.id)):
        label = f"{name}（{unit_name}）" if unit_name else name
        found = steps.setdefault(instance_id, [])
        if label not in found:  # parallel instances of one step for one unit read as one
            found.append(label)
    return steps


def sessions_in_use(session) -> list[str]:
    """Every 届次 that has items, newest registered first (for the search form)."""
    rows = session.execute(select(Item.session, func.max(Item.id)).group_by(Item.session)
                           .order_by(func.max(Item.id).desc()))
    return [name for name, _ in rows]


def item_for_instance(session, instance_id: int) -> Item | None:
    """The item an instance of the main process handles (None for other processes)."""
    return session.scalar(select(Item).where(Item.instance_id == instance_id))
