"""Shared fixtures: a fresh database and engine per test, small test diagrams, demo people."""
import functools
import os
import shutil
from pathlib import Path

import pytest

from webapp.config import Settings
from webapp.db import Database, upgrade_schema
from webapp.engine import Engine
from webapp.engine.validation import DefinitionSource
from webapp.models import Role, RoleAssignment, Unit, User

DIAGRAMS = Path(__file__).parent / "diagrams"

try:  # browser assertions wait for the page; a busy 2-core CI machine needs more than the 5 s default
    from playwright.sync_api import expect as _expect
    _expect.set_options(timeout=20_000)
except ImportError:  # pragma: no cover - playwright is a test dependency
    pass


def diagram(name: str, kind: str | None = None) -> DefinitionSource:
    path = DIAGRAMS / name
    return DefinitionSource(kind or path.suffix.lstrip("."), path.name, path.read_text(encoding="utf-8"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Every engine test runs twice: on a new SQLite file and on the emptied test database of the
    throw-away PostgreSQL server."""
    if request.param == "sqlite":
        return sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
    return request.getfixturevalue("postgres_server").reset_database()


def sqlite_copy(template: Path, tmp_path: Path) -> str:
    """The URL of a fresh copy of the migrated SQLite template. Modules whose tests take minutes in a
    browser override `database_url` with it: the engine's PostgreSQL runs are the path tests'."""
    path = tmp_path / "test.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated, empty SQLite file, copied for each test (running the migrations each time is slow)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade_schema(db)
    db.dispose()  # the last connection closing folds the WAL back into the file
    return path


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    """A throw-away PostgreSQL server for the whole session (see tests/support/pgserver.py)."""
    from tests.support.pgserver import PostgresServer, PostgresUnavailable
    try:
        server = PostgresServer.start()
    except PostgresUnavailable as e:
        message = f"PostgreSQL tests cannot run: {e} (run: bash tests/setup_system.sh)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    yield server
    server.stop()


@pytest.fixture
def settings(database_url, tmp_path):
    return Settings(database_url=database_url, secret_key="test-secret", job_backoff_seconds=0,
                    job_max_attempts=3, service_task_modules=["tests.support.topics"],
                    platform_npc_url="", platform_cppcc_url="", platform_outbox_dir=tmp_path / "platform_outbox",
                    preview_dir=tmp_path / "previews",
                    smtp_host="", outbox_dir=tmp_path / "outbox")  # mails never leave a test by accident


@pytest.fixture
def engine(settings):
    eng = Engine(settings)
    upgrade_schema(eng.db)
    yield eng
    eng.db.dispose()


@functools.cache
def secret_hash() -> str:
    """The hash of the test password "secret", computed once (scrypt takes ~0.15 s a time)."""
    from werkzeug.security import generate_password_hash
    return generate_password_hash("secret")


@pytest.fixture
def people(engine):
    """clerk1 (role clerk), reviewer1 (role reviewer in unit U1), boss, admin; returns {username: User}."""
    with engine.db.write() as s:
        s.add_all([Role(code="clerk", name="经办人"), Role(code="reviewer", name="审核人")])
        unit = Unit(code="U1", name="市测试局")
        s.add(unit)
        s.flush()
        made = {}
        for username, name, admin in (("clerk1", "张经办", False), ("clerk2", "李经办", False),
                                      ("reviewer1", "王审核", False), ("boss", "赵领导", False),
                                      ("admin", "系统管理员", True)):
            u = User(username=username, display_name=name, is_admin=admin, password_hash=secret_hash())
            s.add(u)
            made[username] = u
        s.flush()
        s.add_all([RoleAssignment(user_id=made["clerk1"].id, role_code="clerk"),
                   RoleAssignment(user_id=made["clerk2"].id, role_code="clerk"),
                   RoleAssignment(user_id=made["reviewer1"].id, role_code="reviewer", unit_id=unit.id)])
    with engine.db.read() as s:
        return {u.username: u for u in s.query(User).all()}
