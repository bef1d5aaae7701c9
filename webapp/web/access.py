"""Who may see an instance (its page, history, texts and files).

Administrators see everything. Anyone else sees the instances they started, those where they
hold, held or could take a task (assignee, completer, or candidate by name or by role in the unit),
and the main-process instances of the items they may see (the office and the reviewers every item,
a deputy his own, a unit those it was given: webapp/items/queries.py).
"""
from sqlalchemy import exists, or_, select, true

from ..engine.tasks import eligible_clause  # the same candidate rule as the inbox
from ..items.queries import visible_items_clause
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
