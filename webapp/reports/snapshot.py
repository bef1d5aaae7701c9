"""The statistics snapshot: every item's countable facts in two tables, refreshed now and then, so the
statistics page (and its Excel export) reads a few hundred small rows instead of deserializing every
instance on each request.

`refresh(engine_parts)` reads each main-process instance once (in batches, never all states at once),
reduces it with `statistics.item_record` (the annual report's own logic) and replaces the facts in
one short transaction. The worker calls `StatisticsRefresh` on each pass (`Management.periodic`): a
single cheap query unless the snapshot is older than `STATISTICS_REFRESH_MINUTES` (default 30); the
office's 刷新 button and `flask --app webapp statistics refresh` refresh at once. Two workers do not
compute together: the first takes a lease on the snapshot row (as jobs are leased).

`load_records` turns the facts back into item records for `statistics.summarize` and `unit_table`,
filtered by year and 届次 in SQL.
"""
import logging
import os
import time
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..clock import OFFICE_TZ
from ..models import Instance, StatisticsItemFact, StatisticsReplyFact, StatisticsSnapshot, utcnow
from .statistics import MAIN_PROCESS, SATISFIED, _rate, item_record, replies_of

log = logging.getLogger(__name__)

SNAPSHOT_ID = 1
REFRESH_MINUTES = float(os.environ.get("STATISTICS_REFRESH_MINUTES") or 30)
LEASE = timedelta(minutes=10)  # a worker that died while computing is replaced after this
BATCH = 50                     # instances deserialized per query


def snapshot_info(session) -> StatisticsSnapshot | None:
    """The snapshot's row (None before the first refresh)."""
    row = session.get(StatisticsSnapshot, SNAPSHOT_ID)
    return row if row is not None and row.computed_at is not None else None


def is_stale(session, max_age: timedelta, now: datetime | None = None) -> bool:
    now = now or utcnow()
    row = session.get(StatisticsSnapshot, SNAPSHOT_ID)
    if row is None or row.computed_at is None or row.computed_at <= now - max_age:
        return row is None or row.lease_until is None or row.lease_until <= now
    return False


