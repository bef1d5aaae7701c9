"""How an item is numbered and named: the business key of its instance and the number people read.

The display format (第0123号) is the one place to change when a locality numbers differently.
"""
from .vocabulary import ITEM_TYPES


def display_number(item_no: int) -> str:
    """The number as printed on lists and letters of the office: 第0123号."""
    return f"第{int(item_no):04d}号"


def item_label(item_type: str, session: str, item_no: int) -> str:
    """Type, session and number, e.g. 人大建议 十七届五次 第0123号."""
    return f"{ITEM_TYPES.get(item_type, item_type)} {session} {display_number(item_no)}"


def business_key(item_type: str, session: str, item_no: int) -> str:
    """The main-process instance's business key, e.g. suggestion-十七届五次-123 (unique per item)."""
    return f"{item_type}-{session}-{int(item_no)}"


def key_label(key: str) -> str:
    """What people read for a business key: an item's key as its label (suggestion-十七届五次-123 →
    人大建议 十七届五次 第0123号); any other process's key unchanged."""
    item_type, _, rest = (key or "").partition("-")
    session, _, number = rest.rpartition("-")
    if item_type in ITEM_TYPES and session and number.isdigit():
        return item_label(item_type, session, int(number))
    return key
