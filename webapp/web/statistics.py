"""统计 (/statistics): the procedure's figures by unit, category, type and result class, with charts
and an Excel export, for the office, the reviewing bodies and administrators. The page reads the
statistics snapshot (webapp/reports/snapshot.py) that the worker keeps fresh; the office refreshes
it at once with 刷新."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ..items.vocabulary import ITEM_TYPES
from ..models import Unit
from ..reports.dashboard import XLSX_CONTENT_TYPE, chart_data, dashboard, filter_label, summary_rows, workbook
from ..reports.snapshot import load_records, refresh, snapshot_info, years_and_sessions
from .helpers import actor, get_engine
from .vendor import available, vendor_url

bp = Blueprint("statistics", __name__)

STATISTICS_ROLES = ("office", "reviewer_npc", "reviewer_cppcc")
REFRESH_ROLE = "office"
CHART_PACKAGE, CHART_FILE = "chart.js", "dist/chart.umd.js"


def _roles(user) -> set[str]:
    return {r.role_code for r in getattr(user, "roles", [])}


@bp.app_template_global()
def may_see_statistics(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_admin or _roles(user) & set(STATISTICS_ROLES))


def may_refresh(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and (user.is_admin or REFRESH_ROLE in _roles(user)))


def _filters(args) -> tuple[int | None, str, str]:
    year = args.get("year", "").strip()
    item_type = args.get("item_type", "").strip()
    return (int(year) if year.isdigit() else None, args.get("session", "").strip(),
            item_type if item_type in ITEM_TYPES else "")


def _figures(session, year, item_session, item_type):
    records = load_records(session, year, item_session or None, item_type or None)
    names = dict(session.execute(select(Unit.code, Unit.name)).all())
    return dashboard(records, names)


@bp.before_request
def only_for_those_who_may():
    if not may_see_statistics(actor()):
        abort(403, description="统计仅供市政府办公室、代表工委、提案委和系统管理员查看。")


@bp.get("/statistics")
def index():
    year, item_session, item_type = _filters(request.args)
    with get_engine().db.read() as session:
        info = snapshot_info(session)
        years, sessions = years_and_sessions(session)
        figures = _figures(session, year, item_session, item_type)
    charts_ready = available(CHART_PACKAGE)
    return render_template("statistics.html", figures=figures, info=info, years=years, sessions=sessions,
                           item_types=ITEM_TYPES, year=year, item_session=item_session, item_type=item_type,
                           label=filter_label(year, item_session, item_type), summary_rows=summary_rows(figures),
                           charts=chart_data(figures), may_refresh=may_refresh(actor()),
                           chart_url=vendor_url(CHART_PACKAGE, CHART_FILE) if charts_ready else None)


@bp.post("/statistics/refresh")
def refresh_now():
    user = actor()
    if not may_refresh(user):
        abort(403, description="只有市政府办公室可以刷新统计数据。")
    engine = get_engine()
    refresh(engine.db, engine.runtime, computed_by=user.display_name)
    flash("统计数据已刷新。", "success")
    year, item_session, item_type = _filters(request.form)
    return redirect(url_for("statistics.index", year=year or None, session=item_session or None,
                            item_type=item_type or None))


@bp.get("/statistics/export.xlsx")
def export():
    year, item_session, item_type = _filters(request.args)
    with get_engine().db.read() as session:
        info = snapshot_info(session)
        figures = _figures(session, year, item_session, item_type)
    label = filter_label(year, item_session, item_type)
    data = workbook(figures, label, info.computed_at if info else None)
    name = "建议提案办理统计" + (f"-{year}" if year else "") + (f"-{item_session}" if item_session else "") + ".xlsx"
    response = Response(data, mimetype=XLSX_CONTENT_TYPE)
    from urllib.parse import quote
    response.headers["Content-Disposition"] = f"attachment; filename=statistics.xlsx; filename*=UTF-8''{quote(name)}"
    return response
