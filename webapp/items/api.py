"""The platforms' intake API (代表履职服务平台 / 智慧政协平台 → POST /api/v1/items), free of Flask: bearer
tokens, submitting an item, and an item's status as a platform reads it.

Tokens: an administrator creates one per platform (`create_token`); it is shown once and only its
SHA-256 is kept — tokens are 256-bit random strings, so a plain hash is as good as a slow one and
lets a request find its token with one indexed lookup. Each token is bound to a source channel,
which becomes the item's `source` and decides which item types the platform may send (the NPC
platform suggestions, the CPPCC platform proposals).

Submitting (`submit_item`) checks the JSON types of the fields, then the same rules as manual intake
(`intake.register_in`), and stores the item, its process and an `api_submissions` record in one
transaction. The number (type, session, item_no) is the idempotency key: the same request body sent
again — a retry after a lost answer — returns the item stored the first time; anything else under a
number that is taken is a conflict.
"""
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from ..models import ApiSubmission, ApiToken, Instance, Item, Unit, utcnow
from .intake import ItemInvalid, _item_no, _text, check_item, register_in
from .numbering import display_number, item_label
from .queries import current_steps
from .vocabulary import CATEGORIES, ITEM_TYPES, KEY_SOURCES, PROPOSER_TYPES, SOURCES, TIMINGS

TOKEN_PREFIX = "jytb_"
TOKEN_SHOWN_CHARS = 12   # what the token list shows of each token
LAST_USED_PRECISION = timedelta(minutes=1)  # `last_used_at` is written at most this often per token
# The channels a token can be bound to, and the item types each platform sends.
PLATFORM_SOURCES = {"npc_platform": ("suggestion", "motion_to_suggestion"), "cppcc_platform": ("proposal",)}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str            # string | integer | boolean | date | string_list
    label: str
    description: str
    required: bool = False
    enum: dict | list | None = None
    max_length: int | None = None
    example: object = None


# The request body of POST /api/v1/items (also the OpenAPI schema ItemInput).
FIELDS = [
    Field("item_type", "string", "类型", "人大建议 suggestion、议案转建议 motion_to_suggestion（代表履职服务平台），"
          "政协提案 proposal（智慧政协平台）。", True, ITEM_TYPES, example="suggestion"),
    Field("session", "string", "届次", "如“十七届五次”。", True, max_length=32, example="十七届五次"),
    Field("item_no", "integer", "编号", "正整数 1—99999，显示为“第0123号”；同一类型、同一届次内唯一（幂等键之一）。", True,
          example=123),
    Field("timing", "string", "提出时间", "大会期间 session、闭会期间 recess、日常来信来访 daily。", True, TIMINGS,
          example="recess"),
    Field("title", "string", "案由", "如“关于改善城区公交线路的建议”。", True, max_length=300,
          example="关于改善城区公交线路的建议"),
    Field("body", "string", "正文", "建议、提案的全文，可含换行。", True, max_length=50000,
          example="一、现状\n城区公交线路覆盖不足。\n二、建议\n增开班次。"),
    Field("category", "string", "类别", "一级类别，取值见枚举。", True, CATEGORIES, example="交通运输"),
    Field("subcategory", "string", "子类", "可不填。", max_length=64, example="公共交通"),
    Field("proposer_type", "string", "提出方式", "个人 individual、联名 joint、集体 collective（党派、人民团体、界别、专委会、代表团）。",
          True, PROPOSER_TYPES, example="individual"),
    Field("proposer", "string", "领衔人账号", "领衔代表、委员在本系统的用户名；没有账号时不填，只填 proposer_name。",
          max_length=64, example="deputy"),
    Field("proposer_name", "string", "领衔人（提出单位）名称", "领衔人姓名或提出单位名称；填写了 proposer 的可不填。",
          max_length=200, example="刘代表"),
    Field("co_signers", "string_list", "附议人/联名人账号", "有账号的附议人、联名人的用户名。", example=[]),
    Field("co_signer_names", "string_list", "附议人/联名人姓名", "没有账号的附议人、联名人的姓名；联名提出的必须有附议人/联名人。",
          example=[]),
    Field("contact", "string", "联系方式", "电话、地址等。", max_length=300, example="13800000000"),
    Field("suggested_units", "string", "建议承办单位", "提出人建议的承办单位。", max_length=1000, example="市交通运输局"),
    Field("received_on", "date", "收件日期", "YYYY-MM-DD，不填为当天，不能晚于当天。", example="2026-11-20"),
    Field("key_source", "string", "重点督办", "非重点 none（默认）、人大政协确定的重点督办 npc_cppcc、承办单位确定的本单位重点 unit。",
          enum=KEY_SOURCES, example="none"),
    Field("key_leader", "string", "领办领导", "重点事项的领办领导。", max_length=100, example=""),
    Field("publication_consent", "boolean", "同意公开答复", "代表、委员是否同意公开答复；不填为 true。", example=True),
    Field("proposer_requested_face_to_face", "boolean", "要求面商", "代表、委员是否明确要求面商；不填为 false。",
          example=False),
    Field("source", "string", "来源渠道", "由接口令牌确定（npc_platform 或 cppcc_platform），可不填；填写时须与令牌一致。",
          enum=list(PLATFORM_SOURCES), example="npc_platform"),
]
FIELD_BY_NAME = {f.name: f for f in FIELDS}


