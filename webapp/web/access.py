"""Who may see an instance (its page, history, texts and files).

Administrators see everything. Anyone else sees the instances they started, those where they
hold, held or could take a task (assignee, completer, or candidate by name or by role in the unit),
and the main-process instances of the items they may see (the office and the reviewers every item,
a deputy his own, a unit those it was given: webapp/items/queries.py).
"""
from sqlalchemy import exists, or_, select, true

from ..engine.tasks import eligible_clause  # the same candidate rule as the inbox
from ..items.queries import sees_all_items, visible_items_clause
from ..items.vocabulary import PROPOSER_ROLE
from ..models import HumanTask, Instance, Item


def involved_clause(user):
    """SQL condition on Instance: the user is involved in it."""
    touched = exists().where(
        HumanTask.instance_id == Instance.id,
        or_(HumanTask.assignee_id == user.id, HumanTask.completed_by_id == user.id, eligible_clause(user)))
    items = Instance.id.in_(select(Item.instance_id).where(visible_items_clause(user)))
    return or_(Instance.started_by_id == user.id, touched, items)


def visible_instances_clause(user):
    return true() if user.is_admin else involved_clause(user)


def can_view_instance(session, user, instance_id: int | None) -> bool:
    if user.is_admin:
        return True
    if instance_id is None:
        return False
    query = select(Instance.id).where(Instance.id == instance_id, involved_clause(user))
    return session.scalar(query) is not None


# --- supervision (延期申请, 催办) on the item page -------------------------------------------------------

EXTENSION_ROLES = ("unit_liaison", "unit_head")  # a unit's 综合科室 or 主要领导 asks for more time
URGE_ROLE = "office"                             # the office (督查室) urges


def unit_codes_with_role(user, roles) -> set[str]:
    """The codes of the units in which the user holds one of `roles`."""
    return {r.unit.code for r in user.roles if r.role_code in roles and r.unit is not None}


def holds_role(user, role: str) -> bool:
    return any(r.role_code == role for r in user.roles)


def may_supervise(user) -> bool:
    """Whether the user holds a role that can act in the supervision panel (a cheap check, before the
    instance's state is read to find which units handle it)."""
    return holds_role(user, URGE_ROLE) or bool(unit_codes_with_role(user, EXTENSION_ROLES))


# --- personal data on the item page ----------------------------------------------------------------------

def may_see_contact(session, user, item) -> bool:
    """Whether the user may read the item's contact details (personal data): administrators, the office
    and the reviewing bodies, the lead proposer himself and anyone holding a role in a unit the item
    was given (a task of that unit on the item, open or done). Co-signers and others do not."""
    if sees_all_items(user) or (item.proposer and item.proposer == user.username):
        return True
    unit_ids = sorted({r.unit_id for r in user.roles if r.unit_id is not None})
    if not unit_ids:
        return False
    return session.scalar(select(HumanTask.id).where(HumanTask.instance_id == item.instance_id,
                                                     HumanTask.unit_id.in_(unit_ids)).limit(1)) is not None


def sees_as_proposer_only(user) -> bool:
    """A deputy or member who has no other role: he follows his items' progress and answers his own
    tasks, but the units' and reviewers' internal opinions and the raw process data are not his to read."""
    return not user.is_admin and bool(user.roles) and all(r.role_code == PROPOSER_ROLE for r in user.roles)
