"""The inbox: my tasks and the tasks I may claim."""
from flask import Blueprint, render_template, request

from .helpers import actor, get_engine

bp = Blueprint("inbox", __name__)

TABS = {"mine": "我的任务", "groups": "待认领"}


@bp.get("/")
def index():
    user = actor()
    with get_engine().db.read() as session:
        # One query for both tabs; the task's instance, assignee and unit are loaded with it.
        tasks = get_engine().tasks.inbox(session, user, scope="all")
    by_tab = {"mine": [t for t in tasks if t.assignee_id == user.id],
              "groups": [t for t in tasks if t.assignee_id is None]}
    tab = request.args.get("tab")
    if tab not in TABS:  # open where the work is: a newcomer's tasks are usually all still to claim
        tab = "mine" if by_tab["mine"] or not by_tab["groups"] else "groups"
    return render_template("inbox.html", tab=tab, tabs=TABS, tasks=by_tab[tab],
                           counts={k: len(v) for k, v in by_tab.items()})
