"""先协商后答复 along the procedure: 办前协商, 办中协商 and 面商 each leave a consultation record of the
item (登记协商记录, topic `record_consultation`) and ask the lead proposer to confirm it."""
from datetime import date

from sqlalchemy import select

from tests.procedure.driver import consult, handle
from tests.test_consultation_records import clock, mails, records, set_email, to_consultation  # noqa: F401
from webapp.models import Job


def test_each_consultation_becomes_a_record_and_the_proposer_is_asked_to_confirm(proc, settings):
    set_email(proc, "deputy", "liu@example.org")
    item = to_consultation(proc)
    consult(proc, "jtj", method="visit")
    [row] = records(proc)
    assert (row.item_id, row.unit_code, row.stage, row.method, row.held_on, row.participants, row.summary) == (
        item.id, "jtj", "before", "visit", date(2026, 11, 24), "刘代表", "了解代表的意图和诉求")
    assert (row.status, row.confirmed_by, row.confirmed_at, row.proposer_comment) == ("pending", None, None, "")
    assert row.recorded_by == "市交通运输局handler"  # whoever completed 办前协商
    with proc.engine.db.read() as s:
        job = s.scalars(select(Job).where(Job.instance_id == proc.instance_id,
                                          Job.element_id == "register_consult_before")).one()
        assert (job.status, job.topic, row.job_key) == ("done", "record_consultation", job.task_guid)
        assert job.result == {"consultation_recorded": True}
    assert proc.notices("deputy") == ["请确认协商记录：关于改善城区公交线路的建议"]
    [mail] = mails(settings)
    assert mail["To"].addresses[0].addr_spec == "liu@example.org"
    assert "请确认协商记录" in str(mail["Subject"])
    assert "2026-11-24与您的办前协商（走访）" in mail.get_body().get_content()

    handle(proc, "jtj", method="face_to_face")
    assert [(r.stage, r.method, r.held_on, r.participants, r.summary) for r in records(proc)] == [
        ("before", "visit", date(2026, 11, 24), "刘代表", "了解代表的意图和诉求"),
        ("during", "face_to_face", date(2026, 12, 10), "", "通报办理进展")]
    assert proc.notices("deputy") == ["请确认协商记录：关于改善城区公交线路的建议"] * 2
    assert proc.open_summary() == [("draft_reply", "jtj")]


def test_a_face_to_face_meeting_the_rules_require_is_recorded_too(proc):
    to_consultation(proc)
    consult(proc, "jtj", method="phone", proposer_requested_face_to_face=True)
    handle(proc, "jtj", method="phone")
    assert proc.open_summary() == [("record_face_to_face", "jtj")]
    proc.do("record_face_to_face", "jtj_handler", unit="jtj", f2f_date="2026-12-12",
            f2f_participants="刘代表、李局长", f2f_summary="当面听取意见")
    assert [(r.stage, r.method, r.held_on, r.participants) for r in records(proc)] == [
        ("before", "phone", date(2026, 11, 24), "刘代表"),
        ("during", "phone", date(2026, 12, 10), ""),
        ("face_to_face", "face_to_face", date(2026, 12, 12), "刘代表、李局长")]
