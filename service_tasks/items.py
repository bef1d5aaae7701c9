"""Keeping an item's registration record (the `items` row) in step with the office's decisions.

The office may change an item's category and its key flag in 分类甄选／快速审查 (bpmn/item_handling.bpmn,
`intake_review`); those values live in the process data, while the item list, the board, the
statistics, the ledger, the public page and the API read the `items` row. The service task
`update_item` (更新事项登记信息) right after that step writes the changed values to the row, in the
transaction that completes the job, and records what changed in the item's history.

Parameters left out (or empty) leave their column as it is. The key columns follow the intake rule
(webapp/items/intake.py): an item that is not a key item has the source 非重点 and no 领办领导;
a key item keeps its registered source when the step names none.
"""
from sqlalchemy import select

from service_tasks import Parameter, topic

FIELDS = ("category", "subcategory", "is_key", "key_source", "key_leader")
LABELS = {"category": "类别", "subcategory": "子类", "is_key": "重点", "key_source": "重点来源", "key_leader": "领办领导"}
MAX_LENGTHS = {"subcategory": 64, "key_leader": 100}  # the columns' sizes (webapp/models.py Item)
_TRUE = {"true", "on", "1", "yes", "是"}
_FALSE = {"false", "off", "0", "no", "否", ""}


def _check(parameters: dict[str, str]) -> list[str]:
    """Deploy-time: at least one field named, and literal values from the vocabularies."""
    from webapp.items.vocabulary import CATEGORIES, KEY_SOURCES
    given = {k: v for k, v in parameters.items() if k in FIELDS and str(v or "").strip()}
    if not given:
        return [f"服务主题“update_item”至少要给出一个要更新的字段（{'、'.join(FIELDS)}）"]
    problems = []
    literal = {k: str(v).strip() for k, v in given.items() if not str(v).strip().startswith("${")}
    if "category" in literal and literal["category"] not in CATEGORIES:
        problems.append(f"参数 category 的值“{literal['category']}”不在类别表中")
    if "key_source" in literal and literal["key_source"] not in KEY_SOURCES:
        problems.append(f"参数 key_source 的值“{literal['key_source']}”应为 {'、'.join(KEY_SOURCES)} 之一")
    if "is_key" in literal and literal["is_key"].lower() not in _TRUE | _FALSE:
        problems.append(f"参数 is_key 的值“{literal['is_key']}”应为 true 或 false")
    return problems


@topic("update_item", "更新事项登记信息", [
    Parameter("category", "类别（类别表中的一项，如“交通运输”）"),
    Parameter("subcategory", "子类"),
    Parameter("is_key", "是否重点建议提案（true/false）"),
    Parameter("key_source", "重点来源：none（非重点）、npc_cppcc（人大、政协确定的重点督办）或 unit（承办单位确定的本单位重点）"),
    Parameter("key_leader", "领办领导"),
], check=_check)
def update_item(ctx, category=None, subcategory=None, is_key=None, key_source=None, key_leader=None):
    """Writes the given values (e.g. the category and key flag decided in 分类甄选) to the item's
    registration record, in the transaction that completes the task; the history lists what changed.
    An instance without an item record (a test run of the diagram) changes nothing."""
    wanted = checked_values(category=category, subcategory=subcategory, is_key=is_key, key_source=key_source,
                            key_leader=key_leader)
    element_id, element_name = ctx.element_id, ctx.element_name
    ctx.in_transaction(lambda session: apply_to_item(session, ctx.instance_id, wanted, element_id, element_name))
    return {}


def checked_values(**values) -> dict:
    """The given values as column values; raises ValueError (a Chinese message) for a bad one."""
    from webapp.items.vocabulary import CATEGORIES, KEY_SOURCES
    wanted = {}
    for name, value in values.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if name == "is_key":
            wanted[name] = _flag(value)
            continue
        text = str(value).strip()
        if name == "category" and text not in CATEGORIES:
            raise ValueError(f"类别“{text}”不在类别表中（{'、'.join(CATEGORIES)}）")
        if name == "key_source" and text not in KEY_SOURCES:
            raise ValueError(f"重点来源“{text}”应为 {'、'.join(KEY_SOURCES)} 之一")
        if name in MAX_LENGTHS and len(text) > MAX_LENGTHS[name]:
            raise ValueError(f"{LABELS[name]}不能超过 {MAX_LENGTHS[name]} 个字（现为 {len(text)} 个字）")
        wanted[name] = text
    return wanted


def _flag(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"“是否重点”的值“{value}”应为 true 或 false")


def apply_to_item(session, instance_id: int, wanted: dict, element_id=None, element_name=None) -> dict:
    """Change the item of `instance_id` to `wanted` (in the caller's transaction) and record the changes
    in its history; returns {column: (old, new)} of what changed."""
    from webapp.engine import history
    from webapp.items.vocabulary import KEY_SOURCES
    from webapp.models import Item
    item = session.scalar(select(Item).where(Item.instance_id == instance_id))
    if item is None:
        return {}
    new = {name: getattr(item, name) for name in FIELDS}
    new.update(wanted)
    if "is_key" not in wanted and "key_source" in wanted:
        new["is_key"] = wanted["key_source"] != "none"
    if not new["is_key"]:
        new["key_source"], new["key_leader"] = "none", ""
    elif new["key_source"] == "none":
        new["key_source"] = item.key_source  # a key item keeps the source it was registered with
    changes = {name: (getattr(item, name), new[name]) for name in FIELDS if (getattr(item, name) or "") != (new[name] or "")}
    if not changes:
        return {}
    for name, (_old, value) in changes.items():
        setattr(item, name, value)
    session.flush()

    def readable(name, value):
        if name == "is_key":
            return "是" if value else "否"
        if name == "key_source":
            return KEY_SOURCES.get(value, value)
        return value or "（空）"

    history.record(session, instance_id, "item_updated", None, element_id, element_name,
                   detail={"changes": {LABELS[name]: f"{readable(name, old)} → {readable(name, value)}"
                                       for name, (old, value) in changes.items()}})
    return changes
