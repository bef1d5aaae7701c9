"""Administration: the platforms' API tokens (/admin/api-tokens). A new token is shown once, on the
page that answers its creation, and never again (only its hash is kept); revoking takes effect at once."""
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for

from ..items import api as items_api
from ..items.intake import ItemInvalid
from ..items.vocabulary import SOURCES
from .helpers import actor, get_engine, restrict

bp = Blueprint("admin_api_tokens", __name__, url_prefix="/admin/api-tokens")

PLATFORM_OPTIONS = [(code, SOURCES[code]) for code in items_api.PLATFORM_SOURCES]


restrict(bp, lambda user: user.is_admin, "只有系统管理员可以管理接口令牌。")


@bp.get("")
def index():
    return _page()


@bp.post("")
def create():
    form = {"name": request.form.get("name", ""), "source": request.form.get("source", "")}
    try:
        row, token = items_api.create_token(get_engine(), form["name"], form["source"], actor())
    except ItemInvalid as e:
        return _page(form=form, errors=e.errors, status=422)
    response = _page(created=row, token=token)
    response.headers["Cache-Control"] = "no-store"  # the token must not stay in a cache
    return response


@bp.post("/<int:token_id>/revoke")
def revoke(token_id):
    row = items_api.revoke_token(get_engine(), token_id, actor())
    if row is None:
        abort(404, description="没有这个接口令牌。")
    flash(f"已吊销接口令牌“{row.name}”（{row.prefix}…），使用它的请求将被拒绝。", "success")
    return redirect(url_for("admin_api_tokens.index"))


def _page(form=None, errors=None, created=None, token=None, status=200):
    html = render_template("admin_api_tokens.html", tokens=items_api.all_tokens(get_engine()), sources=SOURCES,
                           platforms=PLATFORM_OPTIONS, form=form or {"name": "", "source": ""}, errors=errors or {},
                           created=created, token=token)
    return make_response(html, status)
