"""协商记录 on the item page: the handling units' records of their consultations with the proposer
(written by the service task `record_consultation`, service_tasks/consultations.py), and the lead
proposer's answer to each — 确认 (confirmed) or 有异议 (disputed, with a comment).

Everyone who may see the item page sees the records and their status; only the lead proposer (the
item's `proposer`) answers. The record is the unit's account of a consultation *with him*, so
co-signers, the office and the unit cannot answer on his behalf: a proposer without an account leaves
his records 待确认 (the office checks such items by 抽查 instead). An answer is given once.
"""
from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from sqlalchemy import select, update

from service_tasks.consultations import METHODS, STAGES
from ..models import ConsultationRecord, Item, Unit, utcnow
from .helpers import actor, get_engine

bp = Blueprint("consultations", __name__)

STATUSES = {"pending": "待确认", "confirmed": "已确认", "disputed": "有异议"}
STATUS_TAGS = {"pending": "tag-amber", "confirmed": "tag-blue", "disputed": "tag-red"}
COMMENT_MAX = 1000


@dataclass
class RecordView:
    record: ConsultationRecord
    unit_name: str
    stage_label: str
    method_label: str
    status_label: str
    status_tag: str


@dataclass
class ConsultationPanel:
    records: list[RecordView] = field(default_factory=list)
    may_answer: bool = False          # the viewer is the lead proposer
    proposer_name: str = ""
    proposer_has_account: bool = True
    error_record: int | None = None   # the record a refused answer was about, with its message
    error: str = ""
    comment: str = ""                 # the comment typed with a refused dispute

    @property
    def shown(self) -> bool:
        return bool(self.records)

    @property
    def pending_count(self) -> int:
        return sum(1 for r in self.records if r.record.status == "pending")

    @property
    def disputed_count(self) -> int:
        return sum(1 for r in self.records if r.record.status == "disputed")


def records_of_instance(session, instance_id: int) -> list[RecordView]:
    """The consultation records of an item's main process, oldest first, with readable labels."""
    rows = session.execute(
        select(ConsultationRecord, Unit.name).outerjoin(Unit, Unit.code == ConsultationRecord.unit_code)
        .where(ConsultationRecord.instance_id == instance_id)
        .order_by(ConsultationRecord.held_on, ConsultationRecord.id)).all()
    return [RecordView(record, unit_name or record.unit_code, STAGES.get(record.stage, record.stage),
                       METHODS.get(record.method, record.method), STATUSES.get(record.status, record.status),
                       STATUS_TAGS.get(record.status, "tag-plain"))
            for record, unit_name in rows]


def consultation_panel(session, user, instance) -> ConsultationPanel:
    """The 协商记录 card of the item page (the page has checked that the user may see the item)."""
    panel = ConsultationPanel(records=records_of_instance(session, instance.id))
    if panel.records:
        item = session.scalar(select(Item).where(Item.instance_id == instance.id))
        if item is not None:
            panel.proposer_name = item.proposer_name
            panel.proposer_has_account = bool(item.proposer)
            panel.may_answer = bool(item.proposer) and item.proposer == getattr(user, "username", None)
    posted = g.get("consultation_posted")
    if posted:
        panel.error_record, panel.error, panel.comment = posted
    return panel


class AnswerRefused(Exception):
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
    when = record.confirmed_at.astimezone(_office_tz()).strftime("%Y-%m-%d %H:%M") if record.confirmed_at else ""
    verdict = "确认" if record.status == "confirmed" else "提出异议"
    return f"该协商记录已于 {when} {verdict}，不能再次确认或提出异议。"


def _office_tz():
    from ..clock import OFFICE_TZ
    return OFFICE_TZ


@bp.post("/consultations/<int:record_id>/confirm")
def confirm(record_id):
    return _answer(record_id, confirmed=True)


@bp.post("/consultations/<int:record_id>/dispute")
def dispute(record_id):
    return _answer(record_id, confirmed=False)


def _answer(record_id: int, confirmed: bool):
    user = actor()
    comment = request.form.get("comment") or ""
    engine = get_engine()
    try:
        with engine.db.write() as session:
            record = answer(session, record_id, user, confirmed, comment)
            instance_id = record.instance_id
    except AnswerRefused as e:
        if e.status in (403, 404):
            abort(e.status, description=e.message)
        with engine.db.read() as session:
            instance_id = session.scalar(select(ConsultationRecord.instance_id)
                                         .where(ConsultationRecord.id == record_id))
        g.consultation_posted = (record_id, e.message, comment)
        from .instances import instance_page
        return instance_page(instance_id, status=e.status)
    flash("已确认协商记录。" if confirmed else "已提交对协商记录的异议，承办单位和市政府办公室将看到您的意见。", "success")
    return redirect(url_for("instances.show", instance_id=instance_id) + "#consultations")


@bp.app_context_processor
def consultation_vocabulary():
    return {"consultation_comment_max": COMMENT_MAX}