def refresh(db, runtime, computed_by: str = "定时刷新", max_age: timedelta | None = None) -> bool:
    """Compute the facts of every item and replace the snapshot. With `max_age`, only when the
    snapshot is older than that and no other process is computing it. Returns whether it ran."""
    now = utcnow()
    if max_age is not None:
        with db.read() as session:
            if not is_stale(session, max_age, now):
                return False
        if not _take_lease(db, max_age, now):
            return False
    started = time.monotonic()
    try:
        items, replies = compute_facts(db, runtime)
    except Exception:
        if max_age is None:
            _release_lease(db)
        raise  # a periodic refresh keeps its lease: the next attempt waits until it runs out
    with db.write() as session:
        conn = session.connection()
        conn.execute(delete(StatisticsReplyFact.__table__))
        conn.execute(delete(StatisticsItemFact.__table__))
        if items:
            conn.execute(insert(StatisticsItemFact.__table__), items)
        if replies:
            conn.execute(insert(StatisticsReplyFact.__table__), replies)
        values = dict(computed_at=utcnow(), computed_by=computed_by, item_count=len(items), lease_until=None,
                      duration_ms=int((time.monotonic() - started) * 1000))
        row = session.get(StatisticsSnapshot, SNAPSHOT_ID)
        if row is None:
            session.add(StatisticsSnapshot(id=SNAPSHOT_ID, **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
    return True


def _take_lease(db, max_age: timedelta, now: datetime) -> bool:
    """Claim the computation (one short transaction); False when another process has it or did it."""
    with db.write() as session:
        query = select(StatisticsSnapshot).where(StatisticsSnapshot.id == SNAPSHOT_ID)
        if not db.is_sqlite:
            query = query.with_for_update()
        row = session.scalars(query).first()
        if row is None:
            session.add(StatisticsSnapshot(id=SNAPSHOT_ID, computed_by="", duration_ms=0, item_count=0,
                                           lease_until=now + LEASE))
            try:
                session.flush()
            except IntegrityError:  # another process inserted the row first: it computes
                session.rollback()
                return False
            return True
        if row.computed_at is not None and row.computed_at > now - max_age:
            return False
        if row.lease_until is not None and row.lease_until > now:
            return False
        row.lease_until = now + LEASE
        return True


def _release_lease(db):
    with db.write() as session:
        session.execute(update(StatisticsSnapshot).where(StatisticsSnapshot.id == SNAPSHOT_ID).values(lease_until=None))


def compute_facts(db, runtime) -> tuple[list[dict], list[dict]]:
    """The fact rows of every main-process instance (read only), deserializing each once."""
    from ..engine.runtime import INSTANCE_COLUMNS
    from .ledger import _running_scopes, _variables

    table = Instance.__table__
    with db.read() as session:
        ids = list(session.scalars(select(table.c.id).where(table.c.process_key == MAIN_PROCESS).order_by(table.c.id)))
    items, replies = [], []
    for start in range(0, len(ids), BATCH):
        with db.read() as session:
            rows = session.connection().execute(
                select(*INSTANCE_COLUMNS, table.c.started_at).where(table.c.id.in_(ids[start:start + BATCH]))
                .order_by(table.c.id)).all()
            for row in rows:
                workflow = runtime.unit_from_row(session, row, must_run=False).workflow
                data = _variables(workflow)
                registered = data.get("intake_decision") == "register"
                found = replies_of(data, _running_scopes(workflow, "unit_handling")) if registered else []
                record = item_record(data, found)
                items.append(dict(instance_id=row.id, year=_office_year(row.started_at),
                                  session=str(record["session"] or ""), item_type=str(record["item_type"] or ""),
                                  category=str(record["category"] or ""), intake_decision=record["intake_decision"],
                                  is_key=record["is_key"], handling_units=[u for u in record["handling_units"] if u],
                                  status=row.status))
                for reply, raw in zip(record["replies"], found):
                    replies.append(dict(instance_id=row.id, unit=str(reply["unit"] or ""),
                                        result_class=reply["result_class"], evaluations=reply["evaluations"],
                                        overdue=reply["overdue"], face_to_face=reply["face_to_face"],
                                        published=reply["published"], finished=bool(raw.get("finished"))))
            session.rollback()  # nothing was changed; never keep loaded workflows around
    return items, replies


def _office_year(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=OFFICE_TZ)
    return value.astimezone(OFFICE_TZ).year


class StatisticsRefresh:
    """The worker's periodic hook: refresh the snapshot when it is older than `max_age`."""

    def __init__(self, db, runtime, max_age: timedelta | None = None):
        self.db, self.runtime = db, runtime
        self.max_age = max_age or timedelta(minutes=REFRESH_MINUTES)

    def __call__(self) -> bool:
        return refresh(self.db, self.runtime, max_age=self.max_age)

    def __repr__(self):
        return f"StatisticsRefresh(max_age={self.max_age})"


# --- reading the snapshot ----------------------------------------------------------------------------

def load_records(session, year: int | None = None, item_session: str | None = None,
                 item_type: str | None = None) -> list[dict]:
    """Item records (as `statistics.item_record` makes them) from the snapshot, filtered in SQL."""
    conditions = []
    if year:
        conditions.append(StatisticsItemFact.year == year)
    if item_session:
        conditions.append(StatisticsItemFact.session == item_session)
    if item_type:
        conditions.append(StatisticsItemFact.item_type == item_type)
    facts = list(session.scalars(select(StatisticsItemFact).where(*conditions)
                                 .order_by(StatisticsItemFact.instance_id)))
    replies = defaultdict(list)
    if facts:
        for reply in session.scalars(
                select(StatisticsReplyFact)
                .join(StatisticsItemFact, StatisticsItemFact.instance_id == StatisticsReplyFact.instance_id)
                .where(*conditions).order_by(StatisticsReplyFact.id)):
            replies[reply.instance_id].append(reply)
    return [{
        "instance_id": f.instance_id, "year": f.year, "item_type": f.item_type, "session": f.session,
        "category": f.category, "intake_decision": f.intake_decision, "is_key": f.is_key,
        "handling_units": list(f.handling_units or []), "status": f.status,
        "replies": [{"unit": r.unit, "result_class": r.result_class, "evaluations": list(r.evaluations or []),
                     "overdue": r.overdue, "face_to_face": r.face_to_face, "published": r.published,
                     "finished": r.finished} for r in replies.get(f.instance_id, [])],
    } for f in facts]


def years_and_sessions(session) -> tuple[list[int], list[str]]:
    """The years and 届次 the snapshot has items of (newest first), for the filters."""
    years = [y for (y,) in session.execute(select(StatisticsItemFact.year).distinct()
                                            .order_by(StatisticsItemFact.year.desc()))]
    sessions = [s for (s,) in session.execute(select(StatisticsItemFact.session).distinct()
                                               .order_by(StatisticsItemFact.session)) if s]
    return years, sessions


def unit_table(records: list[dict]) -> dict[str, dict]:
    """Per handling unit (code): items assigned, replies, on-time and satisfaction rates, result
    classes and the face-to-face rate, over the registered items of `records`."""
    units: dict[str, dict] = {}

    def entry(code):
        return units.setdefault(code, {"assigned": 0, "replies": 0, "on_time": 0, "evaluations": 0, "satisfied": 0,
                                       "basically": 0, "unsatisfied": 0, "face_to_face": 0, "key_items": 0,
                                       "classes": {}})

    for record in records:
        if record["intake_decision"] != "register":
            continue
        for code in record["handling_units"]:
            if code:
                entry(code)["assigned"] += 1
                if record["is_key"]:
                    entry(code)["key_items"] += 1
        for reply in record["replies"]:
            if not reply["unit"]:
                continue
            e = entry(reply["unit"])
            e["replies"] += 1
            e["on_time"] += 0 if reply["overdue"] else 1
            e["face_to_face"] += 1 if reply["face_to_face"] else 0
            e["evaluations"] += len(reply["evaluations"])
            for answer in ("satisfied", "basically", "unsatisfied"):
                e[answer] += reply["evaluations"].count(answer)
            if reply["result_class"]:
                e["classes"][reply["result_class"]] = e["classes"].get(reply["result_class"], 0) + 1
    for e in units.values():
        e["on_time_rate"] = _rate(e["on_time"], e["replies"])
        e["satisfaction_rate"] = _rate(sum(e[a] for a in SATISFIED), e["evaluations"])
        e["face_to_face_rate"] = _rate(e["face_to_face"], e["replies"])
    return dict(sorted(units.items()))
