"""Who may use every page and action (issue 6): one table of expectations over the whole `app.url_map`.

A small city is built once for the module (tests/procedure/driver.py: the office, the reviewers, a
vice-mayor, deputies and four handling units with every role, plus a process owner and an administrator)
with real objects: item A1 of 市交通运输局 (jtj) carried to its delivered reply (a generated letter, a
signed scan, the reply text kept as a long text, the evaluations open; 刘代表 leads it, 陈代表
co-signs), item A2 of jtj in
handling (its 答复拟稿 task open), item B of 市住房和城乡建设局 (zjj), an import job and API tokens.

For every rule and method of the url_map the table names who gets through and who must be refused;
every rule is requested as an anonymous visitor (→ /login, or 401 for the API), as each refused user
(→ 403, or 404, with a Chinese message; a refused POST changes nothing in the database) and as each
allowed user (not refused). A route without an entry fails `test_every_route_has_an_expectation`.
SQLite only: this is about the web layer's checks, not the database.
"""
import hashlib
import io
import re
import shutil
from dataclasses import dataclass, field
from typing import Callable

import pytest
from sqlalchemy import select

from tests.conftest import secret_hash
from tests.procedure import driver
from tests.procedure.driver import Procedure
from webapp import create_app
from webapp.config import Settings
from webapp.db import upgrade_schema
from webapp.engine import Engine
from webapp.items import api as items_api
from webapp.items import batch, register_item
from webapp.models import Base, ConsultationRecord, DeadlineRule, HumanTask, Role, RoleAssignment, StoredFile, TextBlob, User

CHINESE = re.compile(r"[\u4e00-\u9fff]")


# --- the city ------------------------------------------------------------------------------------------------

def item_form(**changes) -> dict:
    sent = dict(item_type="suggestion", session="十七届五次", timing="session", item_no="123", received_on="2026-11-20",
                source="manual", title="关于改善城区公交线路的建议", body="一、现状\n公交线路覆盖不足。\n二、建议\n增开班次。",
                category="交通运输", subcategory="", suggested_units="", proposer_type="individual", proposer="deputy",
                proposer_name="", co_signers=[], co_signer_names="", contact="13812345678", key_source="none",
                key_leader="", publication_consent="on")
    sent.update(changes)
    return sent


@dataclass
class City:
    app: object
    engine: Engine
    ids: dict = field(default_factory=dict)
    clients: dict = field(default_factory=dict)

    def client(self, username):
        """A logged-in test client per user (kept for the module: scrypt is slow); None: anonymous."""
        if username == "anonymous":
            return self.app.test_client()
        if username not in self.clients:
            client = self.app.test_client()
            response = client.post("/login", data={"username": username, "password": "secret"})
            assert response.status_code == 302, response.get_data(as_text=True)
            self.clients[username] = client
        return self.clients[username]


