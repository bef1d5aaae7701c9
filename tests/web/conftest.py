"""Web fixtures: the Flask app over the shared engine fixture, logged-in clients, a started approval."""
from pathlib import Path

import pytest

from tests.conftest import diagram
from webapp import create_app
from webapp.engine.validation import DefinitionSource
from webapp.models import HumanTask, Unit

WEB_DIAGRAMS = Path(__file__).parent / "diagrams"


def web_diagram(name: str) -> DefinitionSource:
    path = WEB_DIAGRAMS / name
    return DefinitionSource("bpmn", path.name, path.read_text(encoding="utf-8"))


@pytest.fixture
def deployed(engine):
    engine.repository.deploy([diagram("approval.bpmn"), web_diagram("all_fields.bpmn")])
    return engine


@pytest.fixture
def app(settings, deployed, people):
    app = create_app(settings, deployed)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    return app


@pytest.fixture
def login(app):
    """login('clerk1') -> a test client with that user logged in."""
    def _login(username, password="secret"):
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return _login


@pytest.fixture
def approval(deployed, people):
    """A started approval instance; returns (instance_id, id of its open `submit` task)."""
    instance_id = deployed.runtime.start("approval", "SP-2026-001", title="购置办公设备", actor=people["clerk1"])
    return instance_id, open_task_id(deployed, instance_id, "submit")


@pytest.fixture
def units(engine):
    with engine.db.write() as s:
        s.add_all([Unit(code="U2", name="市财政局"), Unit(code="U3", name="市教育局")])


def open_task_id(engine, instance_id, element_id):
    with engine.db.read() as s:
        return s.query(HumanTask.id).filter_by(instance_id=instance_id, element_id=element_id,
                                               status="open").scalar()



@pytest.fixture
def procedure(app, engine):
    """The product's diagrams (bpmn/ + dmn/) deployed under the web app, with the small city of
    tests/procedure/driver.py (the office, four handling units with every role; password "secret")."""
    from tests.procedure.driver import Procedure
    return Procedure(engine)


# --- real browser (tests/web/browser_support.py) ----------------------------------------------------------

@pytest.fixture
def live_server(app):
    """The `app` fixture served on 127.0.0.1 at a free port in a background thread; yields the base URL."""
    from tests.web.browser_support import serve
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (skips when Chromium or playwright is missing); each test
    opens its own context with browser.new_context() and closes it."""
    from tests.web.browser_support import launch
    with launch() as browser:
        yield browser
