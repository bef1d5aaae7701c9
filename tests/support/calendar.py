"""Shared by the work-calendar tests: a year nobody has entered, and a schedule for it."""
import pytest

from webapp.clock import PACKAGE, Clock
from webapp.db import Database

# A schedule for 2027 as an administrator would type it in. Not the official 2027 notice: New Year's
# Day (1/1, a Friday) is a statutory holiday every year; the rest is made up for the tests.
SCHEDULE_2027 = """\
# 2027 年节假日安排（测试用）
2027-01-01 休 元旦
2027-02-06..2027-02-12 休 春节
2027-02-20 班 春节调休上班
"""


@pytest.fixture
def package_until_2026(monkeypatch):
    """chinesecalendar 1.11 carries data up to 2026; should a newer release cover 2027, pretend it
    does not, so that 2027 stays a year nobody has entered and the dates written in the tests hold."""
    if PACKAGE.last_year > 2026:
        monkeypatch.setattr(PACKAGE, "last_year", 2026)


@pytest.fixture
def other_process(engine):
    """The clock as another process (the web app next to the worker) sees the same database."""
    db = Database(engine.db.url)
    yield Clock(db)
    db.dispose()
