"""The platform connector (service_tasks/platform.py): one accepted upload per job however often the
platform fails first, the token and the idempotency key on every attempt; the outbox without an
endpoint."""
import base64
import dataclasses
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from tests.support.bpmn import linear
from tests.support.helpers import deploy, instance_data, open_tasks, refresh_user
from webapp.engine import Engine
from webapp.engine.forms import UploadedFile
from webapp.models import Incident, Job


class Platform:
    """A local HTTP server standing in for a platform: answers 503 `failures` times, then 200."""

    def __init__(self, failures: int):
        self.failures = failures
        self.requests: list[dict] = []
        self.accepted: list[dict] = []
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                platform.requests.append({"headers": dict(self.headers), "path": self.path})
                if platform.failures > 0:
                    platform.failures -= 1
                    self._answer(503, {"error": "维护中"})
                    return
                platform.accepted.append({"headers": dict(self.headers), "body": json.loads(body)})
                self._answer(200, {"id": f"R-{len(platform.accepted)}"})

            def _answer(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/replies"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def platform():
    servers = []

    def start(failures=0):
        servers.append(Platform(failures))
        return servers[-1]
    yield start
    for s in servers:
        s.stop()


def upload_process():
    params = {"item_type": "${item_type}", "session": "十七届五次", "item_no": "123", "title": "关于改善城区公交线路的建议",
              "proposer_name": "刘代表", "unit": "U1", "unit_name": "${unit_name('U1')}", "unit_role": "single",
              "result_class": "A", "publication": "public", "delivered_on": "2026-12-20", "delivery_method": "platform",
              "scan": "${signed_scan}"}
    inputs = "".join(f'<camunda:inputParameter name="{k}">{v}</camunda:inputParameter>' for k, v in params.items())
    return linear(
        "upload",
        '<bpmn:userTask id="deliver" name="送达" camunda:assignee="clerk1"><bpmn:extensionElements><camunda:formData>'
        '<camunda:formField id="signed_scan" label="扫描件" type="file" /></camunda:formData></bpmn:extensionElements>'
        '</bpmn:userTask>',
        '<bpmn:serviceTask id="upload_to_platform" name="上传履职平台" camunda:type="external" '
        f'camunda:topic="platform_upload"><bpmn:extensionElements><camunda:inputOutput>{inputs}'
        '</camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>',
        '<bpmn:userTask id="after" name="后续" camunda:assignee="clerk1" />')


def deliver(engine, key, item_type="suggestion") -> int:
    deploy(engine, upload_process())
    iid = engine.runtime.start("upload", key, data={"item_type": item_type})
    scan = UploadedFile("答复函（签章）.pdf", "application/pdf", b"%PDF-1.4 signed")
    engine.tasks.complete(open_tasks(engine, iid)["deliver"].id, refresh_user(engine, "clerk1"), {"signed_scan": scan})
    return iid


@pytest.fixture
def with_platform(settings, tmp_path):
    engines = []

    def make(**changes):
        engines.append(Engine(dataclasses.replace(settings, platform_outbox_dir=tmp_path / "outbox" / "platform",
                                                  **changes)))
        return engines[-1]
    yield make
    for e in engines:
        e.db.dispose()


def test_a_platform_that_fails_twice_gets_exactly_one_upload(engine, people, platform, with_platform):
    server = platform(failures=2)
    eng = with_platform(platform_npc_url=server.url, platform_token="secret-token", job_max_attempts=3)
    iid = deliver(eng, "JY-123")
    assert eng.management.run_jobs() == 3  # two failures retried, then done
    assert len(server.requests) == 3 and len(server.accepted) == 1
    [accepted] = server.accepted
    headers, body = accepted["headers"], accepted["body"]
    assert headers["Authorization"] == "Bearer secret-token"
    keys = {r["headers"]["Idempotency-Key"] for r in server.requests}
    assert keys == {headers["Idempotency-Key"]} and headers["Idempotency-Key"].startswith("JY-123/U1/job-")
    assert body["platform"] == "npc" and body["business_key"] == "JY-123" and body["item_no"] == "123"
    assert body["unit"] == {"code": "U1", "name": "市测试局", "role": "single"}
    [scan] = body["files"]
    assert (scan["role"], scan["filename"]) == ("scan", "答复函（签章）.pdf")
    assert base64.b64decode(scan["content_base64"]) == b"%PDF-1.4 signed"
    result = instance_data(eng, iid)["platform_upload"]
    assert result["status"] == "uploaded" and result["receipt"] == {"http_status": 200, "id": "R-1"}
    with eng.db.read() as s:
        job = s.scalars(select(Job).where(Job.instance_id == iid)).one()
        assert (job.status, job.attempts) == ("done", 3)
    assert set(open_tasks(eng, iid)) == {"after"}
    assert eng.management.run_jobs() == 0 and len(server.accepted) == 1


def test_a_retry_after_an_accepted_upload_does_not_upload_again(engine, people, platform, with_platform):
    from service_tasks.platform import platform_upload
    from webapp.engine.management import JobContext
    server = platform()
    eng = with_platform(platform_npc_url=server.url)
    iid = deliver(eng, "JY-124")
    with eng.db.read() as s:
        job = s.scalars(select(Job).where(Job.instance_id == iid)).one()
        s.expunge(job)
    ctx = JobContext(eng.db, job, "JY-124", settings=eng.settings)
    first = platform_upload(ctx, **job.parameters)["platform_upload"]
    again = platform_upload(ctx, **job.parameters)["platform_upload"]  # e.g. the worker died before completing
    assert first["status"] == again["status"] == "uploaded" and again["repeated"] is True
    assert len(server.accepted) == 1


def test_a_platform_that_keeps_failing_becomes_an_incident(engine, people, platform, with_platform):
    server = platform(failures=10)
    eng = with_platform(platform_npc_url=server.url, job_max_attempts=2)
    iid = deliver(eng, "JY-125")
    eng.management.run_jobs()
    with eng.db.read() as s:
        [incident] = s.scalars(select(Incident).where(Incident.instance_id == iid)).all()
    assert "代表履职服务平台拒绝了上传：HTTP 503" in incident.message
    assert server.accepted == []


def test_without_an_endpoint_the_upload_goes_to_the_outbox(engine, people, platform, with_platform, tmp_path):
    server = platform()
    eng = with_platform(platform_npc_url=server.url)  # configured for suggestions only
    iid = deliver(eng, "TA-45", item_type="proposal")
    assert eng.management.run_jobs() == 1
    assert server.requests == []
    result = instance_data(eng, iid)["platform_upload"]
    assert result["status"] == "outbox" and result["platform_name"] == "智慧政协平台"
    [folder] = (tmp_path / "outbox" / "platform" / "cppcc").iterdir()
    assert str(folder) == result["path"] and folder.name.startswith("TA-45_U1_job-")
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    assert meta["title"] == "关于改善城区公交线路的建议" and meta["platform"] == "cppcc"
    assert meta["files"][0]["file"] == "1_scan_答复函（签章）.pdf" and "content_base64" not in meta["files"][0]
    assert (folder / "1_scan_答复函（签章）.pdf").read_bytes() == b"%PDF-1.4 signed"
    assert not list((tmp_path / "outbox" / "platform" / "cppcc").glob(".*"))  # no half-written folder left


def test_an_unreachable_platform_is_retried(engine, people, with_platform):
    eng = with_platform(platform_npc_url="http://127.0.0.1:9/none", platform_timeout=2, job_max_attempts=2)
    iid = deliver(eng, "JY-126")
    eng.management.run_jobs()
    with eng.db.read() as s:
        [incident] = s.scalars(select(Incident).where(Incident.instance_id == iid)).all()
    assert "无法连接代表履职服务平台" in incident.message