class ApiAuthError(Exception):
    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message
        super().__init__(message)


class ApiInvalid(Exception):
    """A request the API refuses: 400 (not a JSON object) or 422 (fields, with a message per field)."""

    def __init__(self, status: int, code: str, message: str, errors: dict | None = None):
        self.status, self.code, self.message, self.errors = status, code, message, errors or {}
        super().__init__(message)


class ApiConflict(Exception):
    """The number is taken by another item (`item`: that item when the same platform sent it)."""

    def __init__(self, message: str, errors: dict, item: Item | None):
        self.message, self.errors, self.item = message, errors, item
        super().__init__(message)


# --- tokens ---------------------------------------------------------------------------------------------

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(engine, name: str, source: str, actor=None) -> tuple[ApiToken, str]:
    """A new token for a platform; returns the stored row and the token itself (shown once, never again)."""
    name = " ".join(str(name or "").split())
    errors = {}
    if not name:
        errors["name"] = "请填写令牌名称，如“代表履职服务平台（正式）”。"
    elif len(name) > 100:
        errors["name"] = "令牌名称不能超过 100 个字。"
    if source not in PLATFORM_SOURCES:
        errors["source"] = "请选择令牌对应的平台（代表履职服务平台或智慧政协平台）。"
    if errors:
        raise ItemInvalid(errors)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with engine.db.write() as session:
        row = ApiToken(name=name, source=source, token_hash=hash_token(token), prefix=token[:TOKEN_SHOWN_CHARS],
                       created_by=getattr(actor, "username", None))
        session.add(row)
        session.flush()
    return row, token


def revoke_token(engine, token_id: int, actor=None) -> ApiToken | None:
    """Revoke a token (at once, for every process); None when there is no such token."""
    with engine.db.write() as session:
        row = session.get(ApiToken, token_id)
        if row is not None and row.revoked_at is None:
            row.revoked_at = utcnow()
            row.revoked_by = getattr(actor, "username", None)
        return row


def all_tokens(engine) -> list[ApiToken]:
    with engine.db.read() as session:
        return list(session.scalars(select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def authenticate(engine, authorization: str | None) -> ApiToken:
    """The token of an `Authorization: Bearer …` header; raises ApiAuthError (401 unknown, 403 revoked)."""
    scheme, _, presented = (authorization or "").strip().partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        raise ApiAuthError(401, "unauthorized", "缺少接口令牌：请在请求头 Authorization 中提供“Bearer 令牌”。")
    with engine.db.read() as session:
        token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(presented)))
    if token is None:
        raise ApiAuthError(401, "invalid_token", "接口令牌无效，请核对令牌或向系统管理员申请。")
    if token.revoked_at is not None:
        raise ApiAuthError(403, "token_revoked", "接口令牌已被吊销，请向系统管理员申请新的令牌。")
    now = utcnow()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_PRECISION:
        with engine.db.write() as session:
            session.get(ApiToken, token.id).last_used_at = now
        token.last_used_at = now
    return token


# --- submitting -----------------------------------------------------------------------------------------

def submit_item(engine, token: ApiToken, body) -> tuple[Item, bool]:
    """Register the item a platform sent; returns (item, repeated) where `repeated` means the same
    request had stored it before. Raises ApiInvalid (400/422) or ApiConflict (409)."""
    if not isinstance(body, dict):
        raise ApiInvalid(400, "invalid_json", "请求体应为 JSON 对象，如 {\"item_type\": \"suggestion\", …}。")
    errors = _type_errors(body, token.source)
    values = {k: v for k, v in body.items() if k in FIELD_BY_NAME and k not in errors}
    values["source"] = token.source
    values.setdefault("publication_consent", True)
    fingerprint = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False,
                                            separators=(",", ":")).encode("utf-8")).hexdigest()
    today = engine.clock.today()
    duplicate = False
    try:
        with engine.db.write() as session:
            try:
                if errors:
                    check_item(session, values, today)  # only to report the other fields' problems too
                    raise ItemInvalid({})
                item = register_in(engine, session, values, None, today,
                                   created_by=f"api:{token.source}:{token.id}")
            except ItemInvalid as e:
                errors = {**e.errors, **errors}
                duplicate = e.duplicate and list(errors) == ["item_no"]
                raise
            session.add(ApiSubmission(item_id=item.id, token_id=token.id, source=token.source,
                                      fingerprint=fingerprint))
        return item, False
    except ItemInvalid:
        pass
    if duplicate:
        return _repeat(engine, token, values, fingerprint, errors), True
    raise ApiInvalid(422, "invalid_item", f"有 {len(errors)} 处需要修改。", _in_field_order(errors))


