"""The platforms' JSON API (/api/v1): tokens managed by administrators, submitting items with per-field
Chinese messages, idempotent retries and conflicts, the status of a platform's own items, and the
OpenAPI document with its readable page."""
import hashlib
import json
import re

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec
from sqlalchemy import func, select

from tests.procedure.driver import Procedure, register
from webapp import create_app
from webapp.items import api as items_api
from webapp.items import register_item
from webapp.models import ApiSubmission, ApiToken, HumanTask, Instance, Item, User

from .pages import text_of


@pytest.fixture
def city(engine):
    return Procedure(engine)


@pytest.fixture
def app(settings, city):
    app = create_app(settings, city.engine)
    app.config.update(TESTING=True)  # CSRF protection on: the API must not need it
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def npc(city):
    """A token of the 代表履职服务平台."""
    return items_api.create_token(city.engine, "代表履职服务平台", "npc_platform")[1]


@pytest.fixture
def cppcc(city):
    return items_api.create_token(city.engine, "智慧政协平台", "cppcc_platform")[1]


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def body(**changes) -> dict:
    sent = dict(item_type="suggestion", session="十七届五次", item_no=123, timing="recess",
                title="关于改善城区公交线路的建议", body="一、现状\n公交线路覆盖不足。\n二、建议\n增开班次。",
                category="交通运输", proposer_type="individual", proposer="deputy", contact="13800000000",
                received_on="2026-11-20")
    sent.update(changes)
    return {k: v for k, v in sent.items() if v is not None}


def post(client, token, payload):
    return client.post("/api/v1/items", data=json.dumps(payload, ensure_ascii=False),
                       headers={**auth(token), "Content-Type": "application/json"})


def count(engine, model) -> int:
    with engine.db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def admin_login(app, city):
    """office2 made an administrator, logged in (the city of driver.py has none)."""
    with city.engine.db.write() as s:
        s.execute(User.__table__.update().where(User.username == "office2").values(is_admin=True))
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": "office2", "password": "secret", "csrf_token": csrf}).status_code == 302
    return client


