"""复文公开 (/public): the published replies for everyone, without logging in (PROCESS.md §3.11)."""
from flask import Blueprint, abort, render_template, request

from ..reports.public import PublicFilters, find_published, publication_years, published_reply, publishing_units
from .helpers import get_engine

bp = Blueprint("public", __name__)


@bp.get("/public")
def index():
    args = request.args
    page = args.get("page", "1")
    filters = PublicFilters(q=args.get("q", "").strip()[:100], unit=args.get("unit", "").strip(),
                            year=args.get("year", "").strip(), page=max(int(page), 1) if page.isdigit() else 1)
    with get_engine().db.read() as session:
        replies, has_next = find_published(session, filters)
        units = publishing_units(session)
        years = publication_years(session)
    return render_template("public.html", replies=replies, has_next=has_next, filters=filters, units=units,
                           years=years)


@bp.get("/public/<int:reply_id>")
def reply(reply_id):
    with get_engine().db.read() as session:
        found = published_reply(session, reply_id)
    if found is None:
        abort(404, description="没有这份公开的答复。")
    return render_template("public_reply.html", reply=found)
