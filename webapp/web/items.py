"""Items (事项): the list of suggestions and proposals one may see, and the office's manual intake."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..engine.errors import EngineError
from ..items import ItemFilters, ItemInvalid, find_items, item_label, register_item
from ..items.queries import current_steps, sessions_in_use
from ..items.vocabulary import (CATEGORIES, INTAKE_ROLE, ITEM_TYPES, KEY_SOURCES, PROPOSER_ROLE, PROPOSER_TYPES,
                                SOURCES, TIMINGS)
from ..models import RoleAssignment, User
from .access import sees_as_proposer_only
from .helpers import actor, get_engine

bp = Blueprint("items", __name__)

# The form's fields besides the co-signers (a list); what a new form starts with.
FORM_FIELDS = ("item_type", "session", "timing", "item_no", "received_on", "source", "title", "body", "category",
               "subcategory", "suggested_units", "proposer_type", "proposer", "proposer_name", "co_signer_names",
               "contact", "key_source", "key_leader", "publication_consent", "proposer_requested_face_to_face")
NEW_FORM = {"source": "manual", "key_source": "none", "proposer_type": "individual", "publication_consent": "on",
            "co_signers": []}


def may_register(user) -> bool:
    return any(r.role_code == INTAKE_ROLE for r in user.roles)


@bp.app_context_processor
def items_nav():
    signed_in = current_user.is_authenticated
    return {"can_register_items": bool(signed_in and may_register(current_user)),
            # deputies and members follow their items under 事项; the process-instance list is not theirs
            "proposer_only": bool(signed_in and sees_as_proposer_only(current_user))}


def _vocabulary() -> dict:
    return dict(item_types=ITEM_TYPES, timings=TIMINGS, categories=CATEGORIES, proposer_types=PROPOSER_TYPES,
                sources=SOURCES, key_sources=KEY_SOURCES, category_options=[(c, c) for c in CATEGORIES])


# --- the list -----------------------------------------------------------------------------------------

@bp.get("/items")
def index():
    args = request.args
    page = args.get("page", "1")
    filters = ItemFilters(q=args.get("q", "").strip(), item_type=args.get("item_type", ""),
                          category=args.get("category", ""), session=args.get("session", "").strip(),
                          page=max(int(page), 1) if page.isdigit() else 1)
    with get_engine().db.read() as session:
        result = find_items(session, actor(), filters)
        sessions = sessions_in_use(session)
    return render_template("items.html", result=result, filters=filters, sessions=sessions,
                           item_label=item_label, **_vocabulary())


# --- manual intake ------------------------------------------------------------------------------------

@bp.before_request
def intake_is_for_the_office():
    user = actor()
    if not getattr(user, "is_authenticated", False):
        return None  # the login check runs first and redirects
    if request.endpoint in ("items.new", "items.create") and not may_register(user):
        abort(403, description="只有市政府办公室可以登记建议、提案。")
    return None


@bp.get("/items/new")
def new():
    return _form_page(dict(NEW_FORM), {})


@bp.post("/items/new")
def create():
    form = {key: request.form.get(key, "") for key in FORM_FIELDS}
    form["co_signers"] = request.form.getlist("co_signers")
    try:
        item = register_item(get_engine(), form, actor())
    except ItemInvalid as e:
        return _form_page(form, e.errors, status=422)
    except EngineError as e:
        return _form_page(form, {}, alert=str(e), status=422)
    with get_engine().db.read() as session:
        steps = current_steps(session, [item.instance_id]).get(item.instance_id, [])
    message = f"已登记 {item_label(item.item_type, item.session, item.item_no)}"
    flash(message + (f"，下一步：{'、'.join(steps)}。" if steps else "。"), "success")
    return redirect(url_for("instances.show", instance_id=item.instance_id))


def _form_page(form: dict, errors: dict, alert: str | None = None, status: int = 200):
    with get_engine().db.read() as session:
        proposers = list(session.scalars(
            select(User).where(User.active.is_(True),
                               User.id.in_(select(RoleAssignment.user_id).where(RoleAssignment.role_code == PROPOSER_ROLE)))
            .order_by(User.display_name, User.username)))
    if errors and not alert:
        alert = f"有 {len(errors)} 处需要修改，请查看标红的项目。"
    proposer_options = [(p.username, f"{p.display_name}（{p.username}）") for p in proposers]
    return render_template("item_new.html", form=form, errors=errors, alert=alert, proposers=proposers,
                           proposer_options=proposer_options,
                           today=get_engine().clock.today(), **_vocabulary()), status
