"""The lead proposer's answer to a handling unit's consultation record (协商记录, written by the service
task `record_consultation`): 确认 (confirmed) or 有异议 (disputed, with a comment), given once.

Only the item's lead proposer answers: the record is the unit's account of a consultation *with him*,
so co-signers, the office and the unit cannot answer on his behalf. Used by the item page
(webapp/web/consultations.py) and the demo city (webapp/demo/items.py).
"""
from sqlalchemy import update

from ..clock import OFFICE_TZ
from ..models import ConsultationRecord, Item, utcnow

STATUSES = {"pending": "待确认", "confirmed": "已确认", "disputed": "有异议"}
COMMENT_MAX = 1000


class AnswerRefused(Exception):
    """The answer is not taken; `status` is how the page answers (403, 404, 409 or 422)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def answer(session, record_id: int, user, confirmed: bool, comment: str) -> ConsultationRecord:
    """Record the lead proposer's answer to a pending record (in the caller's transaction).

    Raises AnswerRefused: 404 unknown record, 403 not the lead proposer, 422 a dispute without a
    comment or a comment too long, 409 answered already (nothing changes then)."""
    record = session.get(ConsultationRecord, record_id)
    if record is None:
        raise AnswerRefused(404, f"协商记录 {record_id} 不存在。")
    item = session.get(Item, record.item_id)
    if item is None or not item.proposer or item.proposer != user.username:
        raise AnswerRefused(403, "只有该件建议提案的领衔人本人可以确认协商记录。")
    if record.status != "pending":
        raise AnswerRefused(409, _answered_message(record))
    comment = (comment or "").strip()
    if not confirmed and not comment:
        raise AnswerRefused(422, "选择“有异议”时请说明与实际情况不符之处。")
    if len(comment) > COMMENT_MAX:
        raise AnswerRefused(422, f"意见不能超过 {COMMENT_MAX} 个字（现为 {len(comment)} 个字）。")
    status = "confirmed" if confirmed else "disputed"
    # Only a pending row changes: of two answers sent at once, the second finds none and is refused.
    changed = session.execute(
        update(ConsultationRecord)
        .where(ConsultationRecord.id == record_id, ConsultationRecord.status == "pending")
        .values(status=status, confirmed_by=user.username, confirmed_at=utcnow(), proposer_comment=comment)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        session.expire(record)
        raise AnswerRefused(409, _answered_message(record))
    session.expire(record)
    return record


def _answered_message(record: ConsultationRecord) -> str:
    when = record.confirmed_at.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M") if record.confirmed_at else ""
    verdict = "确认" if record.status == "confirmed" else "提出异议"
    return f"该协商记录已于 {when} {verdict}，不能再次确认或提出异议。"
