"""Downloads: the ledger 台账 as Excel, an item's complete case file 档案 as .zip, and the list of an
instance's files (with PDF previews) shown on its page.

Who may download: the ledger — administrators, the office and the reviewing bodies every row, anyone
holding a role in a unit the rows of that unit; the case file — administrators, the office and the
units that were given a task of the item.
"""
from datetime import date, datetime
from io import BytesIO
from urllib.parse import quote

from flask import Blueprint, abort, render_template, request, send_file
from sqlalchemy import select

from ..documents.preview import can_preview, previewable
from ..models import HumanTask, Instance, StoredFile, Unit
from ..reports.archive import ZIP_CONTENT_TYPE, case_file
from ..reports.ledger import XLSX_CONTENT_TYPE, ledger_rows, ledger_workbook
from .access import can_view_instance
from .helpers import actor, get_engine

bp = Blueprint("exports", __name__)

ALL_ITEMS_ROLES = ("office", "reviewer_npc", "reviewer_cppcc")  # see every row of the ledger
CASE_FILE_ROLES = ("office",)  # download any item's case file


def _roles(user) -> set[str]:
    return {r.role_code for r in user.roles}


def _unit_codes(user) -> set[str]:
    return {r.unit.code for r in user.roles if r.unit is not None}


def ledger_units(user) -> set[str] | None:
    """None: every row; else the codes of the units whose rows the user may export (maybe none)."""
    if user.is_admin or _roles(user) & set(ALL_ITEMS_ROLES):
        return None
    return _unit_codes(user)


@bp.app_template_global("may_export_ledger")
def may_export_ledger(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    allowed = ledger_units(user)
    return allowed is None or bool(allowed)


def may_download_case_file(session, user, instance_id: int) -> bool:
    if user.is_admin or _roles(user) & set(CASE_FILE_ROLES):
        return True
    units = _unit_codes(user)
    if not units:
        return False
    given = (select(HumanTask.id).join(Unit, Unit.id == HumanTask.unit_id)
             .where(HumanTask.instance_id == instance_id, Unit.code.in_(sorted(units))).limit(1))
    return session.scalar(given) is not None


def _download(data: bytes, filename: str, content_type: str):
    response = send_file(BytesIO(data), mimetype=content_type, as_attachment=True, download_name=filename)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


# --- the ledger ------------------------------------------------------------------------------------------

@bp.get("/exports")
def index():
    """The ledger page: a unit's ledger in the browser (one unit at a time: each item's state is read), and
    the Excel download of any scope the user may see."""
    user = actor()
    if not may_export_ledger(user):
        abort(403, description="只有市政府办公室、代表工委、提案委和承办单位可以导出台账。")
    allowed = ledger_units(user)
    year, unit = _ledger_scope(allowed)
    shown = {unit} if unit else (allowed if allowed is not None and len(allowed) == 1 else None)
    engine = get_engine()
    with engine.db.read() as session:
        query = select(Unit.code, Unit.name).order_by(Unit.name)
        if allowed is not None:
            query = query.where(Unit.code.in_(sorted(allowed)))
        units = session.execute(query).all()
        rows = None if shown is None else ledger_rows(session, engine.runtime, units=shown, year=year)
    return render_template("exports.html", units=units, all_units=allowed is None, this_year=date.today().year,
                           rows=rows, year=year, unit=unit or (next(iter(shown)) if shown else ""))


def _ledger_scope(allowed: set[str] | None) -> tuple[int | None, str]:
    """The year and unit asked for, checked (400 / 403 with a Chinese message)."""
    year = request.args.get("year", "").strip()
    if year and not (year.isdigit() and len(year) == 4):
        abort(400, description=f"年度应为四位数字：{year}")
    unit = request.args.get("unit", "").strip()
    if unit and allowed is not None and unit not in allowed:
        abort(403, description="只能查看和导出本单位的台账。")
    return (int(year) if year else None), unit


@bp.get("/exports/ledger.xlsx")
def ledger():
    user = actor()
    allowed = ledger_units(user)
    if allowed is not None and not allowed:
        abort(403, description="只有市政府办公室、代表工委、提案委和承办单位可以导出台账。")
    year_number, unit = _ledger_scope(allowed)
    year = str(year_number) if year_number else ""
    units = {unit} if unit else allowed
    engine = get_engine()
    with engine.db.read() as session:
        rows = ledger_rows(session, engine.runtime, units=units, year=year_number)
        names = dict(session.execute(select(Unit.code, Unit.name)).all())
    scope = "全部承办单位" if units is None else "、".join(names.get(u, u) for u in sorted(units))
    title = f"建议提案办理台账（{year + '年度，' if year else ''}{scope}）"
    data = ledger_workbook(rows, title)
    stamp = datetime.now().strftime("%Y%m%d")
    return _download(data, f"建议提案办理台账_{year + '_' if year else ''}{stamp}.xlsx", XLSX_CONTENT_TYPE)


# --- the case file ----------------------------------------------------------------------------------------

@bp.get("/instances/<int:instance_id>/case-file.zip")
def case_file_zip(instance_id):
    user = actor()
    engine = get_engine()
    with engine.db.read() as session:
        if session.get(Instance, instance_id) is None:
            abort(404, description=f"事项实例 {instance_id} 不存在。")
        if not may_download_case_file(session, user, instance_id):
            abort(403, description="只有市政府办公室和该事项的承办单位可以下载档案。")
        filename, data = case_file(session, engine.runtime, instance_id, generated_by=user.display_name)
    return _download(data, filename, ZIP_CONTENT_TYPE)


# --- the files on an instance's page ---------------------------------------------------------------------

@bp.app_template_global("instance_materials")
def instance_materials(instance_id: int) -> dict:
    """For templates: the instance's files (newest first) and whether the user may download its case file."""
    user = actor()
    with get_engine().db.read() as session:
        if not can_view_instance(session, user, instance_id):
            return {"files": [], "case_file": False, "preview": False}
        files = session.execute(select(StoredFile.id, StoredFile.filename, StoredFile.content_type, StoredFile.size,
                                       StoredFile.created_at)
                                .where(StoredFile.instance_id == instance_id).order_by(StoredFile.id.desc())).all()
        archive = may_download_case_file(session, user, instance_id)
    return {"files": [dict(f._mapping, previewable=previewable(f.content_type, f.filename)) for f in files],
            "case_file": archive, "preview": can_preview()}
