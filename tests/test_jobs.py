"""Service jobs: retries with backoff, incidents, retry / skip by an administrator, leases, and
notices that are created exactly once however often a job ran."""
import dataclasses
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from tests.support import topics
from tests.support.bpmn import linear
from tests.support.helpers import add_user, audit, deploy, instance_data, open_tasks, refresh_user
from webapp.engine import Engine
from webapp.engine.errors import EngineError
from webapp.engine.management import Management
from webapp.models import Incident, Job, Notification

T0 = datetime(2026, 6, 1, 0, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def no_failures():
    topics.FAILURES["remaining"] = 0
    topics.CALLS.clear()
    yield
    topics.FAILURES["remaining"] = 0


def job_of(engine, iid) -> Job:
    with engine.db.read() as s:
        return s.scalars(select(Job).where(Job.instance_id == iid).order_by(Job.id.desc())).first()


def incidents(engine, iid) -> list[Incident]:
    with engine.db.read() as s:
        return list(s.scalars(select(Incident).where(Incident.instance_id == iid).order_by(Incident.id)))


def notices(engine) -> list[tuple[int, str]]:
    with engine.db.read() as s:
        return sorted(s.execute(select(Notification.user_id, Notification.subject)).all())


def notify_process(topic="notify", group="clerk", process_id="notice"):
    return linear(process_id, f'<bpmn:serviceTask id="send" name="发通知" camunda:type="external" camunda:topic="{topic}">'
                  '<bpmn:extensionElements><camunda:inputOutput>'
                  '<camunda:inputParameter name="subject">${\'请办理：\' + business_key}</camunda:inputParameter>'
                  f'<camunda:inputParameter name="group">{group}</camunda:inputParameter>'
                  '</camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>',
                  '<bpmn:userTask id="after" name="后续" camunda:assignee="clerk1" />')


@pytest.fixture
def failed_flaky(engine, people):
    """A flaky job that failed every attempt (3 in the test settings) and became an incident."""
    deploy(engine, "flaky.bpmn")
    iid = engine.runtime.start("flaky", "F-1")
    topics.FAILURES["remaining"] = 100
    engine.management.run_jobs()
    return iid


def test_a_failing_job_is_retried_then_becomes_an_incident(engine, people, failed_flaky):
    iid = failed_flaky
    assert topics.CALLS["test_flaky"] == 3  # backoff is 0 in the test settings: retried at once
    job = job_of(engine, iid)
    assert (job.status, job.attempts, job.max_attempts, job.locked_until) == ("incident", 3, 3, None)
    assert "RuntimeError: 模拟的外部服务故障" in job.last_error and "Traceback" in job.last_error
    [incident] = incidents(engine, iid)
    assert incident.status == "open" and incident.job_id == job.id
    assert incident.message == "调用外部服务（test_flaky）重试 3 次后仍失败：RuntimeError: 模拟的外部服务故障"
    failed = audit(engine, iid, "job_failed")
    assert [a.detail["attempt"] for a in failed] == [1, 2]
    assert all(a.detail["error"] == "RuntimeError: 模拟的外部服务故障" and a.element_id == "call_service"
               for a in failed)
    [recorded] = audit(engine, iid, "incident")
    assert recorded.detail == {"error": "RuntimeError: 模拟的外部服务故障", "attempts": 3}
    assert open_tasks(engine, iid) == {}  # the process waits at the service task
    with engine.db.read() as s:
        assert [i.id for i in engine.management.open_incidents(s)] == [incident.id]
    assert engine.management.run_jobs() == 0  # an incident is not picked up again by itself


def test_failures_back_off_exponentially(engine, settings, people):
    deploy(engine, "flaky.bpmn")
    slow = Engine(dataclasses.replace(settings, job_backoff_seconds=10))
    try:
        with time_machine.travel(T0, tick=False):
            iid = slow.runtime.start("flaky", "F-1")
            topics.FAILURES["remaining"] = 2
            assert slow.management.run_jobs() == 1
            job = job_of(slow, iid)
            assert (job.status, job.attempts, job.run_at) == ("pending", 1, T0 + timedelta(seconds=10))
            assert audit(slow, iid, "job_failed")[0].detail["retry_in_seconds"] == 10
        with time_machine.travel(T0 + timedelta(seconds=9), tick=False):
            assert slow.management.run_jobs() == 0  # not yet
        with time_machine.travel(T0 + timedelta(seconds=10), tick=False):
            assert slow.management.run_jobs() == 1
            assert job_of(slow, iid).run_at == T0 + timedelta(seconds=10 + 20)  # doubled
        with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
            assert slow.management.run_jobs() == 1
        job = job_of(slow, iid)
        assert (job.status, job.attempts) == ("done", 3)
        assert set(open_tasks(slow, iid)) == {"after"}
        assert instance_data(slow, iid)["flaky_label"] == "标签-F-1"
    finally:
        slow.db.dispose()


def test_retry_incident_runs_the_job_again_and_the_process_moves_on(engine, people, failed_flaky):
    iid = failed_flaky
    [incident] = incidents(engine, iid)
    topics.FAILURES["remaining"] = 0
    engine.management.retry_incident(incident.id, people["admin"])
    job = job_of(engine, iid)
    assert (job.status, job.attempts) == ("pending", 0)
    [incident] = incidents(engine, iid)
    assert (incident.status, incident.resolved_by_id) == ("retried", people["admin"].id)
    assert incident.resolved_at is not None
    [retried] = audit(engine, iid, "incident_retried")
    assert (retried.actor_id, retried.actor_name, retried.element_id) == (people["admin"].id, "系统管理员",
                                                                          "call_service")

    assert engine.management.run_jobs() == 1
    job = job_of(engine, iid)
    assert (job.status, job.attempts, job.result) == ("done", 1, {"flaky_label": "标签-F-1"})
    assert set(open_tasks(engine, iid)) == {"after"}
    assert instance_data(engine, iid)["flaky_label"] == "标签-F-1"
    with engine.db.read() as s:
        assert engine.management.open_incidents(s) == []
    with pytest.raises(EngineError, match="该故障已处理"):
        engine.management.retry_incident(incident.id, people["admin"])


def test_a_retried_job_that_fails_again_becomes_a_new_incident(engine, people, failed_flaky):
    [first] = incidents(engine, failed_flaky)
    engine.management.retry_incident(first.id, people["admin"])
    engine.management.run_jobs()  # still failing
    assert [i.status for i in incidents(engine, failed_flaky)] == ["retried", "open"]
    assert job_of(engine, failed_flaky).attempts == 3


def test_skip_incident_moves_on_without_outputs(engine, people, failed_flaky):
    iid = failed_flaky
    [incident] = incidents(engine, iid)
    engine.management.skip_incident(incident.id, people["admin"])
    job = job_of(engine, iid)
    assert (job.status, job.result) == ("skipped", {})
    assert incidents(engine, iid)[0].status == "skipped"
    assert set(open_tasks(engine, iid)) == {"after"}
    assert "flaky_label" not in instance_data(engine, iid)
    [skipped] = audit(engine, iid, "incident_skipped")
    assert (skipped.actor_id, skipped.element_id) == (people["admin"].id, "call_service")
    assert engine.management.run_jobs() == 0
    with pytest.raises(EngineError, match="该故障已处理"):
        engine.management.skip_incident(incident.id, people["admin"])


def test_unknown_incident(engine, people):
    from webapp.engine.errors import NotFound
    with pytest.raises(NotFound, match="故障 999 不存在"):
        engine.management.retry_incident(999, people["admin"])


# --- notices happen once ---------------------------------------------------------------------------

def test_a_job_retried_after_failing_creates_its_notices_once(engine, people):
    deploy(engine, notify_process(topic="test_notify_flaky"))
    iid = engine.runtime.start("notice", "N-1")
    topics.FAILURES["remaining"] = 2  # queues the notices, then fails; twice
    assert engine.management.run_jobs() == 3
    assert topics.CALLS["test_notify_flaky"] == 3
    assert notices(engine) == [(people["clerk1"].id, "请办理：N-1"), (people["clerk2"].id, "请办理：N-1")]
    assert set(open_tasks(engine, iid)) == {"after"}


def test_notices_of_a_retried_incident_are_created_once(engine, people):
    deploy(engine, notify_process(topic="test_notify_flaky"))
    iid = engine.runtime.start("notice", "N-1")
    topics.FAILURES["remaining"] = 3
    engine.management.run_jobs()
    assert notices(engine) == []  # three attempts queued notices; none was kept
    [incident] = incidents(engine, iid)
    engine.management.retry_incident(incident.id, people["admin"])
    assert engine.management.run_jobs() == 1
    assert notices(engine) == [(people["clerk1"].id, "请办理：N-1"), (people["clerk2"].id, "请办理：N-1")]
    assert engine.management.run_jobs() == 0
    assert len(notices(engine)) == 2


def test_notify_without_recipients_becomes_an_incident_then_succeeds_once_fixed(engine, people):
    deploy(engine, notify_process(group="auditor"))
    iid = engine.runtime.start("notice", "N-1")
    engine.management.run_jobs()
    [incident] = incidents(engine, iid)
    assert "通知没有接收人" in incident.message
    add_user(engine, "auditor1", "周审计", role="auditor")
    engine.management.retry_incident(incident.id, people["admin"])
    engine.management.run_jobs()
    auditor = refresh_user(engine, "auditor1")
    assert notices(engine) == [(auditor.id, "请办理：N-1")]
    assert instance_data(engine, iid)["notified_count"] == 1


def test_a_job_whose_worker_died_is_taken_over_after_its_lease(engine, settings, people):
    """Worker A claims the job and dies; after the lease worker B runs it; A's late result is dropped."""
    deploy(engine, notify_process(topic="test_notify_flaky"))
    with time_machine.travel(T0, tick=False):
        iid = engine.runtime.start("notice", "N-1")
    a = Management(engine.db, engine.runtime, dataclasses.replace(settings, job_lease_seconds=60))
    b = Management(engine.db, engine.runtime, settings)
    a.worker_id, b.worker_id = "host:a", "host:b"
    with time_machine.travel(T0, tick=False):
        claimed = a._claim_job()
        assert claimed is not None and job_of(engine, iid).locked_by == "host:a"
        assert b.run_jobs() == 0  # leased to A
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        assert b.run_jobs() == 1
        a._execute(claimed)  # A wakes up and reports; the job is B's now
    job = job_of(engine, iid)
    assert (job.status, job.locked_by, job.attempts) == ("done", "host:b", 2)
    assert notices(engine) == [(people["clerk1"].id, "请办理：N-1"), (people["clerk2"].id, "请办理：N-1")]
    assert len(audit(engine, iid, "job_done")) == 1
    assert set(open_tasks(engine, iid)) == {"after"}


def test_a_job_of_a_suspended_instance_waits(engine, people):
    from sqlalchemy import update
    from webapp.models import Instance
    deploy(engine, "flaky.bpmn")
    iid = engine.runtime.start("flaky", "F-1")
    with engine.db.write() as s:
        s.execute(update(Instance).where(Instance.id == iid).values(status="suspended"))
    assert engine.management.run_jobs() == 0
    with engine.db.write() as s:
        s.execute(update(Instance).where(Instance.id == iid).values(status="running"))
    assert engine.management.run_jobs() == 1
    with engine.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Job).where(Job.status == "done")) == 1
