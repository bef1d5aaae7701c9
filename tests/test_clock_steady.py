"""Clock.steady(): a block that computes many deadlines reads each rule and the calendar once."""
from sqlalchemy import event

from webapp.clock import current


def test_deadlines_in_a_steady_block_read_the_database_once(engine):
    statements = []
    event.listen(engine.db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    outside = engine.clock.deadline("handling", "2026-03-02")
    assert statements  # every deadline reads the rule (and whether the calendar changed)
    statements.clear()
    with engine.clock.steady():
        assert current() is engine.clock
        days = [engine.clock.deadline("handling", f"2026-03-{d:02d}") for d in range(2, 28)]
        reminders = [engine.clock.before("reminder_first", d.date) for d in days]
        first = len(statements)
        assert engine.clock.deadline("handling", "2026-03-02") == outside
    assert 0 < first == len(statements) <= 8  # two rules read once each, whatever the number of deadlines
    assert len({d.date for d in days}) > 1 and len(reminders) == len(days)
    statements.clear()
    engine.clock.deadline("handling", "2026-03-02")
    assert statements  # after the block, read fresh again