@pytest.fixture(scope="module")
def city(tmp_path_factory, sqlite_template):
    tmp = tmp_path_factory.mktemp("authorisation")
    shutil.copyfile(sqlite_template, tmp / "city.db")
    settings = Settings(database_url=f"sqlite:///{tmp / 'city.db'}", secret_key="test-secret", job_backoff_seconds=0,
                        job_max_attempts=3, service_task_modules=["tests.support.topics"], platform_npc_url="",
                        platform_cppcc_url="", platform_outbox_dir=tmp / "platform_outbox",
                        preview_dir=tmp / "previews", smtp_host="", outbox_dir=tmp / "outbox",
                        inline_text_limit=40)  # the reply body is kept as a long text (/texts/<id>)
    engine = Engine(settings)
    upgrade_schema(engine.db)
    proc = Procedure(engine)
    with engine.db.write() as s:
        s.add(Role(code="process_owner", name="流程管理员"))
        owner = User(username="owner", display_name="流程管理员甲", password_hash=secret_hash())
        admin = User(username="admin", display_name="系统管理员", password_hash=secret_hash(), is_admin=True)
        s.add_all([owner, admin])
        s.flush()
        s.add(RoleAssignment(user_id=owner.id, role_code="process_owner"))
    office = proc.user("office")

    a1 = register_item(engine, item_form(proposer_type="joint", co_signers=["cosigner"]), office)
    proc.instance_id = a1.instance_id
    proc.work()
    driver.register(proc, lead="jtj")
    driver.accept(proc, "jtj")
    driver.to_reply(proc, "jtj")
    evaluation, cosigner_evaluation = (
        next(t for t in proc.open_tasks() if t.element_id == "evaluate_reply" and who in proc.claimants_of(t))
        for who in ("deputy", "cosigner"))

    a2 = register_item(engine, item_form(item_no="124", title="关于增设公交候车亭的建议"), office)
    proc.instance_id = a2.instance_id
    proc.work()
    driver.register(proc, lead="jtj")
    driver.accept(proc, "jtj")
    driver.dispatch(proc, "jtj")
    driver.consult(proc, "jtj")
    driver.handle(proc, "jtj")
    draft = proc.task("draft_reply", "jtj")  # it declares the reply letter's preview

    b = register_item(engine, item_form(item_no="125", title="关于老旧小区加装电梯的建议", category="城乡建设",
                                        proposer="member"), office)
    proc.instance_id = b.instance_id
    proc.work()
    driver.register(proc, lead="zjj", category="城乡建设")
    driver.accept(proc, "zjj")
    driver.dispatch(proc, "zjj")

    npc_token = items_api.create_token(engine, "代表履职服务平台", "npc_platform")[1]
    revoked_token, revoked_secret = items_api.create_token(engine, "旧令牌", "cppcc_platform")
    items_api.revoke_token(engine, revoked_token.id)
    import_id = batch.queue_import(engine, "第一批.xlsx", [], office)

    with engine.db.read() as s:
        files = {f.filename: f.id for f in s.scalars(select(StoredFile).where(StoredFile.instance_id == a1.instance_id))}
        text_id = s.scalar(select(TextBlob.id).where(TextBlob.instance_id == a1.instance_id))
        deadline = s.scalar(select(DeadlineRule.name).order_by(DeadlineRule.name))
        consultations = {i: s.scalar(select(ConsultationRecord.id).where(ConsultationRecord.instance_id == i)
                                     .order_by(ConsultationRecord.id)) for i in (a1.instance_id, a2.instance_id)}
    letter = next(i for n, i in files.items() if n.endswith(".docx"))
    scan = next(i for n, i in files.items() if n.endswith(".pdf"))
    assert text_id is not None, "the reply body should be kept as a long text"

    app = create_app(settings, engine)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    ids = dict(a1=a1.instance_id, a2=a2.instance_id, b=b.instance_id, item_a1=a1.id, evaluation=evaluation.id, cosigner_evaluation=cosigner_evaluation.id,
               draft=draft.id, letter=letter, scan=scan, text=text_id, import_id=import_id,
               npc_token=npc_token, revoked_token=revoked_secret, revoked_token_id=revoked_token.id,
               deadline=deadline, consultation_a1=consultations[a1.instance_id],
               consultation_a2=consultations[a2.instance_id])
    yield City(app, engine, ids)
    engine.db.dispose()