def csrf_of(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


# --- tokens -----------------------------------------------------------------------------------------------

def test_administrators_create_tokens_shown_once_and_revoke_them(app, city, client):
    admin = admin_login(app, city)
    page = admin.get("/admin/api-tokens")
    assert page.status_code == 200 and "还没有接口令牌" in text_of(page)
    created = admin.post("/admin/api-tokens", data={"name": "代表履职服务平台（正式）", "source": "npc_platform",
                                                    "csrf_token": csrf_of(page)})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    token = re.search(r'data-testid="token-value">([^<]+)<', created.get_data(as_text=True)).group(1)
    assert token.startswith("jytb_") and len(token) > 40
    assert "离开本页后将无法再次查看" in text_of(created)
    with city.engine.db.read() as s:
        row = s.scalars(select(ApiToken)).one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and row.prefix == token[:12]
        assert (row.source, row.created_by, row.revoked_at) == ("npc_platform", "office2", None)
    again = admin.get("/admin/api-tokens")
    assert token not in again.get_data(as_text=True) and f"{token[:12]}…" in text_of(again)
    assert "代表履职服务平台（正式）" in text_of(again) and "有效" in text_of(again)

    assert post(client, token, body()).status_code == 201
    with city.engine.db.read() as s:
        assert s.scalars(select(ApiToken)).one().last_used_at is not None

    revoked = admin.post(f"/admin/api-tokens/{row.id}/revoke", data={"csrf_token": csrf_of(again)})
    assert revoked.status_code == 302
    assert "已吊销接口令牌“代表履职服务平台（正式）”" in text_of(admin.get("/admin/api-tokens"))
    refused = post(client, token, body(item_no=124))
    assert refused.status_code == 403 and refused.get_json()["error"] == "token_revoked"
    assert "已被吊销" in refused.get_json()["message"]
    assert client.get("/api/v1/items/1", headers=auth(token)).status_code == 403
    assert admin.post("/admin/api-tokens/999/revoke", data={"csrf_token": csrf_of(again)}).status_code == 404


def test_a_token_needs_a_name_and_a_platform(app, city):
    admin = admin_login(app, city)
    page = admin.get("/admin/api-tokens")
    response = admin.post("/admin/api-tokens", data={"name": " ", "source": "manual", "csrf_token": csrf_of(page)})
    assert response.status_code == 422
    text = text_of(response)
    assert "请填写令牌名称" in text and "请选择令牌对应的平台" in text
    assert count(city.engine, ApiToken) == 0


def test_only_administrators_manage_tokens(app, city):
    client = app.test_client()
    page = client.get("/login")
    client.post("/login", data={"username": "office", "password": "secret", "csrf_token": csrf_of(page)})
    response = client.get("/admin/api-tokens")
    assert response.status_code == 403 and "只有系统管理员可以管理接口令牌" in text_of(response)
    assert client.post("/admin/api-tokens", data={"name": "x", "source": "npc_platform",
                                                  "csrf_token": csrf_of(client.get("/items"))}).status_code == 403
    assert count(city.engine, ApiToken) == 0


# --- submitting -------------------------------------------------------------------------------------------

def test_a_platform_submits_an_item(client, city, npc):
    response = post(client, npc, body(co_signer_names=["张三"], proposer_requested_face_to_face=True))
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    [item] = _items(city.engine)
    assert answer["id"] == item.id and answer["number"] == "第0123号"
    assert answer["label"] == "人大建议 十七届五次 第0123号" and answer["source"] == "npc_platform"
    assert answer["links"] == {"self": f"/api/v1/items/{item.id}", "html": f"/instances/{item.instance_id}"}
    assert response.headers["Location"].endswith(f"/api/v1/items/{item.id}")
    assert answer["status"]["current_steps"] == ["分类甄选／快速审查"] and answer["status"]["stage"] == "待立案审查"
    assert (item.source, item.proposer_name, item.co_signer_names) == ("npc_platform", "刘代表", ["张三"])
    assert item.publication_consent is True and item.proposer_requested_face_to_face is True
    assert item.created_by.startswith("api:npc_platform:")
    with city.engine.db.read() as s:
        assert s.scalars(select(HumanTask.element_id).where(HumanTask.instance_id == item.instance_id,
                                                            HumanTask.status == "open")).all() == ["intake_review"]
        submission = s.scalars(select(ApiSubmission)).one()
        assert (submission.item_id, submission.source) == (item.id, "npc_platform")


def test_the_same_request_again_returns_the_first_item_and_another_one_conflicts(client, city, npc, cppcc):
    first = post(client, npc, body())
    assert first.status_code == 201
    again = post(client, npc, dict(reversed(list(body().items()))))  # the same fields in another order
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert count(city.engine, Item) == 1 and count(city.engine, Instance) == 1

    other = post(client, npc, body(title="另一件建议"))
    assert other.status_code == 409
    answer = other.get_json()
    assert answer["error"] == "duplicate" and answer["message"] == "人大建议 十七届五次 第0123号 已经存在，请核对编号。"
    assert answer["errors"] == {"item_no": answer["message"]}
    assert answer["item"]["id"] == first.get_json()["id"] and answer["item"]["links"]["self"].endswith(
        f"/items/{answer['item']['id']}")

    # A number the office registered by hand is a conflict too, without the other channel's item.
    register_item(city.engine, dict(body(item_no=7), proposer_type="individual"), city.user("office"))
    manual = post(client, npc, body(item_no=7))
    assert manual.status_code == 409 and "item" not in manual.get_json()
    # The same number under another type or session is another item.
    assert post(client, cppcc, body(item_type="proposal")).status_code == 201
    assert post(client, npc, body(session="十七届六次")).status_code == 201
    assert count(city.engine, Item) == 4


def test_every_problem_is_named_by_its_field(client, city, npc):
    response = post(client, npc, {"item_type": "suggestion", "item_no": "12a", "title": 5, "co_signers": "deputy",
                                  "publication_consent": "yes", "priority": "high", "received_on": "2999-01-01"})
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["error"] == "invalid_item" and answer["message"] == f"有 {len(answer['errors'])} 处需要修改。"
    assert answer["errors"] == {
        "session": "请填写届次，如“十七届五次”。",
        "item_no": "编号“12a”不是正整数。",
        "timing": "请选择提出时间（大会期间、闭会期间或日常来信来访）。",
        "title": "案由应为字符串。",
        "body": "请填写正文。",
        "category": "请选择类别。",
        "proposer_type": "请选择提出方式（个人、联名或集体）。",
        "proposer_name": "请选择领衔人，或填写领衔人（提出单位）的名称。",
        "co_signers": "附议人/联名人账号应为字符串数组，如 [\"张三\"]。",
        "received_on": f"收件日期不能晚于今天（{city.engine.clock.today().isoformat()}）。",
        "publication_consent": "同意公开答复应为 true 或 false。",
        "priority": "未知字段“priority”。",
    }
    assert count(city.engine, Item) == 0 and count(city.engine, Instance) == 0


@pytest.mark.parametrize("payload, field, message", [
    (body(item_type="proposal"), "item_type", "代表履职服务平台只能提交人大建议或议案转建议。"),
    (body(source="cppcc_platform"), "source", "来源渠道由接口令牌确定，应为“npc_platform”或不填。"),
    (body(item_no=True), "item_no", "编号应为整数，如 123。"),
    (body(item_no=0), "item_no", "编号应在 1 至 99999 之间。"),
    (body(category="交通"), "category", "请选择类别。"),
    (body(proposer="nobody"), "proposer", "“nobody”不是系统中的代表或委员"),
    (body(co_signer_names=[1]), "co_signer_names", "附议人/联名人姓名应为字符串数组"),
])
def test_each_field_is_checked(client, city, npc, payload, field, message):
    response = post(client, npc, payload)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert list(errors) == [field] and message in errors[field]


def test_bodies_that_are_not_json_objects(client, city, npc):
    headers = {**auth(npc), "Content-Type": "application/json"}
    for raw in (b"{not json", b"\xff\xfe", b"", b"[1, 2]", b'"text"'):
        response = client.post("/api/v1/items", data=raw, headers=headers)
        assert response.status_code == 400, raw
        assert response.get_json()["error"] == "invalid_json" and "JSON" in response.get_json()["message"]
    assert count(city.engine, Item) == 0


def test_tokens_are_required_and_checked(app, client, city, npc):
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"},
                    {"Authorization": "Bearer jytb_wrong"}):
        response = client.post("/api/v1/items", json=body(), headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["error"] in ("unauthorized", "invalid_token")
        assert client.get("/api/v1/items/1", headers=headers).status_code == 401
    # A logged-in session is no token: the API never reads cookies.
    browser = app.test_client()
    page = browser.get("/login")
    browser.post("/login", data={"username": "office", "password": "secret", "csrf_token": csrf_of(page)})
    assert browser.post("/api/v1/items", json=body()).status_code == 401
    assert count(city.engine, Item) == 0
    # With a token no CSRF token is needed (this app checks CSRF on every form).
    assert client.post("/api/v1/items", json=body(), headers=auth(npc)).status_code == 201


def test_a_deployment_problem_is_a_503(client, city, npc, monkeypatch):
    from webapp.engine.errors import EngineError

    def broken(*args, **kwargs):
        raise EngineError("流程“item_handling”尚未部署")
    monkeypatch.setattr(city.engine.runtime, "start_in", broken)
    response = post(client, npc, body())
    assert response.status_code == 503 and "尚未部署" in response.get_json()["message"]
    assert count(city.engine, Item) == 0


# --- status -----------------------------------------------------------------------------------------------

def test_a_platform_reads_the_status_of_its_own_items(client, city, npc, cppcc):
    created = post(client, npc, body()).get_json()
    response = client.get(f"/api/v1/items/{created['id']}", headers=auth(npc))
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["status"] == {"code": "running", "label": "办理中", "stage": "待立案审查",
                                "current_steps": ["分类甄选／快速审查"], "replies": []}

    city.instance_id = created["instance_id"]
    register(city, mode="lead_co", lead="jtj", co=["zjj"])
    status = client.get(f"/api/v1/items/{created['id']}", headers=auth(npc)).get_json()["status"]
    assert status["stage"] == "已立案"
    assert status["current_steps"] == ["签收核对：是否属于本单位职责（市交通运输局）",
                                       "签收核对：是否属于本单位职责（市住房和城乡建设局）"]
    assert [(r["unit"], r["unit_name"], r["role"], r["status"]) for r in status["replies"]] == [
        ("jtj", "市交通运输局", "主办", "待签收"), ("zjj", "市住房和城乡建设局", "协办", "协办")]
    assert status["replies"][0]["assigned_on"] and status["replies"][0]["replied_on"] is None

    other = client.get(f"/api/v1/items/{created['id']}", headers=auth(cppcc))
    assert other.status_code == 403 and other.get_json()["message"] == "只能查询本平台提交的事项。"
    missing = client.get("/api/v1/items/999", headers=auth(npc))
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    office_item = register_item(city.engine, dict(body(item_no=8)), city.user("office"))  # source: manual
    assert client.get(f"/api/v1/items/{office_item.id}", headers=auth(npc)).status_code == 403


# --- the document -----------------------------------------------------------------------------------------

def test_the_openapi_document_describes_both_endpoints(client, city, npc):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = json.loads(response.get_data(as_text=True))
    validate_spec(doc)
    assert doc["openapi"].startswith("3.") and doc["servers"] == [{"url": "/api/v1", "description": "本系统"}]
    assert set(doc["paths"]) == {"/items", "/items/{item_id}"}
    create, show = doc["paths"]["/items"]["post"], doc["paths"]["/items/{item_id}"]["get"]
    assert {"201", "200", "400", "401", "403", "409", "422"} <= set(create["responses"])
    assert {"200", "401", "403", "404"} <= set(show["responses"])
    fields = doc["components"]["schemas"]["ItemInput"]["properties"]
    assert set(fields) == {f.name for f in items_api.FIELDS}
    assert fields["title"]["description"].startswith("如“关于") and fields["category"]["enum"][0] == "经济发展"
    assert "人大建议" in fields["item_type"]["description"]
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"

    # The answers match their schemas.
    created = post(client, npc, body())
    _valid(doc, "Item", created.get_json())
    _valid(doc, "Item", client.get(created.headers["Location"], headers=auth(npc)).get_json())
    _valid(doc, "ValidationError", post(client, npc, {"title": ""}).get_json())
    _valid(doc, "Conflict", post(client, npc, body(title="另一件")).get_json())
    _valid(doc, "Error", client.get("/api/v1/items/1").get_json())
    _valid(doc, "ItemInput", body())


def test_the_readable_page_is_served_here_without_login(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(response)
    assert "平台接入接口" in text and "/api/v1/items" in text and "/api/v1/items/{item_id}" in text
    assert "提交一件建议或提案" in text and "查询一件事项的办理状态" in text
    assert "Authorization: Bearer" in text and "幂等" in text
    assert "item_type" in text and "案由" in text and "最长 300 字" in text and "422" in text
    assert "关于改善城区公交线路的建议" in text  # the example body
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from other sites


def _valid(doc, name, instance):
    schema = {**doc["components"]["schemas"][name], "components": doc["components"]}
    OAS30Validator(schema).validate(instance)


def _items(engine) -> list[Item]:
    with engine.db.read() as s:
        return list(s.scalars(select(Item).order_by(Item.id)))
