"""The service topic `record_consultation` (登记协商记录, service_tasks/consultations.py) on both databases:
the record row, the lead proposer's notice and mail, and a retried job that writes and mails once."""
from datetime import date, datetime
from email import message_from_bytes, policy

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service_tasks import TOPICS
from service_tasks.consultations import _check, checked_values, write_record
from tests.procedure.driver import Procedure, accept, consult, dispatch, register
from webapp.clock import OFFICE_TZ
from webapp.engine.errors import ConcurrentUpdate
from webapp.engine.management import Management
from webapp.items import register_item
from webapp.models import ConsultationRecord, Job, Notification, User

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=OFFICE_TZ)


@pytest.fixture(autouse=True)
def clock():
    traveller = time_machine.travel(T0, tick=False)
    yield traveller.start()
    traveller.stop()


@pytest.fixture
def proc(engine):
    return Procedure(engine)


def registered(proc, item_no="123", proposer="deputy"):
    values = dict(item_type="suggestion", session="十七届五次", timing="session", item_no=item_no,
                  title="关于改善城区公交线路的建议", body="公交线路覆盖不足，建议增开班次。", category="交通运输",
                  proposer_type="individual", proposer=proposer, contact="13800000000", source="manual",
                  key_source="none", received_on="2026-11-20")
    item = register_item(proc.engine, values, proc.user("office"))
    proc.instance_id = item.instance_id
    proc.work()
    return item


def set_email(proc, username, address):
    with proc.engine.db.write() as s:
        s.scalars(select(User).where(User.username == username)).one().email = address


def records(proc) -> list[ConsultationRecord]:
    with proc.engine.db.read() as s:
        return list(s.scalars(select(ConsultationRecord).where(ConsultationRecord.instance_id == proc.instance_id)
                              .order_by(ConsultationRecord.id)))


def mails(settings) -> list:
    return [message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(settings.outbox_dir.glob("*.eml"))] if settings.outbox_dir.exists() else []


def to_consultation(proc, item_no="123"):
    item = registered(proc, item_no)
    register(proc)
    accept(proc, "jtj")
    dispatch(proc, "jtj")
    return item


def test_a_retried_job_writes_its_record_and_mails_once(proc, settings, monkeypatch):
    """The mail went out, then the job's transaction lost a race (the instance saved meanwhile): the
    job runs again, and the record and the mail stay single."""
    set_email(proc, "deputy", "liu@example.org")
    to_consultation(proc)
    complete = Management._complete_job
    calls = []

    def lose_the_first_race(self, job, result, ctx):
        calls.append(job.element_id)
        if job.element_id == "register_consult_before" and calls.count("register_consult_before") == 1:
            raise ConcurrentUpdate("saved by someone else meanwhile")
        return complete(self, job, result, ctx)

    monkeypatch.setattr(Management, "_complete_job", lose_the_first_race)
    consult(proc, "jtj")
    assert calls.count("register_consult_before") == 2  # released, then run again
    assert len(records(proc)) == 1
    assert len(mails(settings)) == 1
    assert proc.notices("deputy") == ["请确认协商记录：关于改善城区公交线路的建议"]
    assert proc.open_summary() == [("handle_item", "jtj")]


def test_the_record_is_keyed_by_the_job(proc):
    """Writing a job's record again finds the first; the database refuses a second row for the key."""
    item = to_consultation(proc)
    consult(proc, "jtj")
    [first] = records(proc)
    with proc.engine.db.read() as s:
        job = s.scalars(select(Job).where(Job.task_guid == first.job_key)).one()
    values = checked_values(unit="jtj", stage="before", method="phone", held_on="2026-11-24",
                            participants="刘代表", summary="再写一次")
    with proc.engine.db.write() as s:
        again = write_record(s, proc.instance_id, item.id, job.id, values)
        assert again.id == first.id
    assert [r.summary for r in records(proc)] == ["了解代表的意图和诉求"]
    with pytest.raises(IntegrityError):
        with proc.engine.db.write() as s:
            s.add(ConsultationRecord(item_id=item.id, instance_id=proc.instance_id, job_key=first.job_key,
                                     unit_code="jtj", stage="before", method="phone", held_on=date(2026, 11, 24),
                                     participants="", summary="重复", recorded_by="", status="pending",
                                     proposer_comment=""))
            s.flush()
    assert len(records(proc)) == 1


def test_a_diagram_run_without_an_item_records_nothing(proc):
    proc.start()  # the procedure without an item record (a test run of the diagram)
    register(proc)
    accept(proc, "jtj")
    dispatch(proc, "jtj")
    consult(proc, "jtj")
    assert records(proc) == []
    assert proc.open_summary() == [("handle_item", "jtj")]
    with proc.engine.db.read() as s:
        assert s.scalar(select(Notification.id).where(Notification.instance_id == proc.instance_id,
                                                      Notification.subject.like("请确认协商记录%"))) is None


def test_bad_parameters_are_refused_in_chinese():
    with pytest.raises(ValueError, match="协商阶段“later”应为"):
        checked_values(unit="jtj", stage="later", method="phone", held_on="2026-11-24", summary="x")
    with pytest.raises(ValueError, match="协商方式“fax”应为"):
        checked_values(unit="jtj", stage="before", method="fax", held_on="2026-11-24", summary="x")
    with pytest.raises(ValueError, match="协商日期“11/24”无效"):
        checked_values(unit="jtj", stage="before", method="phone", held_on="11/24", summary="x")
    with pytest.raises(ValueError, match="缺少协商情况"):
        checked_values(unit="jtj", stage="before", method="phone", held_on="2026-11-24", summary="  ")
    with pytest.raises(ValueError, match="参加人员不能超过 200 个字"):
        checked_values(unit="jtj", stage="before", method="phone", held_on="2026-11-24", summary="x",
                       participants="人" * 201)
    assert _check({"stage": "before", "method": "${consult_method}"}) == []
    assert _check({"stage": "later", "method": "fax"}) == ["协商阶段“later”应为 before、during、face_to_face、after 之一",
                                                           "协商方式“fax”应为 face_to_face、forum、visit、phone、video、online、written 之一"]
    topic = TOPICS["record_consultation"]
    assert topic.label == "登记协商记录"
    assert [p.name for p in topic.parameters if p.required] == ["unit", "stage", "method", "held_on", "summary"]
