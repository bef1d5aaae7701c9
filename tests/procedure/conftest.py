import pytest

from tests.procedure.driver import Procedure


@pytest.fixture
def proc(engine):
    """The product's diagrams deployed, with a small city of people (see driver.py)."""
    return Procedure(engine)
