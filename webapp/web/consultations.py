"""协商记录 on the item page: the handling units' records of their consultations with the proposer
(written by the service task `record_consultation`, service_tasks/consultations.py), and the lead
proposer's answer to each — 确认 (confirmed) or 有异议 (disputed, with a comment).

Everyone who may see the item page sees the records and their status; only the lead proposer (the
item's `proposer`) answers. The record is the unit's account of a consultation *with him*, so
co-signers, the office and the unit cannot answer on his behalf, and the records of a proposer without
an account stay 待确认 (the card says why). An answer is given once (webapp/items/consultations.py).
"""
from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from sqlalchemy import select

from service_tasks.consultations import METHODS, STAGES
from ..items.consultations import COMMENT_MAX, STATUSES, AnswerRefused, answer
from ..models import ConsultationRecord, Unit
from .helpers import actor, get_engine

bp = Blueprint("consultations", __name__)

STATUS_TAGS = {"pending": "tag-amber", "confirmed": "tag-blue", "disputed": "tag-red"}


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


def consultation_panel(session, user, instance, item) -> ConsultationPanel:
    """The 协商记录 card of the item page (the page has checked that the user may see the item, and read
    the item behind the instance: None for other processes)."""
    panel = ConsultationPanel(records=records_of_instance(session, instance.id))
    if panel.records:
        if item is not None:
            panel.proposer_name = item.proposer_name
            panel.proposer_has_account = bool(item.proposer)
            panel.may_answer = bool(item.proposer) and item.proposer == getattr(user, "username", None)
    posted = g.get("consultation_posted")
    if posted:
        panel.error_record, panel.error, panel.comment = posted
    return panel


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
