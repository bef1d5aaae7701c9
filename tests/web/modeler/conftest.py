"""The product's diagrams deployed under the web app, and a process owner to change them."""
import pytest

from tests.conftest import secret_hash
from webapp.models import Role, RoleAssignment, User


@pytest.fixture
def product(app, engine):
    """bpmn/ + dmn/ deployed, with the small city of tests/procedure/driver.py (password "secret")."""
    from tests.procedure.driver import Procedure
    return Procedure(engine)


@pytest.fixture
def owner(engine, product):
    """`owner`, holding the role process_owner (password "secret")."""
    with engine.db.write() as s:
        if s.get(Role, "process_owner") is None:
            s.add(Role(code="process_owner", name="流程管理员"))
        user = User(username="owner", display_name="周流程", password_hash=secret_hash())
        s.add(user)
        s.flush()
        s.add(RoleAssignment(user_id=user.id, role_code="process_owner"))
    return "owner"
