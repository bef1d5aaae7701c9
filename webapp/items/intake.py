"""Manual intake (办公室录入): check an item's fields, store it and start its main process together.

`register_item(engine, values, actor)` is the one entry point; `register_in` does the same inside the
caller's transaction (spreadsheet batches, the platforms' API) and `check_item` the checks alone.
`values` are what a form or an importer submits (strings are fine: "0123", "on", "2026-11-20",
comma-separated usernames); every problem is reported at once, as a Chinese message per field
(`ItemInvalid.errors`). The item row and the `item_handling` instance (with its first tasks, timers and
audit records) are written in one transaction: either both exist afterwards or neither does.
"""
import re
from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..engine.errors import EngineError
from ..models import Instance, Item, RoleAssignment, User
from .numbering import business_key, display_number, item_label
from .vocabulary import CATEGORIES, ITEM_TYPES, KEY_SOURCES, PROPOSER_ROLE, PROPOSER_TYPES, SOURCES, TIMINGS

ITEM_PROCESS = "item_handling"  # the main process: one instance per item, started only with its item

MAX_ITEM_NO = 99999
MAX_LENGTHS = {"session": 32, "title": 300, "subcategory": 64, "proposer_name": 200, "contact": 300,
               "suggested_units": 1000, "key_leader": 100, "body": 50000}
FIELD_LABELS = {"session": "届次", "title": "案由", "subcategory": "子类", "proposer_name": "领衔人（提出单位）名称",
                "contact": "联系方式", "suggested_units": "建议承办单位", "key_leader": "领办领导", "body": "正文"}
_NAME_SEPARATORS = re.compile(r"[、,，;；\n\r]+")
_TRUE = {"on", "true", "1", "yes", "是"}


class ItemInvalid(EngineError):
    """The submitted item cannot be registered; `errors` maps each field to what is wrong with it.
    `duplicate` says that its number (type, session, number) is taken already."""

    def __init__(self, errors: dict[str, str], duplicate: bool = False):
        self.errors = errors
        self.duplicate = duplicate
        super().__init__("；".join(errors.values()))


def register_item(engine, values: Mapping, actor=None) -> Item:
    """Check `values`, store the item and start `item_handling` for it, in one transaction.

    Raises ItemInvalid (a message per field) or another EngineError (e.g. the process is not
    deployed); nothing is stored then. Returns the stored item (detached, every column loaded).
    """
    today = engine.clock.today()
    with engine.db.write() as session:
        return register_in(engine, session, values, actor, today)


def register_in(engine, session, values: Mapping, actor=None, today: date | None = None,
                created_by: str | None = None) -> Item:
    """register_item inside the caller's write transaction (`engine.db.write()`), for callers that store
    rows of their own with the item (the API's submission record) or register many items at once (a
    spreadsheet batch: all or none). After an ItemInvalid or EngineError the caller rolls back.
    `created_by` names a registrant that is not a user (e.g. a platform); default: the actor."""
    columns = check_item(session, values, today or engine.clock.today())
    key = business_key(columns["item_type"], columns["session"], columns["item_no"])
    try:
        instance_id = engine.runtime.start_in(session, ITEM_PROCESS, key, title=columns["title"], actor=actor,
                                              data=process_data(columns))
        item = Item(**columns, instance_id=instance_id, created_by=created_by or getattr(actor, "username", None))
        session.add(item)
        session.flush()
    except IntegrityError:  # the same number registered by someone else a moment ago
        raise ItemInvalid({"item_no": _duplicate_message(columns)}, duplicate=True) from None
    return item


def process_data(columns: dict) -> dict:
    """The start data of `item_handling` for an item's columns (see the start of bpmn/item_handling.bpmn).

    The body, the contact details and the proposer's suggested units stay in the item's row: long
    texts and personal details do not belong in the workflow state, and `suggested_units` is the
    name the unit-suggestion decision writes its result to.
    """
    return dict(
        item_type=columns["item_type"], item_type_label=ITEM_TYPES[columns["item_type"]],
        session=columns["session"], timing=columns["timing"], item_no=columns["item_no"],
        display_no=display_number(columns["item_no"]), title=columns["title"], category=columns["category"],
        subcategory=columns["subcategory"], source=columns["source"], proposer_type=columns["proposer_type"],
        proposer=columns["proposer"], proposer_name=columns["proposer_name"],
        co_signers=list(columns["co_signers"]), co_signer_names=list(columns["co_signer_names"]),
        is_key=columns["is_key"], key_source=columns["key_source"], key_leader=columns["key_leader"],
        publication_consent=columns["publication_consent"],
        proposer_requested_face_to_face=columns["proposer_requested_face_to_face"],
        received_on=columns["received_on"].isoformat())


