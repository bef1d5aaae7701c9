"""Management service: fire due timers, run service-task jobs, and handle incidents.

The worker polls only the `timers` and `jobs` tables for rows that are due; an instance is loaded only
when one of its rows is. A timer fires inside one transaction together with the engine steps and
the saved state, so it fires exactly once however many workers run. A job is claimed with a lease
(`locked_until`); a worker that dies mid-job leaves the lease to expire and another picks it up.
On PostgreSQL rows are claimed with `FOR UPDATE SKIP LOCKED`.
"""
import hashlib
import logging
import os
import socket
import time as _time
import traceback
from datetime import timedelta
from uuid import UUID

from sqlalchemy import and_, or_, select, update
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from service_tasks import TOPICS

from ..models import (Incident, Instance, Job, Notification, RoleAssignment, SideEffect, StoredFile, Timer, Unit, User,
                      utcnow)
from . import history
from .errors import ConcurrentUpdate, EngineError, InstanceNotRunning, NotFound
from .runtime import timer_due

log = logging.getLogger(__name__)


class JobContext:
    """What a service-task function may use. Database writes are collected and saved with the job."""

    def __init__(self, db, job: Job, business_key: str, settings=None):
        self.db = db
        self.job_id = job.id
        self.instance_id = job.instance_id
        self.element_id, self.element_name = job.element_id, job.name
        self.business_key = business_key
        self.settings = settings
        self.pending: list = []
        self._files: list[tuple[StoredFile, dict]] = []
        self._writes: list = []

    def resolve_users(self, users=None, group=None, unit=None) -> list[int]:
        with self.db.read() as session:
            ids = set()
            names = _names(users)
            if names:
                ids.update(session.scalars(select(User.id).where(User.username.in_(names), User.active)))
            groups, units = _names(group), _names(unit)
            if groups:  # roles and units may each be one name, a comma-separated list or a list
                query = select(RoleAssignment.user_id).where(RoleAssignment.role_code.in_(groups))
                if units:
                    query = query.join(Unit, Unit.id == RoleAssignment.unit_id).where(Unit.code.in_(units))
                ids.update(session.scalars(query))
            return sorted(ids)

    def users(self, ids: list[int]) -> list[User]:
        """The users with these ids (detached, in id order): names and e-mail addresses for messages."""
        with self.db.read() as session:
            return list(session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)))

    def add_notification(self, user_id: int, subject: str, body: str = ""):
        self.pending.append(Notification(user_id=user_id, instance_id=self.instance_id, subject=subject, body=body))

    def store_file(self, filename: str, content: bytes, content_type: str) -> dict:
        """Keep a file of the instance, saved in the transaction that completes the job (a failed or
        repeated run leaves no file behind). Returns {"file_id", "filename", "size"} for the result; the
        id is filled in when the job completes, before the output parameters are evaluated."""
        row = StoredFile(instance_id=self.instance_id, filename=filename, content_type=content_type,
                         size=len(content), sha256=hashlib.sha256(content).hexdigest(), content=content)
        ref = {"file_id": None, "filename": filename, "size": len(content)}
        self.pending.append(row)
        self._files.append((row, ref))
        return ref

    def in_transaction(self, write) -> None:
        """Have `write(session)` change business rows in the transaction that completes the job (after
        the instance lock is taken, so it sees the rows as they are then); a failed or repeated run
        changes nothing."""
        self._writes.append(write)

    def save(self, session) -> None:
        """Add what the job collected to the completing transaction; stored files get their ids."""
        session.add_all(self.pending)
        if self._files:
            session.flush()
            for row, ref in self._files:
                ref["file_id"] = row.id
        for write in self._writes:
            write(session)

    def once(self, key: str) -> bool:
        """True if the outside effect `key` has not yet happened for this job (call `done` right after it)."""
        with self.db.read() as session:
            return session.scalar(select(SideEffect.id).where(SideEffect.job_id == self.job_id,
                                                              SideEffect.key == key)) is None

    def done(self, key: str) -> None:
        with self.db.write() as session:
            session.add(SideEffect(job_id=self.job_id, key=key))