def _repeat(engine, token, values, fingerprint, errors) -> Item:
    """The item stored by the same request before, else ApiConflict."""
    number = _item_no(values.get("item_no"), {})
    with engine.db.read() as session:
        found = session.execute(select(Item, ApiSubmission).outerjoin(ApiSubmission, ApiSubmission.item_id == Item.id)
                                .where(Item.item_type == _text(values.get("item_type")),
                                       Item.session == _text(values.get("session")), Item.item_no == number)).first()
    item, submission = found if found else (None, None)
    if item is not None and submission is not None and submission.source == token.source \
            and submission.fingerprint == fingerprint:
        return item
    mine = item if item is not None and item.source == token.source else None
    raise ApiConflict(errors["item_no"], errors, mine)


def _type_errors(body: dict, source: str) -> dict:
    """Problems with the JSON types of the fields, unknown fields, and what the token's platform may send."""
    errors = {}
    for key, value in body.items():
        spec = FIELD_BY_NAME.get(key)
        if spec is None:
            errors[key] = f"未知字段“{key}”。"
            continue
        if value is None:
            continue
        if spec.kind in ("string", "date") and not isinstance(value, str):
            errors[key] = f"{spec.label}应为字符串。"
        elif spec.kind == "integer" and (isinstance(value, bool) or not isinstance(value, (int, str))):
            errors[key] = f"{spec.label}应为整数，如 123。"
        elif spec.kind == "boolean" and not isinstance(value, bool):
            errors[key] = f"{spec.label}应为 true 或 false。"
        elif spec.kind == "string_list" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            errors[key] = f"{spec.label}应为字符串数组，如 [\"张三\"]。"
    given = body.get("source")
    if "source" not in errors and given not in (None, "", source):
        errors["source"] = f"来源渠道由接口令牌确定，应为“{source}”或不填。"
    item_type = body.get("item_type")
    if "item_type" not in errors and item_type in ITEM_TYPES and item_type not in PLATFORM_SOURCES[source]:
        allowed = "或".join(ITEM_TYPES[t] for t in PLATFORM_SOURCES[source])
        errors["item_type"] = f"{SOURCES[source]}只能提交{allowed}。"
    return errors


def _in_field_order(errors: dict) -> dict:
    order = {f.name: i for i, f in enumerate(FIELDS)}
    return dict(sorted(errors.items(), key=lambda kv: order.get(kv[0], len(order))))


# --- reading --------------------------------------------------------------------------------------------

def platform_item(engine, token: ApiToken, item_id: int) -> Item:
    """The item, if the token's platform may read it (its source channel is the token's)."""
    with engine.db.read() as session:
        item = session.get(Item, item_id)
    if item is None:
        raise ApiAuthError(404, "not_found", f"没有编号为 {item_id} 的事项。")
    if item.source != token.source:
        raise ApiAuthError(403, "forbidden", "只能查询本平台提交的事项。")
    return item


def item_summary(item: Item) -> dict:
    return dict(id=item.id, number=display_number(item.item_no),
                label=item_label(item.item_type, item.session, item.item_no), item_type=item.item_type,
                session=item.session, item_no=item.item_no, title=item.title, source=item.source,
                received_on=item.received_on.isoformat(), instance_id=item.instance_id)


def item_status(engine, item: Item) -> dict:
    """Where the item stands: the instance's status, the intake decision, the open steps, each unit's
    handling and reply (as the ledger reads them)."""
    from ..engine.runtime import STATUS_LABELS
    from ..reports.ledger import INTAKE_LABELS, _item_rows  # the ledger's reading of one item's process data
    with engine.db.read() as session:
        instance = session.get(Instance, item.instance_id)
        steps = current_steps(session, [item.instance_id]).get(item.instance_id, [])
        data = engine.runtime.variables(session, item.instance_id)
        scopes = engine.runtime.running_scopes(session, item.instance_id, "unit_handling")
        names = dict(session.execute(select(Unit.code, Unit.name)).all())
    label = STATUS_LABELS.get(instance.status, instance.status)
    decision = data.get("intake_decision")
    if decision == "register":
        stage = "已立案"
    else:
        stage = INTAKE_LABELS.get(decision, "待立案审查" if instance.status == "running" else label)
    rows = [r for r in _item_rows(data, scopes, names, label, engine.clock.today()) if r.unit_code]
    replies = [dict(unit=r.unit_code, unit_name=r.unit, role=r.role, status=r.status,
                    assigned_on=_iso(r.assigned_on), due_on=_iso(r.due_on), replied_on=_iso(r.replied_on),
                    result_class=r.result_class or None, satisfaction=r.satisfaction or None) for r in rows]
    return dict(code=instance.status, label=label, stage=stage, current_steps=steps, replies=replies)


def _iso(day) -> str | None:
    return day.isoformat() if day else None
