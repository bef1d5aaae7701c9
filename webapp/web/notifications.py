"""In-app notifications: the bell's unread count and the list (viewing marks them read)."""
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select, update

from ..models import Notification, utcnow
from .helpers import actor, get_engine

bp = Blueprint("notifications", __name__)


def header_context() -> dict:
    """Template context for every page: the unread count for the bell."""
    if not current_user.is_authenticated:
        return {}
    try:
        with get_engine().db.read() as session:
            unread = session.scalar(select(func.count(Notification.id)).where(
                Notification.user_id == current_user.id, Notification.read_at.is_(None)))
    except Exception:  # noqa: BLE001 - an error page must render even when the database is down
        unread = None
    return {"unread_count": unread}


@bp.get("/notifications")
def index():
    user = actor()
    with get_engine().db.read() as session:
        items = list(session.scalars(select(Notification).where(Notification.user_id == user.id)
                                     .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(200)))
    unread_ids = [n.id for n in items if n.read_at is None]
    if unread_ids:
        with get_engine().db.write() as session:
            session.execute(update(Notification).where(Notification.id.in_(unread_ids),
                                                       Notification.user_id == user.id).values(read_at=utcnow()))
    # The page still marks which ones were new on this visit; the bell (rendered after) shows 0.
    return render_template("notifications.html", items=items, new_ids=set(unread_ids))