class Management:
    def __init__(self, db, runtime, settings):
        self.db = db
        self.runtime = runtime
        self.settings = settings
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        # FOR UPDATE OF jobs only: Job eagerly outer-joins its instance, and PostgreSQL refuses to
        # lock the nullable side of an outer join.
        self._job_lock = None if db.is_sqlite else {"of": Job}
        # Cheap callables each worker pass runs after timers and jobs, e.g. refreshing the statistics
        # snapshot when it is old (webapp/reports/snapshot.py); they never count as work done.
        self.periodic: list = []

    # --- timers ---

    def fire_due_timers(self, limit: int = 100) -> int:
        fired, busy = 0, set()
        for _ in range(limit):
            outcome = self._fire_one_timer(busy)
            if outcome is None:
                break
            fired += outcome
        return fired

    def _fire_one_timer(self, busy: set) -> int | None:
        """Fire the due timers of the instance with the most overdue one, if no other worker holds it.

        Returns how many timers fired (one audit record each), None when nothing is due.
        Locks are always taken instance first, then its rows, so two workers cannot deadlock.
        """
        now = utcnow()
        with self.db.write() as session:
            due = session.execute(select(Timer.id, Timer.instance_id).join(Instance, Instance.id == Timer.instance_id)
                                  .where(Timer.due_at <= now, Instance.status == "running",
                                         Timer.instance_id.not_in(busy))
                                  .order_by(Timer.due_at).limit(1)).first()
            if due is None:
                return None
            if not self.db.is_sqlite and session.execute(
                    select(Instance.id).where(Instance.id == due.instance_id)
                    .with_for_update(skip_locked=True)).first() is None:
                busy.add(due.instance_id)  # another worker is on this instance right now
                return 0
            unit = self.runtime.load(session, due.instance_id)
            timer = session.get(Timer, due.id)
            if timer is None:
                return 0  # fired by another worker before we got the lock
            guid = timer.task_guid
            rows = session.execute(select(Timer.task_guid, Timer.element_id, Timer.name, Timer.due_at)
                                   .where(Timer.instance_id == due.instance_id)).all()
            unit.workflow.refresh_timers()
            unit.do_engine_steps()
            # Every timer of the instance that was due fires in this step, not only the one we picked;
            # a timer the engine has not fired yet (its clock a hair behind ours) gets no record.
            fired = [r for r in rows if _has_fired(unit.workflow, r.task_guid, r.due_at, now)]
            for r in fired:
                history.record(session, due.instance_id, "timer_fired", None, r.element_id, r.name,
                               detail={"due_at": r.due_at.isoformat()})
            still_waiting = any(str(t.id) == guid for t in unit.workflow.event_manager.tasks.values())
            unit.save()
            if still_waiting:  # the engine's clock is a hair behind ours: look again shortly
                session.execute(update(Timer).where(Timer.task_guid == guid, Timer.due_at <= now)
                                .values(due_at=now + timedelta(seconds=1)))
            return len(fired)

    # --- jobs ---

    def run_jobs(self, limit: int = 100) -> int:
        count = 0
        for _ in range(limit):
            job = self._claim_job()
            if job is None:
                break
            self._execute(job)
            count += 1
        return count

    def _claim_job(self) -> Job | None:
        now = utcnow()
        with self.db.write() as session:
            runnable = or_(and_(Job.status == "pending", Job.run_at <= now),
                           and_(Job.status == "running", Job.locked_until < now))
            query = (select(Job).join(Instance, Instance.id == Job.instance_id)
                     .where(runnable, Instance.status == "running").order_by(Job.run_at).limit(1))
            if not self.db.is_sqlite:
                query = query.with_for_update(of=Job, skip_locked=True)
            job = session.scalars(query).first()
            if job is None:
                return None
            job.status, job.locked_by = "running", self.worker_id
            job.locked_until = now + timedelta(seconds=self.settings.job_lease_seconds)
            job.attempts += 1
            session.flush()
            session.expunge(job)
            return job

    def _execute(self, job: Job) -> None:
        topic = TOPICS.get(job.topic)
        ctx = JobContext(self.db, job, job.instance.business_key, settings=self.settings)
        try:
            if topic is None:
                raise EngineError(f"未知的服务主题“{job.topic}”")
            result = topic.function(ctx, **(job.parameters or {})) or {}
            if not isinstance(result, dict):
                raise EngineError(f"服务主题“{job.topic}”应返回字典，实际返回 {type(result).__name__}")
        except Exception as e:  # any failure of a topic becomes a retry, then an incident
            self._failed(job, f"{type(e).__name__}: {e}", traceback.format_exc())
            return
        try:
            self._complete_job(job, result, ctx)
        except (ConcurrentUpdate, InstanceNotRunning):
            # Saved by someone else meanwhile, or suspended or cancelled while the job ran: a suspended
            # instance's job runs again once it resumes (a cancelled one's job row is cancelled already).
            self._release(job)

    def _complete_job(self, job: Job, result: dict, ctx: JobContext) -> None:
        with self.db.write() as session:
            unit = self.runtime.load(session, job.instance_id)  # instance lock first, then the job row
            row = session.get(Job, job.id, with_for_update=self._job_lock)
            if row.status != "running" or row.locked_by != self.worker_id:
                return  # another worker took it over after our lease ran out; its outcome stands
            self._finish_job(session, unit, row, result, ctx, "done")

    def _finish_job(self, session, unit, row: Job, result: dict, ctx: JobContext | None, status: str,
                    actor=None) -> None:
        """Complete the job's service task with the result's outputs and run the engine on."""
        if ctx is not None:
            ctx.save(session)  # first: the ids of stored files are part of the result
        task = unit.ready_task(row.task_guid)
        if task is not None:
            if task.task_spec.extensions.output_parameters:
                unit.apply_output_parameters(task, extra=result)
            else:
                task.data.update(result)
            task.run()
            unit.do_engine_steps()
        row.status, row.result, row.finished_at, row.locked_until = status, result, utcnow(), None
        history.record(session, row.instance_id, "job_done" if status == "done" else "incident_skipped", actor,
                       row.element_id, row.name, detail={"topic": row.topic, "result": result})
        unit.save()

    def _failed(self, job: Job, message: str, trace: str) -> None:
        with self.db.write() as session:
            row = session.get(Job, job.id, with_for_update=self._job_lock)
            if row.locked_by != self.worker_id or row.status != "running":
                return
            row.last_error, row.locked_until = trace[-4000:], None
            if row.attempts >= row.max_attempts:
                row.status = "incident"
                session.add(Incident(job_id=row.id, instance_id=row.instance_id,
                                     message=f"{row.name}（{row.topic}）重试 {row.attempts} 次后仍失败：{message}"))
                history.record(session, row.instance_id, "incident", None, row.element_id, row.name,
                               detail={"error": message, "attempts": row.attempts})
            else:
                row.status = "pending"
                delay = self.settings.job_backoff_seconds * (2 ** (row.attempts - 1))
                row.run_at = utcnow() + timedelta(seconds=delay)
                history.record(session, row.instance_id, "job_failed", None, row.element_id, row.name,
                               detail={"error": message, "attempt": row.attempts, "retry_in_seconds": delay})

    def _release(self, job: Job) -> None:
        with self.db.write() as session:
            row = session.get(Job, job.id)
            if row.status == "running" and row.locked_by == self.worker_id:
                row.status, row.locked_until = "pending", None

    # --- incidents ---

    def open_incidents(self, session) -> list[Incident]:
        return list(session.scalars(select(Incident).where(Incident.status == "open").order_by(Incident.created_at)))

    def retry_incident(self, incident_id: int, user) -> None:
        with self.db.write() as session:
            incident = self._open_incident(session, incident_id)
            job = incident.job
            job.status, job.attempts, job.run_at, job.locked_by = "pending", 0, utcnow(), None
            incident.status, incident.resolved_at, incident.resolved_by_id = "retried", utcnow(), user.id
            history.record(session, incident.instance_id, "incident_retried", user, job.element_id, job.name)

    def skip_incident(self, incident_id: int, user) -> None:
        """Complete the failed service task without its outputs, so the process moves on."""
        with self.db.write() as session:
            incident = self._open_incident(session, incident_id)
            unit = self.runtime.load(session, incident.instance_id, actor=user)
            incident.status, incident.resolved_at, incident.resolved_by_id = "skipped", utcnow(), user.id
            self._finish_job(session, unit, incident.job, {}, None, "skipped", actor=user)

    @staticmethod
    def _open_incident(session, incident_id: int) -> Incident:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound(f"故障 {incident_id} 不存在")
        if incident.status != "open":
            raise EngineError("该故障已处理")
        return incident

    # --- the worker loop ---

    def run_once(self) -> int:
        busy = self.fire_due_timers() + self.run_jobs()
        self.run_periodic()
        return busy

    def run_periodic(self) -> None:
        for hook in self.periodic:
            try:
                hook()
            except Exception:  # a report that cannot be refreshed must not stop timers and jobs
                log.exception("periodic hook %r failed", hook)

    def work(self, stop=lambda: False, poll_seconds: float | None = None) -> None:
        poll = poll_seconds if poll_seconds is not None else self.settings.worker_poll_seconds
        log.info("worker %s started", self.worker_id)
        while not stop():
            try:
                busy = self.run_once()
            except Exception:  # keep polling: one bad instance must not stop every other
                log.exception("worker step failed")
                busy = 0
            if not busy:
                _time.sleep(poll)


def _has_fired(workflow, task_guid: str, was_due, now) -> bool:
    """A timer fired if its event completed, or — a repeating timer — it was due and moved on to its next time."""
    try:
        task = workflow.get_task_from_id(UUID(task_guid))
    except TaskNotFoundException:
        return False
    if task.state == TaskState.COMPLETED:
        return True
    if task.state == TaskState.WAITING and was_due <= now:
        next_due = timer_due(task)  # None once the last repetition has fired
        return next_due is None or next_due > was_due
    return False


def _names(value) -> list[str]:
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else value
    return [str(v).strip() for v in items if v and str(v).strip()]