def check_item(session, values: Mapping, today: date) -> dict:
    """The item's columns from submitted values; raises ItemInvalid with every problem found."""
    errors: dict[str, str] = {}
    c: dict = {}

    def choice(key, options, message, default=None):
        value = _text(values.get(key)) or default
        if value not in options:
            errors[key] = message
        c[key] = value

    choice("item_type", ITEM_TYPES, "请选择类型（人大建议、政协提案或议案转建议）。")
    c["session"] = _text(values.get("session"))
    if not c["session"]:
        errors["session"] = "请填写届次，如“十七届五次”。"
    choice("timing", TIMINGS, "请选择提出时间（大会期间、闭会期间或日常来信来访）。")
    c["item_no"] = _item_no(values.get("item_no"), errors)
    c["title"] = _text(values.get("title"))
    if not c["title"]:
        errors["title"] = "请填写案由。"
    c["body"] = str(values.get("body") or "").strip()
    if not c["body"]:
        errors["body"] = "请填写正文。"
    choice("category", CATEGORIES, "请选择类别。")
    c["subcategory"] = _text(values.get("subcategory")) or None
    choice("source", SOURCES, "请选择来源渠道。", default="manual")
    c["contact"] = _text(values.get("contact"))
    c["suggested_units"] = str(values.get("suggested_units") or "").strip()
    c["received_on"] = _received_on(values.get("received_on"), today, errors)
    _check_people(session, values, c, errors)
    _check_key(values, c, errors)
    c["publication_consent"] = _flag(values.get("publication_consent"))
    c["proposer_requested_face_to_face"] = _flag(values.get("proposer_requested_face_to_face"))
    for key, limit in MAX_LENGTHS.items():
        if key not in errors and c.get(key) and len(c[key]) > limit:
            errors[key] = f"{FIELD_LABELS[key]}不能超过 {limit} 个字（现为 {len(c[key])} 个字）。"

    duplicate = not {"item_type", "session", "item_no"} & errors.keys() and _exists(session, c)
    if duplicate:
        errors["item_no"] = _duplicate_message(c)
    if errors:
        raise ItemInvalid(errors, duplicate=duplicate)
    return c


def _check_people(session, values, c, errors):
    """Proposer type, the lead proposer (an account with role proposer, or a name) and co-signers."""
    choice = _text(values.get("proposer_type"))
    if choice not in PROPOSER_TYPES:
        errors["proposer_type"] = "请选择提出方式（个人、联名或集体）。"
    c["proposer_type"] = choice
    lead = _text(values.get("proposer")) or None
    co_signers = _unique(_usernames(values.get("co_signers")))
    known = _proposers(session, ([lead] if lead else []) + co_signers)
    if lead and lead not in known:
        errors["proposer"] = f"“{lead}”不是系统中的代表或委员，请从列表中选择，或不选而只填写名称。"
    c["proposer"] = lead
    c["proposer_name"] = _text(values.get("proposer_name")) or known.get(lead, "")
    if not c["proposer_name"] and "proposer" not in errors:
        errors["proposer_name"] = "请选择领衔人，或填写领衔人（提出单位）的名称。"
    unknown = [u for u in co_signers if u not in known]
    if unknown:
        errors["co_signers"] = f"附议人/联名人中“{'、'.join(unknown)}”不是系统中的代表或委员。"
    elif lead and lead in co_signers:
        errors["co_signers"] = "领衔人不能同时是附议人/联名人。"
    c["co_signers"] = co_signers
    c["co_signer_names"] = _unique([known[u] for u in co_signers if u in known] +
                                   _names(values.get("co_signer_names")))
    if choice == "joint" and not c["co_signer_names"] and "co_signers" not in errors:
        errors["co_signers"] = "联名提出的，请选择或填写联名人。"


def _check_key(values, c, errors):
    """重点督办: the source decides whether the item is a key item; a given is_key must agree with it."""
    source = _text(values.get("key_source")) or "none"
    if source not in KEY_SOURCES:
        errors["key_source"] = "请选择重点来源。"
    c["key_source"] = source
    c["is_key"] = source != "none"
    if "is_key" in values and values.get("is_key") is not None and _flag(values.get("is_key")) != c["is_key"]:
        errors["key_source"] = ("标记为重点事项的，请选择重点来源。" if _flag(values.get("is_key"))
                                else "不是重点事项的，重点来源应为“非重点”。")
    c["key_leader"] = _text(values.get("key_leader")) if c["is_key"] else ""


def _proposers(session, usernames: list[str]) -> dict[str, str]:
    """Display names of those of `usernames` who are active users holding the proposer role."""
    if not usernames:
        return {}
    rows = session.execute(select(User.username, User.display_name)
                           .join(RoleAssignment, RoleAssignment.user_id == User.id)
                           .where(User.username.in_(usernames), User.active.is_(True),
                                  RoleAssignment.role_code == PROPOSER_ROLE))
    return dict(rows.all())


def _exists(session, c) -> bool:
    key = business_key(c["item_type"], c["session"], c["item_no"])
    return bool(session.scalar(select(Item.id).where(Item.item_type == c["item_type"], Item.session == c["session"],
                                                     Item.item_no == c["item_no"]))
                or session.scalar(select(Instance.id).where(Instance.process_key == ITEM_PROCESS,
                                                            Instance.business_key == key)))


def _duplicate_message(c) -> str:
    return f"{item_label(c['item_type'], c['session'], c['item_no'])} 已经存在，请核对编号。"


def _item_no(value, errors) -> int | None:
    text = _text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif re.fullmatch(r"\d{1,9}", text):
        number = int(text)
    else:
        errors["item_no"] = "请填写编号（正整数，如 123）。" if not text else f"编号“{text}”不是正整数。"
        return None
    if not 1 <= number <= MAX_ITEM_NO:
        errors["item_no"] = f"编号应在 1 至 {MAX_ITEM_NO} 之间。"
        return None
    return number


def _received_on(value, today: date, errors) -> date:
    if value is None or value == "":
        return today
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            errors["received_on"] = "收件日期应为日期，如 2026-11-23。"
            return today
    if day > today:
        errors["received_on"] = f"收件日期不能晚于今天（{today.isoformat()}）。"
    return day


def _text(value) -> str:
    return "" if value is None else " ".join(str(value).split())


def _flag(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    return bool(value)


def _usernames(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    return [str(v).strip() for v in value if str(v).strip()]


def _names(value) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, str):
        value = "、".join(str(v) for v in value)
    return [n.strip() for n in _NAME_SEPARATORS.split(value) if n.strip()]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
