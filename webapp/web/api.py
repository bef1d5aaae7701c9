"""The platforms' JSON API under /api/v1: POST /items (register an item), GET /items/<id> (its status),
the OpenAPI document and a readable page of it. Bearer tokens only — no session cookies, so no CSRF
token either; every answer, errors included, is JSON with Chinese messages. The logic is in
webapp/items/api.py, the document in api_spec.py."""
import json

from flask import Blueprint, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from ..engine.errors import EngineError
from ..items import api as items_api
from . import api_spec
from .api_spec import openapi_document
from .helpers import file_size, get_engine, get_settings

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Reached without logging in: the API checks its bearer token itself; the document and its page are public.
PUBLIC_ENDPOINTS = {"api.create_item", "api.show_item", "api.openapi", "api.docs"}


def _error(status: int, code: str, message: str, **extra):
    response = jsonify(error=code, message=message, **extra)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api", error="invalid_token"'
    return response


@bp.errorhandler(items_api.ApiAuthError)
def auth_error(e):
    return _error(e.status, e.code, e.message)


@bp.errorhandler(HTTPException)
def http_error(e):
    if e.code == 413:
        return _error(413, "too_large", f"请求体过大：不能超过 {file_size(get_settings().max_upload_bytes)}。")
    messages = {404: "没有这个接口。", 405: "该接口不支持这种请求方法。"}
    return _error(e.code or 500, "http_error", messages.get(e.code, "请求无法完成。"))


def _links(item) -> dict:
    return {"self": url_for("api.show_item", item_id=item.id),
            "html": url_for("instances.show", instance_id=item.instance_id)}


@bp.post("/items")
def create_item():
    engine = get_engine()
    token = items_api.authenticate(engine, request.headers.get("Authorization"))
    raw = request.get_data(cache=False)
    try:
        body = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (UnicodeDecodeError, ValueError):
        return _error(400, "invalid_json", "请求体不是有效的 JSON（应为 UTF-8 编码的 JSON 对象）。")
    try:
        item, repeated = items_api.submit_item(engine, token, body)
    except items_api.ApiInvalid as e:
        return _error(e.status, e.code, e.message, errors=e.errors)
    except items_api.ApiConflict as e:
        extra = {"item": {**items_api.item_summary(e.item), "links": _links(e.item)}} if e.item else {}
        return _error(409, "duplicate", e.message, errors=e.errors, **extra)
    except EngineError as e:
        return _error(503, "unavailable", f"暂时无法登记：{e}")
    body = {**items_api.item_summary(item), "status": items_api.item_status(engine, item), "links": _links(item)}
    response = jsonify(body)
    response.status_code = 200 if repeated else 201
    response.headers["Location"] = body["links"]["self"]
    if repeated:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/items/<int:item_id>")
def show_item(item_id):
    engine = get_engine()
    token = items_api.authenticate(engine, request.headers.get("Authorization"))
    item = items_api.platform_item(engine, token, item_id)
    return jsonify({**items_api.item_summary(item), "status": items_api.item_status(engine, item),
                    "links": _links(item)})


@bp.get("/openapi.json")
def openapi():
    response = jsonify(openapi_document(url_for("api.create_item").rsplit("/items", 1)[0]))
    response.headers["Access-Control-Allow-Origin"] = "*"  # readable by the platforms' own tools
    return response


@bp.get("/docs")
def docs():
    doc = openapi_document(url_for("api.create_item").rsplit("/items", 1)[0])
    return render_template("api_docs.html", doc=doc, schema_rows=api_spec.schema_rows, type_label=api_spec.type_label,
                           resolve=api_spec.resolve, example=api_spec.example,
                           pretty=lambda value: json.dumps(value, ensure_ascii=False, indent=2))
