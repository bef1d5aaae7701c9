"""The OpenAPI 3 document of /api/v1, written by hand (the request body's fields come from
webapp/items/api.py FIELDS, the allowed values from the vocabulary), and what the readable page
(/api/v1/docs) needs of it."""
from ..items.api import FIELDS, PLATFORM_SOURCES, TOKEN_PREFIX
from ..items.vocabulary import ITEM_TYPES, SOURCES

_KINDS = {"string": {"type": "string"}, "date": {"type": "string", "format": "date"},
          "integer": {"type": "integer", "minimum": 1, "maximum": 99999}, "boolean": {"type": "boolean"},
          "string_list": {"type": "array", "items": {"type": "string"}}}
TYPE_LABELS = {"string": "字符串", "integer": "整数", "boolean": "布尔值", "array": "数组", "object": "对象",
               "number": "数字"}


def _field_schema(field) -> dict:
    schema = {**_KINDS[field.kind], "title": field.label}
    description = field.description
    if field.enum:
        schema["enum"] = list(field.enum)
        if isinstance(field.enum, dict) and any(k != v for k, v in field.enum.items()):
            description += " 可选值：" + "；".join(f"{k}（{v}）" for k, v in field.enum.items()) + "。"
    if field.max_length:
        schema["maxLength"] = field.max_length
    if field.kind == "string_list":
        schema["items"] = {"type": "string", "maxLength": 200}
    schema["description"] = description
    if field.example is not None:
        schema["example"] = field.example
    return schema


def _nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": _ref(name)}}}
    if headers:
        response["headers"] = headers
    return response