def fingerprint(engine) -> dict[str, str]:
    """A digest of every table's rows: a refused action must leave all of them as they were."""
    digests = {}
    with engine.db.read() as s:
        for table in Base.metadata.sorted_tables:
            rows = sorted(repr(tuple(r)) for r in s.execute(select(table)))
            digests[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digests


# --- the table of expectations --------------------------------------------------------------------------------

PUBLIC = "public"   # anyone, without logging in
API = "api"         # bearer tokens, no login (checked in test_api_tokens below)

# Who is who (see driver.PEOPLE): the right role in the wrong unit is the zjj / jyj counterpart of a jtj role.
ANY_LOGGED_IN = ("deputy", "jyj_head")
ADMIN = ("admin",)
NOT_ADMIN = ("office", "owner", "jtj_head", "deputy")
MODELERS = ("owner", "admin")
NOT_MODELERS = ("office", "jtj_head", "deputy")
OFFICE = ("office",)
NOT_OFFICE = ("jtj_liaison", "npc_reviewer", "vice_mayor", "deputy")
OVERSEERS = ("office", "npc_reviewer", "admin")           # 督办看板, 统计
NOT_OVERSEERS = ("jtj_head", "vice_mayor", "deputy")
# Item A1 (jtj, proposer 刘代表 "deputy"): who may see it, and who not (another unit with every role,
# an uninvolved unit, a deputy who is not its proposer).
SEE_A1 = ("office", "npc_reviewer", "deputy", "cosigner", "jtj_handler", "admin")
NOT_A1 = ("zjj_handler", "zjj_head", "jyj_head", "member")


@dataclass
class Case:
    params: Callable[[dict], dict] = lambda ids: {}
    allowed: tuple = ()   # must get through (any answer but a refusal or the login page)
    denied: tuple = ()    # must be refused (403/404 with a Chinese message; a POST changes nothing)
    data: dict | None = None
    query: dict | None = None


def case(allowed=(), denied=(), params=None, **more) -> list[Case]:
    return [Case(params=params or (lambda ids: {}), allowed=allowed, denied=denied, **more)]


def a1(**more):
    return lambda ids: {"instance_id": ids["a1"], **more}


def a2(**more):
    return lambda ids: {"instance_id": ids["a2"], **more}


PROCESS = lambda ids: {"kind_path": "processes", "key": "item_handling"}  # noqa: E731

# (endpoint, method) -> PUBLIC, API, or the cases to request.
EXPECTATIONS: dict[tuple[str, str], object] = {
    # public
    ("auth.login", "GET"): PUBLIC,
    ("auth.login", "POST"): PUBLIC,
    ("health.healthz", "GET"): PUBLIC,
    ("static", "GET"): PUBLIC,
    ("vendor.asset", "GET"): PUBLIC,
    ("public.index", "GET"): PUBLIC,
    ("public.reply", "GET"): PUBLIC,
    ("api.openapi", "GET"): PUBLIC,
    ("api.docs", "GET"): PUBLIC,
    ("api.create_item", "POST"): API,
    ("api.show_item", "GET"): API,
    # any logged-in user (each sees only his own tasks, notices and the items he may see)
    ("inbox.index", "GET"): case(ANY_LOGGED_IN),
    ("notifications.index", "GET"): case(ANY_LOGGED_IN),
    ("items.index", "GET"): case(ANY_LOGGED_IN),
    ("instances.index", "GET"): case(ANY_LOGGED_IN),
    # the generic start form: an item's process cannot be started there (422, nothing started)
    ("instances.start", "POST"): case(ANY_LOGGED_IN, data={"process_key": "item_handling", "business_key": "X-1"})
    # the annual summary names its starters in its diagram (camunda:candidateStarterGroups="office")
    + case(OFFICE, ("deputy", "jtj_head", "npc_reviewer"),
           data={"process_key": "annual_summary", "business_key": "summary-2026", "title": "2026年度办理工作总结"}),
    ("auth.logout", "POST"): case(("vice_mayor",)),  # on a client of its own: it logs out
    # the office's intake
    ("items.new", "GET"): case(OFFICE, NOT_OFFICE + ("admin",)),
    ("items.create", "POST"): case(OFFICE, NOT_OFFICE, data={"title": ""}),
    ("item_import.index", "GET"): case(OFFICE, NOT_OFFICE),
    ("item_import.upload", "POST"): case(OFFICE, NOT_OFFICE),
    ("item_import.template", "GET"): case(OFFICE, NOT_OFFICE),
    ("item_import.show", "GET"): case(OFFICE, NOT_OFFICE, lambda ids: {"import_id": ids["import_id"]}),
    ("item_import.status", "GET"): case(OFFICE, NOT_OFFICE, lambda ids: {"import_id": ids["import_id"]}),
    ("item_import.restart", "POST"): case((), NOT_OFFICE, lambda ids: {"import_id": ids["import_id"]}),
    # overseeing: the board, spot checks, statistics, the ledger
    ("board.index", "GET"): case(OVERSEERS, NOT_OVERSEERS),
    ("board.record", "POST"): case(OFFICE, ("npc_reviewer", "jtj_head", "deputy"), a1()),
    ("statistics.index", "GET"): case(OVERSEERS, NOT_OVERSEERS),
    ("statistics.export", "GET"): case(OVERSEERS, NOT_OVERSEERS),
    ("statistics.refresh_now", "POST"): case(OFFICE, ("npc_reviewer", "jtj_head", "deputy")),
    ("exports.index", "GET"): case(("office", "npc_reviewer", "jtj_handler"), ("deputy", "vice_mayor")),
    ("exports.ledger", "GET"): case(("office", "npc_reviewer", "jtj_handler"), ("deputy", "vice_mayor"))
    + case(("jtj_handler",), query={"unit": "jtj"}) + case((), ("jtj_handler", "zjj_head"), query={"unit": "wjw"}),
    # one item: its page, diagram, files, texts and case file (A1), supervision on an item in handling (A2)
    ("instances.show", "GET"): case(SEE_A1, NOT_A1, a1())
    + case(("zjj_handler", "member"), ("jtj_handler", "jtj_head", "deputy"), lambda ids: {"instance_id": ids["b"]}),
    ("diagram.data", "GET"): case(SEE_A1, NOT_A1, a1()),
    ("attachments.download", "GET"): case(SEE_A1, NOT_A1, lambda ids: {"file_id": ids["letter"]})
    + case(("deputy",), NOT_A1, lambda ids: {"file_id": ids["scan"]}),
    ("attachments.preview", "GET"): case(SEE_A1, NOT_A1, lambda ids: {"file_id": ids["scan"]}),
    ("attachments.text", "GET"): case(SEE_A1, NOT_A1, lambda ids: {"text_id": ids["text"]}),
    ("exports.case_file_zip", "GET"): case(("office", "jtj_liaison", "admin"),
                                           ("zjj_liaison", "jyj_head", "deputy", "cosigner"), a1()),
    ("supervision.request_extension", "POST"): case(("jtj_liaison", "jtj_head"),
                                                    ("jtj_handler", "zjj_liaison", "zjj_head", "office", "deputy"), a2())
    + case(("zjj_liaison",), ("jtj_liaison", "jtj_head"), lambda ids: {"instance_id": ids["b"]}),
    ("supervision.urge", "POST"): case(OFFICE, ("jtj_head", "npc_reviewer", "deputy"), a2()),
    ("operations.run", "POST"): case(ADMIN, NOT_ADMIN, a2(operation="suspend"), data={"reason": ""}),
    # tasks: A2's 答复拟稿 of jtj (the unit's 经办人), A1's evaluation (its proposer)
    ("tasks.show", "GET"): case(("jtj_handler", "admin"), ("jtj_leader", "zjj_handler", "office", "deputy"),
                                lambda ids: {"task_id": ids["draft"]})
    + case(("deputy",), ("cosigner", "member", "jtj_handler"), lambda ids: {"task_id": ids["evaluation"]})
    + case(("cosigner",), ("deputy", "member"), lambda ids: {"task_id": ids["cosigner_evaluation"]}),
    ("tasks.submit", "POST"): case(("jtj_handler",), ("jtj_leader", "zjj_handler", "office", "deputy"),
                                   lambda ids: {"task_id": ids["draft"]}, data={"result_class": "Z"})
    + case(("deputy",), ("cosigner", "member"), lambda ids: {"task_id": ids["evaluation"]},
           data={"satisfaction": "nonsense"}),
    ("tasks.claim", "POST"): case((), ("jtj_leader", "zjj_handler", "office", "deputy"),
                                  lambda ids: {"task_id": ids["draft"]})
    + case((), ("cosigner", "member"), lambda ids: {"task_id": ids["evaluation"]}),
    ("tasks.unclaim", "POST"): case((), ("jtj_leader", "zjj_handler", "office", "deputy"),
                                    lambda ids: {"task_id": ids["draft"]}),
    # the reply letter's preview on a task (nothing stored): whoever may view the task
    ("letter_preview.html", "POST"): case(("jtj_handler", "admin"), ("jtj_leader", "zjj_handler", "office", "deputy"),
                                          lambda ids: {"task_id": ids["draft"]}),
    ("letter_preview.docx", "POST"): case(("jtj_handler",), ("jtj_leader", "zjj_handler", "office", "deputy"),
                                          lambda ids: {"task_id": ids["draft"]}),
    # a unit's consultation record: only the item's lead proposer confirms or disputes it
    ("consultations.confirm", "POST"): case(("deputy",), ("cosigner", "jtj_handler", "office", "admin"),
                                            lambda ids: {"record_id": ids["consultation_a2"]}),
    ("consultations.dispute", "POST"): case(("deputy",), ("cosigner", "jtj_handler", "zjj_handler", "office"),
                                            lambda ids: {"record_id": ids["consultation_a1"]}, data={"comment": ""}),
    # administrators
    ("admin.deadlines", "GET"): case(ADMIN, NOT_ADMIN),
    ("admin.deadline_change", "POST"): case(ADMIN, NOT_ADMIN, lambda ids: {"name": ids["deadline"]}, data={"value": ""}),
    ("admin.incidents", "GET"): case(ADMIN, NOT_ADMIN),
    ("admin.retry", "POST"): case(ADMIN, NOT_ADMIN, lambda ids: {"incident_id": 999999}),
    ("admin.skip", "POST"): case(ADMIN, NOT_ADMIN, lambda ids: {"incident_id": 999999}),
    ("admin_calendar.index", "GET"): case(ADMIN, NOT_ADMIN),
    ("admin_calendar.add_closure", "POST"): case(ADMIN, NOT_ADMIN),
    ("admin_calendar.set_day", "POST"): case(ADMIN, NOT_ADMIN),
    ("admin_calendar.remove_day", "POST"): case((), NOT_ADMIN, lambda ids: {"day": "2026-10-01"}),
    ("admin_calendar.import_year", "POST"): case(ADMIN, NOT_ADMIN),
    ("admin_calendar.remove_year", "POST"): case((), NOT_ADMIN, lambda ids: {"year": 2026}),
    ("admin_messages.outbox", "GET"): case(ADMIN, NOT_ADMIN),
    ("admin_messages.outbox_mail", "GET"): case(ADMIN, NOT_ADMIN, lambda ids: {"name": "missing.eml"}),
    ("admin_messages.outbox_raw", "GET"): case(ADMIN, NOT_ADMIN, lambda ids: {"name": "missing.eml"}),
    ("admin_messages.templates_index", "GET"): case(ADMIN, NOT_ADMIN),
    ("admin_messages.template_new", "GET"): case(ADMIN, NOT_ADMIN),
    ("admin_messages.template_create", "POST"): case(ADMIN, NOT_ADMIN),
    ("admin_messages.template_edit", "GET"): case(ADMIN, NOT_ADMIN, lambda ids: {"name": "assigned"}),
    ("admin_messages.template_save", "POST"): case(ADMIN, NOT_ADMIN, lambda ids: {"name": "assigned"},
                                                   data={"subject": ""}),
    ("admin_messages.template_preview", "POST"): case(ADMIN, NOT_ADMIN),
    ("admin_api_tokens.index", "GET"): case(ADMIN, NOT_ADMIN),
    ("admin_api_tokens.create", "POST"): case(ADMIN, NOT_ADMIN, data={"name": "", "source": ""}),
    ("admin_api_tokens.revoke", "POST"): case((), NOT_ADMIN, lambda ids: {"token_id": ids["revoked_token_id"]}),
    # process owners (and administrators): the modeler, versions and migration
    ("modeler.index", "GET"): case(MODELERS, NOT_MODELERS),
    ("modeler.templates", "GET"): case(MODELERS, NOT_MODELERS),
    ("modeler.process", "GET"): case(MODELERS, NOT_MODELERS, lambda ids: {"key": "item_handling"}),
    ("modeler.decision", "GET"): case(MODELERS, NOT_MODELERS, lambda ids: {"key": "face_to_face"}),
    ("modeler.evaluate", "POST"): case(MODELERS, NOT_MODELERS, lambda ids: {"key": "face_to_face"}),
    ("modeler.check", "POST"): case(MODELERS, NOT_MODELERS, PROCESS),
    ("modeler.save_draft", "POST"): case(MODELERS, NOT_MODELERS, PROCESS),
    ("modeler.discard_draft", "POST"): case((), NOT_MODELERS, PROCESS),
    ("modeler.deploy", "POST"): case(MODELERS, NOT_MODELERS, PROCESS),
    ("modeler.version_xml", "GET"): case(MODELERS, NOT_MODELERS,
                                         lambda ids: {"kind_path": "processes", "key": "item_handling", "version": 1}),
    ("versions.index", "GET"): case(MODELERS, NOT_MODELERS, lambda ids: {"key": "item_handling"}),
    ("versions.dry_run", "GET"): case(MODELERS, NOT_MODELERS, lambda ids: {"key": "item_handling"}),
    ("versions.migrate", "POST"): case(MODELERS, NOT_MODELERS, lambda ids: {"key": "item_handling"}),
}


def _cases():
    for (endpoint, method), expectation in EXPECTATIONS.items():
        if not isinstance(expectation, list):
            continue
        for n, c in enumerate(expectation):
            label = f"{endpoint} {method}" + (f" #{n + 1}" if len(expectation) > 1 else "")
            if n == 0:
                yield pytest.param(endpoint, method, c, "anonymous", "login", id=f"{label} anonymous")
            for user in c.denied:
                yield pytest.param(endpoint, method, c, user, "denied", id=f"{label} {user} denied")
            for user in c.allowed:
                yield pytest.param(endpoint, method, c, user, "allowed", id=f"{label} {user} allowed")


def _url(city, endpoint, c: Case) -> str:
    with city.app.test_request_context():
        from flask import url_for
        return url_for(endpoint, **c.params(city.ids), **(c.query or {}))


def _request(client, method, url, data):
    if method == "GET":
        return client.get(url)
    return client.post(url, data=data if data is not None else {})


# --- the tests ------------------------------------------------------------------------------------------------

def test_every_route_has_an_expectation(city):
    routes = {(rule.endpoint, method) for rule in city.app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    missing = sorted(routes - EXPECTATIONS.keys())
    assert not missing, "\n".join(f"route {e} {m} has no authorisation expectation" for e, m in missing)
    stale = sorted(EXPECTATIONS.keys() - routes)
    assert not stale, f"expectations for routes that no longer exist: {stale}"


@pytest.mark.parametrize("endpoint, method, c, user, expect", list(_cases()))
def test_access(city, endpoint, method, c, user, expect):
    url = _url(city, endpoint, c)
    client = _fresh_login(city, user) if endpoint == "auth.logout" and user != "anonymous" else city.client(user)
    before = fingerprint(city.engine) if method == "POST" and expect != "allowed" else None
    response = _request(client, method, url, c.data)
    body = response.get_data().decode("utf-8", errors="replace")
    if expect == "login":
        assert response.status_code == 302 and "/login" in response.headers["Location"], \
            f"{method} {url} reached anonymously: {response.status_code}"
    elif expect == "denied":
        assert response.status_code in (403, 404), f"{user} was let in to {method} {url}: {response.status_code}"
        assert CHINESE.search(body), f"the refusal of {method} {url} has no Chinese message"
    elif endpoint == "auth.logout":
        assert response.status_code == 302 and client.get("/").status_code == 302, "still logged in"
    else:
        assert response.status_code not in (401, 403), f"{user} was refused {method} {url}: {body[:300]}"
        assert not (response.status_code == 302 and "/login" in response.headers.get("Location", "")), \
            f"{user} was sent to the login page by {method} {url}"
        assert response.status_code < 500, f"{method} {url} as {user}: {response.status_code} {body[:300]}"
    if before is not None:
        assert fingerprint(city.engine) == before, f"a refused {method} {url} as {user} changed the database"


def _fresh_login(city, username):
    client = city.app.test_client()
    assert client.post("/login", data={"username": username, "password": "secret"}).status_code == 302
    return client


@pytest.mark.parametrize("endpoint, params", [
    ("auth.login", {}), ("health.healthz", {}), ("static", {"filename": "css/app.css"}), ("public.index", {}),
    ("api.openapi", {}), ("api.docs", {}),
])
def test_public_pages_need_no_login(city, endpoint, params):
    with city.app.test_request_context():
        from flask import url_for
        url = url_for(endpoint, **params)
    assert city.app.test_client().get(url).status_code == 200


def test_vendor_assets_and_published_replies_need_no_login(city):
    from webapp.web import vendor
    client = city.app.test_client()
    package, paths = next(iter(vendor.ASSETS.items()))
    with city.app.test_request_context():
        url = vendor.vendor_url(package, paths[0])
    assert client.get(url).status_code == (200 if vendor.installed_version(package) else 404)
    # An unpublished reply (A1's evaluation is still open) is not found, for anyone.
    missing = client.get(f"/public/{city.ids['evaluation']}")
    assert missing.status_code == 404 and CHINESE.search(missing.get_data(as_text=True))
    wrong = client.post("/login", data={"username": "deputy", "password": "wrong"})
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.get_data(as_text=True)


def test_api_tokens(city):
    """The API answers 401 without a valid token, 403 for a revoked one and for another channel's item."""
    client = city.app.test_client()
    item = f"/api/v1/items/{city.ids['item_a1']}"
    for headers, status in (({}, 401), ({"Authorization": "Bearer wrong"}, 401),
                            ({"Authorization": f"Bearer {city.ids['revoked_token']}"}, 403),
                            ({"Authorization": f"Bearer {city.ids['npc_token']}"}, 403)):  # A1 came in by hand
        for response in (client.get(item, headers=headers),
                         client.post("/api/v1/items", data="{}", headers={**headers, "Content-Type": "application/json"})):
            if response.request.method == "POST" and status == 403 and "revoked" not in str(headers) \
                    and city.ids["npc_token"] in str(headers):
                continue  # a valid token may post (checked below with a bad body)
            assert response.status_code == status, (headers, response.get_json())
            assert CHINESE.search(response.get_json()["message"])
    before = fingerprint(city.engine)
    bad = client.post("/api/v1/items", data="{}", headers={"Authorization": f"Bearer {city.ids['npc_token']}",
                                                           "Content-Type": "application/json"})
    assert bad.status_code in (400, 422) and CHINESE.search(bad.get_json()["message"])
    # The valid token was used (its last use is recorded); nothing else changed.
    after = fingerprint(city.engine)
    assert {t for t in after if after[t] != before[t]} <= {"api_tokens", "api_submissions"}


@pytest.mark.parametrize("user, sees", [
    ("deputy", True), ("jtj_handler", True), ("office", True), ("npc_reviewer", True),
    ("cosigner", True), ("member", False), ("zjj_handler", False), ("jyj_head", False),
])
def test_lists_show_only_the_items_one_may_see(city, user, sees):
    """The lists, the inbox and the search never show another unit's or another deputy's item A1."""
    client = city.client(user)
    for page in ("/items", "/instances", "/items?q=公交线路", "/instances?q=公交线路"):
        body = client.get(page).get_data(as_text=True)
        assert ("关于改善城区公交线路的建议" in body) is sees, f"{page} as {user}"
        assert "13812345678" not in body, f"{page} shows A1's contact details to {user}"


@pytest.mark.parametrize("user, entitled", [
    ("deputy", True), ("jtj_handler", True), ("office", True), ("npc_reviewer", True), ("admin", True),
    ("cosigner", False),  # a co-signing deputy sees the item, not the lead proposer's contact details
])
def test_contact_details_only_for_those_entitled(city, user, entitled):
    body = city.client(user).get(f"/instances/{city.ids['a1']}").get_data(as_text=True)
    assert ("13812345678" in body) is entitled, user


def test_the_start_form_offers_only_the_processes_one_may_start(city):
    """The annual summary is the office's: the start form does not offer it to a deputy or a unit."""
    for user, offered in (("office", True), ("admin", True), ("deputy", False), ("jtj_head", False)):
        body = city.client(user).get("/instances").get_data(as_text=True)
        assert ('value="annual_summary"' in body) is offered, user


def test_the_diagram_names_the_starters(city):
    repository = city.engine.repository
    with city.engine.db.read() as s:
        deployment_id = repository.latest_deployment_id(s)
    assert repository.specs.starters(deployment_id, "annual_summary") == (frozenset({"office"}), frozenset())
    assert repository.specs.starters(deployment_id, "item_handling") is None  # anyone (it is started elsewhere)
    office, deputy = (_user(city, name) for name in ("office", "deputy"))
    assert repository.may_start(deployment_id, "annual_summary", office)
    assert not repository.may_start(deployment_id, "annual_summary", deputy)


def _user(city, username):
    from sqlalchemy.orm import selectinload
    with city.engine.db.read() as s:
        return s.scalars(select(User).options(selectinload(User.roles)).where(User.username == username)).one()
