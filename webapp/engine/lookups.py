"""Expression functions that read stored things: a unit's name, the full text behind a text reference.

Like the clock, these run deep inside SpiffWorkflow where no session is at hand; the Engine binds its
database here when it is created. Each call is one small query, in the open write transaction if
there is one (so it sees what that transaction saved), else in a read transaction of its own.
"""
from sqlalchemy import select

from ..models import TextBlob, Unit
from .expressions import expression_function

_db = None


def bind(db) -> None:
    global _db
    _db = db


@expression_function()
def unit_name(code) -> str:
    """The name of the unit with this code (the code itself if there is no such unit), e.g.
    `${unit_name(unit)}` → 市交通运输局."""
    if not code or _db is None:
        return code or ""
    return _scalar(select(Unit.name).where(Unit.code == str(code))) or str(code)


@expression_function()
def full_text(value) -> str:
    """A form's long text in full: long texts are stored apart and the data holds a reference
    (`{"text_id": …}`); short ones are the text itself. E.g. `${full_text(reply_body)}`."""
    if isinstance(value, dict) and "text_id" in value:
        if _db is None:
            return value.get("preview", "")
        return _scalar(select(TextBlob.content).where(TextBlob.id == value["text_id"])) or ""
    return "" if value is None else str(value)


def _scalar(query):
    """Run in the open write transaction when there is one: a text saved by the form being
    completed right now is not committed yet, and another session would not see it."""
    session = _db.current_write_session()
    if session is not None:
        return session.scalar(query)
    with _db.read() as session:
        return session.scalar(query)
