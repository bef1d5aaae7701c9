"""Real worker processes killed with SIGKILL mid-way: every timer still fires exactly once and every
instance completes (one worker restarted, then two side by side)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.support.helpers import deploy
from webapp.models import AuditEvent, Instance, Job, Timer

ROOT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).parent / "flask"
INSTANCES = 20


class Workers:
    """`flask --app webapp worker` subprocesses on the test's database, their output kept in files."""

    def __init__(self, database_url: str, log_dir: Path):
        self.env = {**os.environ, "DATABASE_URL": database_url, "SERVICE_TASK_MODULES": "tests.support.topics",
                    "JOB_LEASE_SECONDS": "2", "WORKER_POLL_SECONDS": "0.2", "JOB_BACKOFF_SECONDS": "0",
                    "SECRET_KEY": "test-secret", "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        log = open(self.log_dir / f"worker-{len(self.procs) + 1}.log", "wb")
        proc = subprocess.Popen([str(FLASK), "--app", "webapp", "worker"], cwd=ROOT, env=self.env,
                                stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.procs.append(proc)
        return proc

    @staticmethod
    def kill(proc):
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def stop_all(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted(self.log_dir.glob("worker-*.log")))


def wait_for(predicate, timeout: float, what: str, workers: Workers):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        for proc in workers.procs:
            if proc.poll() not in (None, -signal.SIGKILL, 0):
                pytest.fail(f"a worker exited with {proc.returncode} while waiting for {what}\n{workers.logs()}")
        time.sleep(0.03)
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{workers.logs()}")


def test_killed_workers_fire_every_timer_exactly_once(engine, settings, tmp_path):
    deploy(engine, "worker_kill.bpmn")
    ids = [engine.runtime.start("worker_kill", f"K-{i:02d}") for i in range(INSTANCES)]
    with engine.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Timer)) == INSTANCES
        last_due = s.scalar(select(func.max(Timer.due_at)))

    def count(model, *where):
        with engine.db.read() as s:
            return s.scalar(select(func.count()).select_from(model).where(*where))

    fired = lambda: count(AuditEvent, AuditEvent.action == "timer_fired")  # noqa: E731
    done = lambda: count(Job, Job.status == "done")  # noqa: E731
    completed = lambda: count(Instance, Instance.status == "completed")  # noqa: E731

    while last_due.timestamp() >= time.time():  # PT1S: every timer is due before a worker starts
        time.sleep(0.05)
    workers = Workers(settings.database_url, tmp_path)
    try:
        # 1. killed while firing timers (or just after, if it was quicker than we could look)
        first = workers.start()
        wait_for(lambda: fired() >= 1, 60, "the first timer to fire", workers)
        workers.kill(first)
        after_first = fired()

        # 2. killed in the middle of one of its slow jobs, some jobs done (if the job happens to
        #    finish between our look and the kill, another worker is started and killed the same way)
        for _attempt in range(3):
            worker = workers.start()
            mine = (Job.status == "running", Job.locked_by.endswith(f":{worker.pid}"))
            wait_for(lambda: done() >= 3 and count(Job, *mine) >= 1, 60, "a job of the worker running", workers)
            workers.kill(worker)
            if count(Job, *mine) >= 1:
                break
        assert count(Job, *mine) >= 1, "a worker should have been killed in the middle of a job"
        assert completed() < INSTANCES, "the worker should have been killed mid-way"

        # 3. two workers side by side finish the rest, the interrupted job once its lease ran out
        workers.start()
        workers.start()
        wait_for(lambda: completed() == INSTANCES, 90, "every instance to complete", workers)
    finally:
        workers.stop_all()
    log = workers.logs()
    assert all(p.returncode in (-signal.SIGKILL, 0) for p in workers.procs), log
    assert "Traceback" not in log, log

    with engine.db.read() as s:
        per_instance = dict(s.execute(select(AuditEvent.instance_id, func.count())
                                      .where(AuditEvent.action == "timer_fired")
                                      .group_by(AuditEvent.instance_id)).all())
        jobs_done = dict(s.execute(select(AuditEvent.instance_id, func.count())
                                   .where(AuditEvent.action == "job_done").group_by(AuditEvent.instance_id)).all())
        statuses = dict(s.execute(select(Instance.id, Instance.status)).all())
        jobs = s.scalars(select(Job)).all()
        timers_left = s.scalar(select(func.count()).select_from(Timer))
    assert per_instance == {i: 1 for i in ids}, "every timer fires exactly once"
    assert jobs_done == {i: 1 for i in ids}, "every job completes exactly once"
    assert statuses == {i: "completed" for i in ids}
    assert sorted(j.status for j in jobs) == ["done"] * INSTANCES
    assert any(j.attempts >= 2 for j in jobs), "the interrupted job ran again after its lease"
    assert timers_left == 0
    assert 1 <= after_first <= INSTANCES