def openapi_document(base_url: str = "/api/v1") -> dict:
    """The API as an OpenAPI 3.0 document (a fresh dict each time)."""
    string = {"type": "string"}
    date = {"type": "string", "format": "date"}
    item_input = {
        "type": "object", "title": "事项（提交）", "additionalProperties": False,
        "description": "要登记的建议或提案。字段的检查规则与办公室手工录入相同；未知字段会被拒绝。",
        "required": [f.name for f in FIELDS if f.required],
        "properties": {f.name: _field_schema(f) for f in FIELDS},
    }
    reply = {
        "type": "object", "title": "承办单位办理与答复",
        "properties": {
            "unit": {**string, "description": "承办单位代码"},
            "unit_name": {**string, "description": "承办单位名称"},
            "role": {**string, "description": "办理方式：主办、协办、分办或单办"},
            "status": {**string, "description": "该单位的办理状态，如 待签收、办理中、已答复、已办结"},
            "assigned_on": _nullable({**date, "description": "交办日期"}),
            "due_on": _nullable({**date, "description": "办理期限"}),
            "replied_on": _nullable({**date, "description": "答复（送达）日期"}),
            "result_class": _nullable({**string, "description": "办理结果类别，如 A、B、C"}),
            "satisfaction": _nullable({**string, "description": "代表委员的满意度测评，如 满意、基本满意"}),
        },
    }
    status = {
        "type": "object", "title": "办理状态", "required": ["code", "label", "stage", "current_steps", "replies"],
        "properties": {
            "code": {**string, "enum": ["running", "completed", "suspended", "cancelled"],
                     "description": "流程状态：running 办理中、completed 已办结、suspended 已挂起、cancelled 已撤销"},
            "label": {**string, "description": "流程状态的中文名称"},
            "stage": {**string, "description": "立案情况：待立案审查、已立案、不予立案、并案办理、转为意见建议"},
            "current_steps": {"type": "array", "items": string,
                              "description": "当前待办环节（含承办单位），如 “分类甄选／快速审查”"},
            "replies": {"type": "array", "items": _ref("Reply"), "description": "各承办单位的办理和答复情况"},
        },
    }
    summary_properties = {
        "id": {"type": "integer", "description": "事项在本系统中的 ID，用于查询状态"},
        "number": {**string, "description": "显示编号，如 第0123号", "example": "第0123号"},
        "label": {**string, "description": "类型、届次和编号，如 人大建议 十七届五次 第0123号"},
        "item_type": {**string, "enum": list(ITEM_TYPES), "description": "类型"},
        "session": {**string, "description": "届次"},
        "item_no": {"type": "integer", "description": "编号"},
        "title": {**string, "description": "案由"},
        "source": {**string, "enum": list(PLATFORM_SOURCES) + [s for s in SOURCES if s not in PLATFORM_SOURCES],
                   "description": "来源渠道"},
        "received_on": {**date, "description": "收件日期"},
        "instance_id": {"type": "integer", "description": "办理流程实例的 ID"},
        "links": _ref("Links"),
    }
    summary_required = ["id", "number", "label", "item_type", "session", "item_no", "title", "source", "received_on",
                        "links"]
    item = {"type": "object", "title": "事项", "required": summary_required + ["status"],
            "properties": {**summary_properties, "status": _ref("ItemStatus")}}
    item_ref = {"type": "object", "title": "已存在的事项", "required": summary_required, "properties": summary_properties}
    links = {"type": "object", "title": "链接", "required": ["self", "html"], "properties": {
        "self": {**string, "description": "本事项的状态接口地址（GET）"},
        "html": {**string, "description": "系统内事项页面的地址（需登录）"}}}
    error = {"type": "object", "title": "错误", "required": ["error", "message"], "properties": {
        "error": {**string, "description": "错误代码，如 unauthorized、invalid_token、token_revoked、forbidden、not_found"},
        "message": {**string, "description": "中文说明"}}}
    invalid = {"type": "object", "title": "字段错误", "required": ["error", "message", "errors"], "properties": {
        "error": {**string, "description": "invalid_json（400）或 invalid_item（422）"},
        "message": {**string, "description": "中文说明，如 有 2 处需要修改。"},
        "errors": {"type": "object", "additionalProperties": string,
                   "description": "字段名到中文错误说明，如 {\"title\": \"请填写案由。\"}",
                   "example": {"title": "请填写案由。", "item_no": "编号“12a”不是正整数。"}}}}
    conflict = {"type": "object", "title": "编号冲突", "required": ["error", "message", "errors"], "properties": {
        "error": {**string, "enum": ["duplicate"]},
        "message": {**string, "description": "如 人大建议 十七届五次 第0123号 已经存在，请核对编号。"},
        "errors": {"type": "object", "additionalProperties": string, "description": "{\"item_no\": 中文说明}"},
        "item": {**_ref("ItemRef"), "description": "已存在的事项（仅当它也来自本平台时给出）"}}}
    auth = {"401": _json("Error", "缺少令牌或令牌无效", {"WWW-Authenticate": {"schema": string,
                                                                        "description": "Bearer realm=\"api\""}}),
            "403": _json("Error", "令牌已被吊销，或无权访问该事项")}
    platforms = "；".join(f"{s}（{SOURCES[s]}）" for s in PLATFORM_SOURCES)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "建议提案办理系统 · 平台接入接口",
            "version": "1.0.0",
            "description": (
                "代表履职服务平台、智慧政协平台向本系统提交人大代表建议、政协提案，并查询办理进度。\n\n"
                f"认证：每个平台使用系统管理员签发的接口令牌（以 {TOKEN_PREFIX} 开头），放在请求头 "
                "`Authorization: Bearer <令牌>` 中。令牌绑定来源渠道（" + platforms + "），决定事项的来源渠道、"
                "可提交的类型（代表履职服务平台：人大建议、议案转建议；智慧政协平台：政协提案）和可查询的事项。\n\n"
                "幂等：类型、届次和编号（item_type、session、item_no）唯一确定一件事项。同一请求重复发送（如超时后重试）"
                "返回第一次登记的事项（200，响应头 Idempotent-Replayed: true）；编号已被其他内容占用时返回 409。\n\n"
                "错误：所有错误都是 JSON，error 为错误代码，message 为中文说明；字段错误另有 errors，按字段给出中文说明。"),
        },
        "servers": [{"url": base_url, "description": "本系统"}],
        "tags": [{"name": "事项", "description": "提交建议、提案和查询办理进度"}],
        "paths": {
            "/items": {"post": {
                "tags": ["事项"], "operationId": "createItem", "summary": "提交一件建议或提案",
                "description": "检查字段后登记事项并启动办理流程（进入“分类甄选／快速审查”）。全部字段一次检查，每个有问题的字段给出中文说明。",
                "security": [{"bearerAuth": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ItemInput")}}},
                "responses": {
                    "201": _json("Item", "已登记", {"Location": {"schema": string, "description": "新事项的状态接口地址"}}),
                    "200": _json("Item", "同一请求此前已登记（幂等重放），返回当时登记的事项",
                                 {"Idempotent-Replayed": {"schema": string, "description": "true"}}),
                    "400": _json("ValidationError", "请求体不是 JSON 对象"),
                    **auth,
                    "409": _json("Conflict", "该类型、届次和编号的事项已经存在"),
                    "413": _json("Error", "请求体过大"),
                    "422": _json("ValidationError", "字段有误（errors 按字段给出中文说明）"),
                    "503": _json("Error", "系统暂时无法登记（如办理流程尚未部署）"),
                }}},
            "/items/{item_id}": {"get": {
                "tags": ["事项"], "operationId": "getItem", "summary": "查询一件事项的办理状态",
                "description": "当前环节、立案情况和各承办单位的办理、答复情况。只能查询来源渠道与令牌相同的事项。",
                "security": [{"bearerAuth": []}],
                "parameters": [{"name": "item_id", "in": "path", "required": True, "description": "提交时返回的事项 ID",
                                "schema": {"type": "integer", "minimum": 1}}],
                "responses": {
                    "200": _json("Item", "事项及其办理状态"),
                    **auth,
                    "404": _json("Error", "没有这件事项"),
                }}},
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": f"系统管理员在“接口令牌”页面签发的令牌（{TOKEN_PREFIX}…）"}},
            "schemas": {"ItemInput": item_input, "Item": item, "ItemRef": item_ref, "ItemStatus": status,
                        "Reply": reply, "Links": links, "Error": error, "ValidationError": invalid,
                        "Conflict": conflict},
        },
    }


# --- for the readable page --------------------------------------------------------------------------------

def resolve(doc: dict, schema: dict) -> tuple[str | None, dict]:
    """(component name or None, the schema) of a schema that may be a $ref."""
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return name, doc["components"]["schemas"][name]
    return None, schema


def type_label(doc: dict, schema: dict) -> str:
    name, schema = resolve(doc, schema)
    if name:
        return name
    kind = schema.get("type", "")
    if kind == "array":
        return f"{type_label(doc, schema.get('items', {}))} 的数组"
    label = TYPE_LABELS.get(kind, kind)
    if schema.get("format") == "date":
        label = "日期（YYYY-MM-DD）"
    if schema.get("nullable"):
        label += "，可为 null"
    return label


def schema_rows(doc: dict, schema: dict) -> list[dict]:
    """One row per property of an object schema: name, type, required, description, allowed values."""
    _name, schema = resolve(doc, schema)
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        ref_name, resolved = resolve(doc, prop)
        rows.append(dict(name=name, type=type_label(doc, prop), required=name in required,
                         title=resolved.get("title", "") if not ref_name else "",
                         description=prop.get("description") or resolved.get("description", ""),
                         enum=resolved.get("enum") if not ref_name else None,
                         max_length=resolved.get("maxLength")))
    return rows


def example(doc: dict, schema: dict):
    """An example value built from the schemas' examples (for the request body on the page)."""
    _name, schema = resolve(doc, schema)
    if "example" in schema:
        return schema["example"]
    if schema.get("type") == "object":
        return {k: example(doc, v) for k, v in schema.get("properties", {}).items()
                if k in schema.get("required", []) or "example" in resolve(doc, v)[1]}
    return None
